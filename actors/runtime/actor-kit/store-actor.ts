/**
 * An actor whose machine works over the knowledge base: it opens its own connection to the
 * node's store when its machine is built (one connection per thread, ARCHITECTURE.md) and closes
 * it when the actor stops, so a recycled thread holds nothing of it.
 */
import type { Database } from 'better-sqlite3';
import type { AnyStateMachine } from 'xstate';
import { openStore } from '../../../store/open-store.js';
import { defineActor, type ActorDefinition, type ActorIo } from '../contracts/actor.js';

export function defineStoreActor(build: (db: Database, io: ActorIo) => AnyStateMachine): ActorDefinition {
  let db: Database | undefined;
  return defineActor({
    createMachine(io) {
      db?.close();
      db = openStore(io.databasePath);
      return build(db, io);
    },
    dispose() {
      db?.close();
      db = undefined;
    },
  });
}
