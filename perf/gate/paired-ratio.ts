/**
 * A ratio measured so that load hits both of its sides alike. The numerator's and the
 * denominator's measurements alternate round by round, in the opposite order every other round
 * (neither side always runs right after the other has warmed a cache or left garbage), each
 * round gives one ratio, and the figure is the median of the per-round ratios. A burst of load
 * (another process taking the cores for a few milliseconds) spoils the rounds it falls in, and
 * the median passes over a minority of spoiled rounds; a ratio of two medians taken minutes
 * apart would carry the whole difference in load between them.
 */
import { figure, median, round, summarize, type Figure } from '../stats.js';

/** One side of a ratio: a measurement of one round (a cost or a rate, the same kind on both sides). */
export interface RatioSide {
  label: string;
  measure(): Promise<number> | number;
}

export interface PairedRatioPlan {
  rounds: number;
  /** Rounds run first and not kept (JIT, caches, the first spawn of a pool). */
  warmupRounds: number;
  numerator: RatioSide;
  denominator: RatioSide;
  /** Called after each kept round (progress). */
  onRound?(round: number): void;
}

export interface PairedRatio {
  /** numerator ÷ denominator, one per kept round. */
  ratios: number[];
  numerator: number[];
  denominator: number[];
}

export async function pairedRatio(plan: PairedRatioPlan): Promise<PairedRatio> {
  const result: PairedRatio = { ratios: [], numerator: [], denominator: [] };
  const total = plan.warmupRounds + plan.rounds;
  for (let round = 0; round < total; round++) {
    let top: number;
    let bottom: number;
    if (round % 2 === 0) {
      top = await plan.numerator.measure();
      bottom = await plan.denominator.measure();
    } else {
      bottom = await plan.denominator.measure();
      top = await plan.numerator.measure();
    }
    if (!(top > 0 && bottom > 0 && Number.isFinite(top) && Number.isFinite(bottom))) {
      throw new RangeError(`round ${round}: ${plan.numerator.label} measured ${top}, ${plan.denominator.label} measured ${bottom}: both must be positive`);
    }
    if (round < plan.warmupRounds) continue;
    result.ratios.push(top / bottom);
    result.numerator.push(top);
    result.denominator.push(bottom);
    plan.onRound?.(round - plan.warmupRounds + 1);
  }
  return result;
}

/**
 * The median µs of `count` calls of a synchronous operation, each timed on its own: within a
 * round, a call the OS preempted is one slow sample among `count`, not a slower round.
 */
export function medianMicros(count: number, operation: () => unknown): number {
  const samples = new Array<number>(count);
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    operation();
    samples[i] = (performance.now() - started) * 1_000;
  }
  return median(samples.sort((a, b) => a - b));
}

/** The two synchronous operations of an interleaved ratio. */
export interface InterleavedRatioPlan {
  rounds: number;
  warmupRounds: number;
  /** Calls of each operation per round. */
  callsPerRound: number;
  numerator: { label: string; run(): unknown };
  denominator: { label: string; run(): unknown };
}

/**
 * A ratio of two operations of a few tens of µs, alternated call by call: each round times
 * `callsPerRound` calls of each, one numerator call next to one denominator call (in turn first),
 * and takes each side's median call. On a shared host a core's speed drifts within milliseconds
 * (a neighbour's load, its caches): timed side after side, 16 calls of one and then 16 of the
 * other met different speeds, and single rounds gave ratios from 0.4 to 2.3 (a CI run's median
 * fell 0.05 under an idle run's); call by call, both sides meet the same drift and a round's
 * ratio stays within a few percent.
 */
export function interleavedRatio(plan: InterleavedRatioPlan): PairedRatio {
  const result: PairedRatio = { ratios: [], numerator: [], denominator: [] };
  const tops = new Array<number>(plan.callsPerRound);
  const bottoms = new Array<number>(plan.callsPerRound);
  const timed = (operation: () => unknown) => {
    const started = performance.now();
    operation();
    return (performance.now() - started) * 1_000;
  };
  for (let round = 0; round < plan.warmupRounds + plan.rounds; round++) {
    for (let call = 0; call < plan.callsPerRound; call++) {
      if (call % 2 === 0) {
        tops[call] = timed(plan.numerator.run);
        bottoms[call] = timed(plan.denominator.run);
      } else {
        bottoms[call] = timed(plan.denominator.run);
        tops[call] = timed(plan.numerator.run);
      }
    }
    if (round < plan.warmupRounds) continue;
    const top = median([...tops].sort((a, b) => a - b));
    const bottom = median([...bottoms].sort((a, b) => a - b));
    if (!(top > 0 && bottom > 0)) throw new RangeError(`round ${round}: ${plan.numerator.label} measured ${top} µs, ${plan.denominator.label} ${bottom} µs: both must be positive`);
    result.ratios.push(top / bottom);
    result.numerator.push(top);
    result.denominator.push(bottom);
  }
  return result;
}

/** Calls per warm-up block, and the most time warming up one operation may take. */
const WARM_BLOCK = 25;
const WARM_LIMIT_MS = 3_000;
/** A block whose median call is within this of the previous block's is steady. */
const WARM_STEADY = 0.95;

/**
 * Calls a synchronous operation for at least `minMs`, then in blocks until its median call stops
 * getting faster (or WARM_LIMIT_MS has passed). WebAssembly starts in V8's baseline tier and is
 * recompiled optimised on background threads once it is hot, in two steps here (ML-KEM key
 * generation: about 220 µs, then 75, then 59); on a loaded machine those threads wait for a core,
 * and an operation measured before they are done runs two to four times slower (a gate run once
 * measured ML-KEM key generation at 4.5 X25519 agreements instead of 1.7). Between the two steps
 * the median holds still for 100 ms or more under load, so a steady median alone is not proof:
 * the time comes first.
 */
export function warmUntilSteady(operation: () => unknown, minMs = 0): void {
  const started = performance.now();
  while (performance.now() - started < minMs) operation();
  const deadline = performance.now() + WARM_LIMIT_MS;
  let previous = medianMicros(WARM_BLOCK, operation);
  while (performance.now() < deadline) {
    const current = medianMicros(WARM_BLOCK, operation);
    if (current >= previous * WARM_STEADY) return;
    previous = current;
  }
}

/** Runs an asynchronous operation, one call at a time, for `ms`: warm-up where a steady median cannot be watched call by call (see warmUntilSteady for why time comes first). */
export async function warmFor(ms: number, operation: () => Promise<unknown>): Promise<void> {
  const started = performance.now();
  while (performance.now() - started < ms) await operation();
}

/** This process's CPU time (every thread, user + system) in µs: getrusage, exact to the scheduler's accounting. */
export function processCpuMicros(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

/**
 * The median CPU µs of `count` calls of a synchronous operation. Time the OS gives to other
 * processes is not in it, so on a loaded machine it stays the operation's cost where wall time
 * grows with every preemption (and grows more for a longer operation, which spans more time slices).
 */
export function medianCpuMicros(count: number, operation: () => unknown): number {
  const samples = new Array<number>(count);
  for (let i = 0; i < count; i++) {
    const started = processCpuMicros();
    operation();
    samples[i] = processCpuMicros() - started;
  }
  return median(samples.sort((a, b) => a - b));
}

/** As medianCpuMicros, for an asynchronous operation: the CPU every thread of the process spent until it settled (the threadpool's crypto included). */
export async function medianCpuMicrosAsync(count: number, operation: () => Promise<unknown>): Promise<number> {
  const samples = new Array<number>(count);
  for (let i = 0; i < count; i++) {
    const started = processCpuMicros();
    await operation();
    samples[i] = processCpuMicros() - started;
  }
  return median(samples.sort((a, b) => a - b));
}

/** A paired ratio as a figure: the per-round ratios' statistics, with each side's median beside them. */
export function ratioFigure(suite: string, name: string, measured: PairedRatio, extra: Record<string, unknown>): Figure {
  return figure(suite, name, 'ratio', measured.ratios, {
    numerator_median: round(summarize(measured.numerator).median),
    denominator_median: round(summarize(measured.denominator).median),
    ...extra,
  });
}
