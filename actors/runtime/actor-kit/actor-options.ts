/**
 * An actor's options: plain JSON from its child spec, crossing into its thread, so checked at run
 * time. One way for every actor: it declares a zod schema for its options (its TypeScript type is
 * derived from it) and reads them with parseActorOptions, which fails the start with an
 * InvalidActorOptionError naming the option and what it must be.
 */
import { z } from 'zod';
import { RuntimeError } from '../errors.js';

export class InvalidActorOptionError extends RuntimeError {
  constructor(
    readonly option: string,
    readonly expected: string,
    readonly got: unknown,
  ) {
    super(`actor option '${option}' must be ${expected}, got ${JSON.stringify(got)}`);
  }
}

/** Option schemas whose error message says what is expected (the error reads "must be <message>"). */
export const actorOption = {
  positiveInt: () => z.int({ error: 'a positive integer' }).positive({ error: 'a positive integer' }),
  fraction: () => z.number({ error: 'a number in [0, 1]' }).min(0, { error: 'a number in [0, 1]' }).max(1, { error: 'a number in [0, 1]' }),
  nonEmptyString: () => z.string({ error: 'a non-empty string' }).min(1, { error: 'a non-empty string' }),
};

/** The options as the schema reads them; InvalidActorOptionError for the first option it refuses. */
export function parseActorOptions<S extends z.ZodType>(schema: S, options: Record<string, unknown>): z.output<S> {
  const parsed = schema.safeParse(options);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new InvalidActorOptionError(issue.path.join('.'), issue.message, valueAt(options, issue.path));
}

function valueAt(options: unknown, path: readonly PropertyKey[]): unknown {
  let value = options;
  for (const key of path) value = value !== null && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  return value;
}
