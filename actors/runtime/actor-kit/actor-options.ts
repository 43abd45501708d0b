/**
 * Reading an actor's options (plain JSON from its child spec, crossing into its thread) with a
 * clear error naming the option, since a thread boundary is checked at run time.
 */
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

export function optionalPositiveInt(options: Record<string, unknown>, key: string): number | undefined {
  const value = options[key];
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || (value as number) <= 0) throw new InvalidActorOptionError(key, 'a positive integer', value);
  return value as number;
}

export function optionalFraction(options: Record<string, unknown>, key: string): number | undefined {
  const value = options[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) throw new InvalidActorOptionError(key, 'a number in [0, 1]', value);
  return value;
}
