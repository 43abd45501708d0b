/**
 * The node's actors by id: every actor cell of the supervision tree, registered once when the tree
 * is built. The bus router looks receivers up here (requests, backpressure on a sender); the node's
 * API, the sampler and remediations find the actor they are about here. It routes nothing.
 */
import type { ActorCell } from '../supervision/actor-cell.js';
import { UnknownActorError } from '../errors.js';

export class ActorRegistry {
  private readonly cells = new Map<string, ActorCell>();

  add(cell: ActorCell): void {
    this.cells.set(cell.id, cell);
  }

  /** The actor's cell; UnknownActorError when no actor has that id. */
  get(actorId: string): ActorCell {
    const cell = this.cells.get(actorId);
    if (!cell) throw new UnknownActorError(actorId);
    return cell;
  }

  /** The actor's cell, or undefined when no actor has that id. */
  find(actorId: string): ActorCell | undefined {
    return this.cells.get(actorId);
  }

  /** Every actor cell, in the order they were added. */
  all(): ActorCell[] {
    return [...this.cells.values()];
  }
}
