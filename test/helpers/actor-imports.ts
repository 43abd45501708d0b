/** Which threads import which instances of the announcing test actor (test/fixtures/announcing-actor.ts), as they do. */
import { BroadcastChannel } from 'node:worker_threads';
import { IMPORT_CHANNEL, type ImportAnnouncement } from '../fixtures/announcing-actor.js';

export interface ActorImports {
  readonly seen: ImportAnnouncement[];
  /** The modules the thread with this id has imported, in order. */
  by(threadId: number): string[];
  /** The thread that imported the module, once one has. */
  threadOf(module: string): number | undefined;
  close(): void;
}

export function recordActorImports(): ActorImports {
  const seen: ImportAnnouncement[] = [];
  const channel = new BroadcastChannel(IMPORT_CHANNEL);
  channel.onmessage = (event) => seen.push((event as { data: ImportAnnouncement }).data);
  return {
    seen,
    by: (threadId) => seen.filter((entry) => entry.threadId === threadId).map((entry) => entry.module),
    threadOf: (module) => seen.find((entry) => entry.module === module)?.threadId,
    close: () => channel.close(),
  };
}
