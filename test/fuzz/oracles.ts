/**
 * The checks fuzz targets are made of. A rejection must be one of the parser's own error classes;
 * an accepted input must satisfy the invariant the target states; an authenticated message is
 * accepted if and only if it is one the genuine sender recorded (so a tampered message that
 * verifies, and a genuine one that no longer does, both fail the target).
 */
import { isDeepStrictEqual } from 'node:util';
import { FuzzFinding } from './fuzz-finding.js';
import { refusal } from './fuzz-target.js';

// Error classes are matched with instanceof; their constructors' parameters do not matter here.
export type ErrorClass = abstract new (...args: any[]) => Error;

/** The refusal's outcome label when `error` is an instance of one of `allowed`; else throws a foreign-error finding naming it. */
export function mustBeTyped(error: unknown, allowed: readonly ErrorClass[], where: string): string {
  if (allowed.some((type) => error instanceof type)) return refusal(error);
  const what = error instanceof Error ? `${error.name}: ${error.message}` : `a thrown ${typeof error} (${String(error)})`;
  throw new FuzzFinding('foreign-error', `${where} threw ${what}; only ${allowed.map((type) => type.name).join(', ')} may be thrown`, { cause: error });
}

export function mustHold(condition: boolean, message: string): void {
  if (!condition) throw new FuzzFinding('invariant-broken', message);
}

export function mustEqual(actual: unknown, expected: unknown, what: string): void {
  if (!isDeepStrictEqual(actual, expected)) throw new FuzzFinding('invariant-broken', `${what} differs: ${describe(actual)} where ${describe(expected)} was expected`);
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
}

/** Index of the recorded message equal to `bytes`, or -1. */
export function recordedIndex(bytes: Uint8Array, recorded: readonly Uint8Array[]): number {
  return recorded.findIndex((message) => sameBytes(bytes, message));
}

/**
 * The two-sided authenticity oracle for one case. `accepted` says whether the receiver took the
 * bytes as authentic (a value) or not (its typed error, or a refusal it reports without one).
 */
export function authenticIffRecorded(bytes: Uint8Array, recorded: readonly Uint8Array[], accepted: boolean, what: string): number {
  const index = recordedIndex(bytes, recorded);
  if (accepted && index < 0) throw new FuzzFinding('forgery-accepted', `${what}: ${bytes.length} bytes that differ from every recorded message were accepted as authentic`);
  if (!accepted && index >= 0) throw new FuzzFinding('recorded-refused', `${what}: the recorded genuine message #${index} was refused`);
  return index;
}

function describe(value: unknown): string {
  if (value instanceof Uint8Array) return `<${value.length} bytes ${Buffer.from(value).subarray(0, 32).toString('hex')}${value.length > 32 ? '…' : ''}>`;
  try {
    const text = JSON.stringify(value, (_key, item: unknown) => (typeof item === 'bigint' ? `${item}n` : item instanceof Uint8Array || (item as { type?: string })?.type === 'Buffer' ? '<bytes>' : item));
    return text === undefined ? String(value) : text.length > 300 ? `${text.slice(0, 300)}…` : text;
  } catch {
    return String(value);
  }
}
