/**
 * The receive side's replay protection for one key (as IPsec's and WireGuard's): the highest
 * counter accepted and which of the WINDOW counters below it were seen. A counter above the
 * highest, or within the window and unseen, is new; anything else is a replay or too old.
 * Marking happens only after the frame authenticated, so forged frames cannot burn counters.
 * Counters are safe integers: the channel refuses any beyond its per-key cap before asking.
 */
export const REPLAY_WINDOW = 1024;

export class ReplayWindow {
  private highest = -1;
  private readonly seen = new Uint8Array(REPLAY_WINDOW);

  /** 'new', or why not. */
  check(counter: number): 'new' | 'replayed' | 'too-old' {
    if (counter > this.highest) return 'new';
    if (this.highest - counter >= REPLAY_WINDOW) return 'too-old';
    return this.seen[counter % REPLAY_WINDOW] === 1 ? 'replayed' : 'new';
  }

  mark(counter: number): void {
    if (counter > this.highest) {
      const gap = counter - this.highest;
      if (gap >= REPLAY_WINDOW) this.seen.fill(0);
      else for (let c = this.highest + 1; c < counter; c++) this.seen[c % REPLAY_WINDOW] = 0;
      this.highest = counter;
    }
    this.seen[counter % REPLAY_WINDOW] = 1;
  }
}
