/**
 * A policy's preconditions (a JSON object in the policies table), checked against a diagnosis
 * before the action becomes a candidate:
 * - minConfidence: the diagnosis must be at least this sure;
 * - targets / excludeTargets: the actors the action may (or may never) be applied to.
 * Any other key, or a value of the wrong type, makes the policy row invalid: it is reported and
 * skipped, since guessing what an operator meant by a key we do not know could run an action
 * they meant to forbid.
 */
export interface Preconditions {
  minConfidence?: number;
  targets?: string[];
  excludeTargets?: string[];
}

export class InvalidPreconditionsError extends Error {
  override readonly name = 'InvalidPreconditionsError';
  constructor(readonly reason: string) {
    super(`invalid preconditions: ${reason}`);
  }
}

const KNOWN = new Set(['minConfidence', 'targets', 'excludeTargets']);

export function parsePreconditions(raw: unknown): Preconditions {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new InvalidPreconditionsError('not a JSON object');
  const record = raw as Record<string, unknown>;
  for (const key of Object.keys(record)) if (!KNOWN.has(key)) throw new InvalidPreconditionsError(`unknown key '${key}'`);
  const result: Preconditions = {};
  if (record.minConfidence !== undefined) {
    const value = record.minConfidence;
    if (typeof value !== 'number' || !(value >= 0 && value <= 1)) throw new InvalidPreconditionsError('minConfidence must be in [0, 1]');
    result.minConfidence = value;
  }
  for (const key of ['targets', 'excludeTargets'] as const) {
    const value = record[key];
    if (value === undefined) continue;
    if (!Array.isArray(value) || !value.every((item) => typeof item === 'string' && item !== '')) {
      throw new InvalidPreconditionsError(`${key} must be an array of actor ids`);
    }
    result[key] = value as string[];
  }
  return result;
}

export function preconditionsHold(pre: Preconditions, diagnosis: { confidence: number; target: string }): boolean {
  if (pre.minConfidence !== undefined && diagnosis.confidence < pre.minConfidence) return false;
  if (pre.targets !== undefined && !pre.targets.includes(diagnosis.target)) return false;
  if (pre.excludeTargets?.includes(diagnosis.target)) return false;
  return true;
}
