/**
 * At most `limit` takes per second (a window that starts at the first take after the last one
 * ended): a cap on what costly work a remote party can make a node do, with no timer.
 */
export class SecondBudget {
  private start = Number.NEGATIVE_INFINITY;
  private taken = 0;

  constructor(private readonly limit: number) {}

  /** Whether one more is allowed at `now` (monotonic ms); counted when it is. */
  take(now: number): boolean {
    if (now - this.start >= 1_000) {
      this.start = now;
      this.taken = 0;
    }
    if (this.taken >= this.limit) return false;
    this.taken++;
    return true;
  }
}
