/**
 * Names a structured-clone failure (a function, a symbol, nesting deeper than the clone's stack)
 * in a report that must itself always cross a thread boundary: short, and plain text.
 */
const MAX_DETAIL_CHARS = 300;

export function describeCloneError(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.length > MAX_DETAIL_CHARS ? `${text.slice(0, MAX_DETAIL_CHARS)}…` : text;
}
