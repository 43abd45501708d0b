/**
 * The phi-accrual failure detector (Hayashibara, Défago, Yared, Katayama, "The φ Accrual Failure
 * Detector", SRDS 2004), as Akka and Cassandra run it: instead of a yes/no timeout it says how
 * suspicious the silence since the last heartbeat is, given the heartbeats' own rhythm. The
 * inter-arrival times over a sliding window are taken as normally distributed; phi is
 * -log10 of the probability that a heartbeat would come even later than now, so phi 1 means a
 * 10 % chance that the peer is only late, phi 8 one in 10^8. The normal tail is computed with the
 * logistic approximation Akka uses, which needs no erf.
 *
 * Pure: the caller gives every time (monotonic ms).
 */

export interface PhiAccrualOptions {
  /** Inter-arrival times kept: enough for a stable mean and deviation, few enough to follow a change of rhythm. */
  windowSize: number;
  /**
   * The least standard deviation assumed: heartbeats on an idle loopback arrive like clockwork, and a
   * deviation of a fraction of a millisecond would turn the first late heartbeat into a certainty.
   */
  minStdDevMs: number;
  /** Added to the mean: a pause this long (a garbage collection, a busy event loop) costs no suspicion. */
  acceptablePauseMs: number;
  /** What the first heartbeat's interval is taken to be until real intervals are known: the sender's period. */
  firstIntervalMs: number;
}

export class PhiAccrualDetector {
  private readonly intervals: number[] = [];
  private next = 0;
  private sum = 0;
  private squares = 0;
  private last: number | undefined;
  private skipInterval = false;

  constructor(private readonly options: PhiAccrualOptions) {
    if (options.windowSize < 2) throw new RangeError('a phi-accrual window holds at least 2 intervals');
    if (!(options.minStdDevMs > 0)) throw new RangeError('the least standard deviation must be positive');
  }

  /** A heartbeat (or any sign of life) arrived at `atMs`. */
  heartbeat(atMs: number): void {
    if (this.last === undefined) {
      // Seeded as Akka does: two intervals around the expected period, so phi is defined from the first heartbeat on.
      const { firstIntervalMs } = this.options;
      const spread = firstIntervalMs / 4;
      this.record(firstIntervalMs - spread);
      this.record(firstIntervalMs + spread);
    } else if (atMs >= this.last && !this.skipInterval) {
      this.record(atMs - this.last);
    }
    this.skipInterval = false;
    this.last = Math.max(atMs, this.last ?? atMs);
  }

  /**
   * The next heartbeat's interval is not the peer's rhythm (the observer itself was away, so what
   * arrived meanwhile is read late, all at once): it moves the last arrival without being recorded.
   */
  skipNextInterval(): void {
    if (this.last !== undefined) this.skipInterval = true;
  }

  /** Forgets the rhythm: heartbeats that could not be read for a while (the node held reading) say nothing of the peer. */
  reset(): void {
    this.intervals.length = 0;
    this.next = 0;
    this.sum = 0;
    this.squares = 0;
    this.last = undefined;
    this.skipInterval = false;
  }

  /** How suspicious the silence is at `atMs`: 0 before any heartbeat, growing with the time since the last. */
  phi(atMs: number): number {
    if (this.last === undefined) return 0;
    const elapsed = Math.max(0, atMs - this.last);
    const mean = this.mean + this.options.acceptablePauseMs;
    const stdDev = Math.max(this.stdDev, this.options.minStdDevMs);
    const y = (elapsed - mean) / stdDev;
    // The tail is 1 / (1 + e^a) with a = y (1.5976 + 0.070566 y²), so phi = log10(1 + e^a), written
    // so that neither side of the mean overflows: a long silence gives a large finite phi, never Infinity.
    const a = y * (1.5976 + 0.070566 * y * y);
    return a > 0 ? a / Math.LN10 + Math.log1p(Math.exp(-a)) / Math.LN10 : Math.log1p(Math.exp(a)) / Math.LN10;
  }

  /** Silence after which phi reaches `threshold`, given the rhythm so far (the inverse of phi, found by bisection). */
  silenceForPhi(threshold: number): number {
    let low = 0;
    let high = this.mean + this.options.acceptablePauseMs + 100 * Math.max(this.stdDev, this.options.minStdDevMs);
    const last = this.last ?? 0;
    for (let step = 0; step < 60; step++) {
      const middle = (low + high) / 2;
      if (this.phi(last + middle) < threshold) low = middle;
      else high = middle;
    }
    return high;
  }

  get mean(): number {
    return this.intervals.length === 0 ? this.options.firstIntervalMs : this.sum / this.intervals.length;
  }

  get stdDev(): number {
    const count = this.intervals.length;
    if (count === 0) return 0;
    const mean = this.sum / count;
    return Math.sqrt(Math.max(0, this.squares / count - mean * mean));
  }

  private record(interval: number): void {
    if (this.intervals.length < this.options.windowSize) {
      this.intervals.push(interval);
    } else {
      const dropped = this.intervals[this.next]!;
      this.sum -= dropped;
      this.squares -= dropped * dropped;
      this.intervals[this.next] = interval;
      this.next = (this.next + 1) % this.options.windowSize;
    }
    this.sum += interval;
    this.squares += interval * interval;
  }
}
