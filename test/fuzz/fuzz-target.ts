/**
 * What a fuzz target is: a fast-check property over one parser's input whose oracle says what an
 * accepted input must satisfy and what a rejection must be (oracles.ts), built by its suite with
 * whatever it needs (keys, certificates, a socket, a directory) and closed with it. Each case's
 * judge names its outcome ("accepted", "refused: FrameError authentication", …) and the target
 * counts them, so a run shows how deep its cases got, not only that none failed.
 */
import fc from 'fast-check';

export interface FuzzTarget<T = unknown> {
  name: string;
  /** A sync or async fast-check property; it throws (a FuzzFinding) on a case the oracle refuses. */
  property: fc.IRawProperty<[T]>;
  /** The counterexample as the runner prints it. */
  show(value: T): string;
  /** Cases by outcome since the target was built (shrinking included). */
  outcomes: Map<string, number>;
}

function counted<T>(name: string, show: (value: T) => string, build: (tally: (outcome: string) => void) => fc.IRawProperty<[T]>): FuzzTarget<T> {
  const outcomes = new Map<string, number>();
  const property = build((outcome) => {
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
  });
  return { name, property, show, outcomes };
}

/** A target whose judge runs synchronously and returns the case's outcome. */
export function fuzzTarget<T>(name: string, inputs: fc.Arbitrary<T>, judge: (value: T) => string, show: (value: T) => string): FuzzTarget<T> {
  return counted(name, show, (tally) => fc.property(inputs, (value) => tally(judge(value))));
}

/** A target whose judge is asynchronous (sockets, files, WebCrypto). */
export function asyncFuzzTarget<T>(name: string, inputs: fc.Arbitrary<T>, judge: (value: T) => Promise<string>, show: (value: T) => string): FuzzTarget<T> {
  return counted(name, show, (tally) => fc.asyncProperty(inputs, async (value) => tally(await judge(value))));
}

/** The outcome label of a refusal: the error's class and, when it has one, its reason or rule. */
export function refusal(error: unknown): string {
  const { name, reason, rule } = error as { name?: string; reason?: unknown; rule?: unknown };
  const detail = typeof reason === 'string' ? reason : typeof rule === 'string' ? rule : undefined;
  return `refused: ${name ?? typeof error}${detail !== undefined ? ` ${detail}` : ''}`;
}

export interface FuzzSuite {
  // Targets differ in their input type; the runner only hands each its own arbitrary's values.
  targets: FuzzTarget<any>[];
  /** Releases what the suite opened (a control socket, temporary files); targets are unusable after it. */
  close(): Promise<void>;
}

/** A suite by name: its targets' names (known before it is built, so a test runner can list them) and how to build it. */
export interface FuzzSuiteEntry {
  targets: readonly string[];
  build(): Promise<FuzzSuite>;
}

/** A suite that holds nothing to release. */
export function suiteOf(targets: FuzzSuite['targets']): FuzzSuite {
  return { targets, close: async () => undefined };
}
