/**
 * The host's side of an actor's BusPressure (contracts/actor.ts): one per incarnation, set when the
 * bus pauses or resumes the actor. A listener that throws is the actor's bug, reported by the
 * host as the actor's failure rather than left to break the signal for the other listeners.
 */
import type { BusPressure } from '../contracts/actor.js';

export class BusPressureSignal implements BusPressure {
  private current = false;
  private readonly listeners = new Set<(held: boolean) => void>();

  constructor(private readonly onListenerError: (error: unknown) => void) {}

  get held(): boolean {
    return this.current;
  }

  onChange(listener: (held: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  set(held: boolean): void {
    if (held === this.current) return;
    this.current = held;
    for (const listener of [...this.listeners]) {
      try {
        listener(held);
      } catch (error) {
        this.onListenerError(error);
      }
    }
  }
}
