/**
 * The receive side's replay protection for one key (as IPsec's and WireGuard's): the highest
 * counter accepted and which of the WINDOW counters below it were seen. A counter above the
 * highest, or within the window and unseen, is new; anything else is a replay or too old.
 * Marking happens only after the frame authenticated, so forged frames cannot burn counters.
 */
export const REPLAY_WINDOW = 1024;

export class ReplayWindow {
  private highest = -1n;
  private readonly seen = new Uint8Array(REPLAY_WINDOW);

  /** 'new', or why not. */
  check(counter: bigint): 'new' | 'replayed' | 'too-old' {
    if (counter > this.highest) return 'new';
    if (this.highest - counter >= BigInt(REPLAY_WINDOW)) return 'too-old';
    return this.seen[Number(counter % BigInt(REPLAY_WINDOW))] === 1 ? 'replayed' : 'new';
  }

  mark(counter: bigint): void {
    if (counter > this.highest) {
      const gap = counter - this.highest;
      if (gap >= BigInt(REPLAY_WINDOW)) this.seen.fill(0);
      else for (let c = this.highest + 1n; c < counter; c++) this.seen[Number(c % BigInt(REPLAY_WINDOW))] = 0;
      this.highest = counter;
    }
    this.seen[Number(counter % BigInt(REPLAY_WINDOW))] = 1;
  }
}
