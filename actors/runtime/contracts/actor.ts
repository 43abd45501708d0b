/**
 * The Actor contract: what a subsystem module exports so that either host (worker thread or
 * inline) can run it. The module's default export is an ActorDefinition; the machine comes
 * from machines/ and gets its I/O through XState's `provide`/`setup` in `createMachine`.
 *
 * Bus traffic reaches the machine as events whose `type` is the topic (see BusEvent); the
 * machine talks back with XState `emit`: `bus.publish` and `bus.reply` (see BusEmitted).
 *
 * All of an actor's state lives in its machine (persisted and restored) or in what createMachine
 * opens (closed by dispose): a worker thread whose actor stopped cleanly may serve another start,
 * so module-level mutable state would outlive the actor. A crashed thread is never reused.
 */
import type { AnyStateMachine } from 'xstate';

/**
 * Whether the bus holds this actor's messages back: a `block` topic it published met a full
 * mailbox, so its later messages wait in the host and its own mailbox is paused until there is
 * room. An actor fed from outside the node (sockets) stops reading while it is held, so the
 * pressure reaches whoever sends to it (a peer's TCP window fills) instead of the node's memory.
 */
export interface BusPressure {
  readonly held: boolean;
  /** Calls `listener` on every change from now on; returns what unsubscribes it. */
  onChange(listener: (held: boolean) => void): () => void;
}

/** What the hosting thread hands an actor when it builds the machine. */
export interface ActorIo {
  actorId: string;
  /** The actor's options from its child spec: plain JSON. */
  options: Record<string, unknown>;
  /** Path of the node's SQLite store; each thread opens its own connection. */
  databasePath: string;
  pressure: BusPressure;
  /**
   * Counts work that reached the actor other than through its mailbox (records from a peer's
   * socket): with its messages, what the runtime's monitor sets the thread's CPU time against to
   * tell a thread busy with its input from one spinning on its own (actor.cpu_ms_per_input).
   */
  inputHandled(count: number): void;
}

export interface ActorDefinition {
  /** Builds the actor's machine with its I/O provided. Called once per (re)start, in the hosting thread. */
  createMachine(io: ActorIo): AnyStateMachine;
  /**
   * Whether the actor's state is persisted and restored across restarts (default true).
   * A stateless actor acknowledges messages as soon as it has processed them.
   */
  persistent?: boolean;
  /** Called when the actor stops or its thread is torn down: close what createMachine opened. */
  dispose?(): void;
}

export function defineActor(definition: ActorDefinition): ActorDefinition {
  return definition;
}

export function isActorDefinition(value: unknown): value is ActorDefinition {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { createMachine?: unknown }).createMachine === 'function'
  );
}
