/**
 * Errors of the knowledge-base modules (samples, incidents, outcomes, anomalies, policies, models)
 * that a caller can act on. Like those in errors.ts, each has a stable `name` and names its
 * database file.
 */
import { StoreError } from './errors.js';

/**
 * A sample in a batch is malformed (a non-finite value, a time that is not a non-negative integer
 * ms, an empty metric or source). The whole batch is refused and nothing of it written, so the
 * caller can drop or fix the one bad sample and count it, instead of guessing what got stored.
 */
export class InvalidSampleError extends StoreError {
  constructor(
    file: string,
    readonly metric: string,
    readonly source: string,
    readonly index: number,
    readonly detail: string,
  ) {
    super(
      file,
      `sample ${index} of the batch (metric '${metric}', source '${source}') is invalid: ${detail}; ` +
        `nothing of the batch was written to ${file}`,
    );
  }
}

/** No incident has this id in the database. */
export class UnknownIncidentError extends StoreError {
  constructor(
    file: string,
    readonly incidentId: number,
  ) {
    super(file, `no incident ${incidentId} in database ${file}`);
  }
}

/**
 * An incident cannot move to `phase` at `at`: the time is earlier than a phase already recorded,
 * the phase comes before one already recorded, or the incident is closed (recovered or failed).
 * Its records are left unchanged, so MTTD and MTTR never see a phase out of order.
 */
export class IncidentOrderError extends StoreError {
  constructor(
    file: string,
    readonly incidentId: number,
    readonly phase: string,
    readonly at: number,
    readonly detail: string,
  ) {
    super(file, `incident ${incidentId} in database ${file} cannot be marked '${phase}' at ${at}: ${detail}`);
  }
}

/** No action has this id in the database. */
export class UnknownActionError extends StoreError {
  constructor(
    file: string,
    readonly actionId: number,
  ) {
    super(file, `no action ${actionId} in database ${file}`);
  }
}

/**
 * The action is already finished (or its finish time is before its start): it is finished exactly
 * once, so an executor restarted mid-action learns the action's fate instead of recording it twice.
 */
export class ActionStateError extends StoreError {
  constructor(
    file: string,
    readonly actionId: number,
    readonly detail: string,
  ) {
    super(file, `action ${actionId} in database ${file} cannot be finished: ${detail}`);
  }
}

/**
 * Another action on the same target is still pending or running: one action per target at a time,
 * so wait for it to finish (or roll it back) before starting the next.
 */
export class TargetBusyError extends StoreError {
  constructor(
    file: string,
    readonly target: string,
  ) {
    super(file, `target '${target}' already has an unfinished action in database ${file}`);
  }
}

/**
 * An anomaly is malformed (a severity outside [0, 1], no metrics, an empty detector, source or
 * metric name). Nothing is written, so the analyzer can fix or drop the one finding.
 */
export class InvalidAnomalyError extends StoreError {
  constructor(
    file: string,
    readonly detector: string,
    readonly detail: string,
  ) {
    super(file, `anomaly from detector '${detector}' is invalid: ${detail}; nothing was written to ${file}`);
  }
}

/** No anomaly has this id in the database. */
export class UnknownAnomalyError extends StoreError {
  constructor(
    file: string,
    readonly anomalyId: number,
  ) {
    super(file, `no anomaly ${anomalyId} in database ${file}`);
  }
}

/** No policy maps this cause kind to this action kind in the database. */
export class UnknownPolicyError extends StoreError {
  constructor(
    file: string,
    readonly causeKind: string,
    readonly actionKind: string,
  ) {
    super(file, `no policy for cause '${causeKind}' and action '${actionKind}' in database ${file}`);
  }
}

/** No model of this kind has this version in the database. */
export class UnknownModelError extends StoreError {
  constructor(
    file: string,
    readonly kind: string,
    readonly version: number,
  ) {
    super(file, `no model '${kind}' version ${version} in database ${file}`);
  }
}

/**
 * A model of this kind already has this version: a published version is immutable, so publish the
 * new artifact under the next version instead of overwriting what an analyzer may be running.
 */
export class ModelVersionExistsError extends StoreError {
  constructor(
    file: string,
    readonly kind: string,
    readonly version: number,
  ) {
    super(file, `model '${kind}' version ${version} already exists in database ${file}`);
  }
}
