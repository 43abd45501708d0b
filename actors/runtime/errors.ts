/**
 * Errors a caller can act on, one class per failure, each with a stable `name`
 * (callers match on `name`, which survives thread boundaries; `instanceof` holds
 * too once an error has been rebuilt by `rebuildError`).
 */

export class RuntimeError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A call to an actor whose worker exited (crash, kill or stop) before it answered. */
export class WorkerExitedError extends RuntimeError {
  constructor(
    readonly actorId: string,
    readonly reason: string,
  ) {
    super(`actor '${actorId}' worker exited before answering: ${reason}`);
  }
}

/** A request/reply that got no reply within its deadline. */
export class RequestTimeoutError extends RuntimeError {
  constructor(
    readonly actorId: string,
    readonly topic: string,
    readonly timeoutMs: number,
  ) {
    super(`request '${topic}' to actor '${actorId}' got no reply within ${timeoutMs} ms`);
  }
}

/** A message crossing a thread boundary that does not match the thread protocol. */
export class ProtocolViolationError extends RuntimeError {
  constructor(
    readonly source: string,
    readonly detail: string,
  ) {
    super(`malformed message from ${source}: ${detail}`);
  }
}

/** A publish to a topic that the registry does not declare. */
export class UnknownTopicError extends RuntimeError {
  constructor(readonly topic: string) {
    super(`topic '${topic}' is not declared in the topic registry`);
  }
}

/** A payload that does not match its topic's schema. */
export class InvalidPayloadError extends RuntimeError {
  constructor(
    readonly topic: string,
    readonly detail: string,
  ) {
    super(`payload for topic '${topic}' is invalid: ${detail}`);
  }
}

/** A mailbox at capacity whose topic's overflow policy is `reject`. */
export class MailboxFullError extends RuntimeError {
  constructor(
    readonly actorId: string,
    readonly topic: string,
    readonly capacity: number,
  ) {
    super(`mailbox of actor '${actorId}' is full (${capacity}) and topic '${topic}' rejects on overflow`);
  }
}

/** A request or snapshot for an actor the node does not have. */
export class UnknownActorError extends RuntimeError {
  constructor(readonly actorId: string) {
    super(`no actor '${actorId}' in this node`);
  }
}

/** An actor that replied to a request with a failure. */
export class ActorReplyError extends RuntimeError {
  constructor(
    readonly actorId: string,
    readonly topic: string,
    readonly detail: string,
  ) {
    super(`actor '${actorId}' failed request '${topic}': ${detail}`);
  }
}

/** An operation refused because the node runs in production mode (e.g. fault injection). */
export class ProductionModeError extends RuntimeError {
  constructor(readonly operation: string) {
    super(`'${operation}' is disabled in production mode`);
  }
}

/** A supervisor gave up: its children crashed more often than its restart intensity allows. */
export class IntensityExceededError extends RuntimeError {
  constructor(
    readonly supervisorId: string,
    /** What it counted: "5 restarts", or "15 ordered restarts" (supervisor.ts's budget for restarts a remediation ordered). */
    readonly restarts: string,
    readonly periodMs: number,
    readonly lastCrash: string,
  ) {
    super(`supervisor '${supervisorId}' exceeded its restart intensity (${restarts} within ${periodMs} ms); last crash: ${lastCrash}`);
  }
}

/** The node is not running (not started yet, or stopped). */
export class NodeNotRunningError extends RuntimeError {
  constructor(readonly operation: string) {
    super(`cannot ${operation}: the node is not running`);
  }
}

/** An actor module that does not export a valid actor definition. */
export class ActorDefinitionError extends RuntimeError {
  constructor(
    readonly modulePath: string,
    readonly detail: string,
  ) {
    super(`actor module '${modulePath}' is not a valid actor definition: ${detail}`);
  }
}

/** The error classes that are rebuilt by name when they cross a thread or process boundary. */
const KNOWN_ERRORS: Record<string, new (...args: never[]) => Error> = {
  RuntimeError,
  WorkerExitedError,
  RequestTimeoutError,
  ProtocolViolationError,
  UnknownTopicError,
  InvalidPayloadError,
  MailboxFullError,
  UnknownActorError,
  ActorReplyError,
  ProductionModeError,
  IntensityExceededError,
  NodeNotRunningError,
  ActorDefinitionError,
  TypeError,
  RangeError,
  SyntaxError,
};

/**
 * Adds an error class defined elsewhere (store, config, a subsystem) to those rebuilt by name.
 * Called by the module that defines the class, so this file need not import them all.
 */
export function registerErrorClass(errorClass: new (...args: never[]) => Error): void {
  KNOWN_ERRORS[errorClass.name] = errorClass;
}

/** Errors as they cross threads and processes: plain data. */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  fields?: Record<string, unknown>;
}

export function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { name: 'Error', message: describeThrown(error) };
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(error)) {
    if (key === 'name' || key === 'message' || key === 'stack' || key === 'cause') continue;
    if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) fields[key] = value;
  }
  return { name: error.name, message: error.message, stack: error.stack, fields };
}

/** Rebuilds a serialized error into its class (when known), with its fields and the remote stack. */
export function rebuildError(serialized: SerializedError): Error {
  const Known = KNOWN_ERRORS[serialized.name];
  const error: Error = Known ? Object.create(Known.prototype) : new Error(serialized.message);
  Object.defineProperty(error, 'message', { value: serialized.message, writable: true, configurable: true });
  Object.defineProperty(error, 'name', { value: serialized.name, writable: true, configurable: true });
  if (serialized.stack !== undefined) {
    Object.defineProperty(error, 'stack', { value: serialized.stack, writable: true, configurable: true });
  }
  Object.assign(error, serialized.fields ?? {});
  return error;
}

/** A thrown value that is no Error, as text: JSON where it has one, else its string form (a cycle or a BigInt has no JSON). */
function describeThrown(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
