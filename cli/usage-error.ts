/** A command used wrongly (a bad flag value, a missing file): exits with the configuration code, naming the problem. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
