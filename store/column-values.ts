/**
 * Checks shared by the knowledge-base modules for values headed into a column, so a bad value is
 * refused with a message naming the field instead of as SQLite's generic constraint failure.
 */

/** `value` as JSON text for a JSON column; a TypeError naming `what` when it has no JSON form. */
export function toJsonColumn(value: unknown, what: string): string {
  const json = JSON.stringify(value);
  // JSON.stringify returns undefined (no throw) for undefined, functions and symbols.
  if (json === undefined) throw new TypeError(`${what} is not JSON-serializable`);
  return json;
}

/** Throws a RangeError naming `name` unless `value` is a non-negative integer (ms since the epoch). */
export function checkEpochMs(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer ms, got ${value}`);
}
