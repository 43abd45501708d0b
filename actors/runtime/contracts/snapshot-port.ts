/** Where an actor's persisted state goes: the store in production, anything equivalent in tests. */
export interface PersistedActorRecord {
  /** XState `getPersistedSnapshot()`: plain JSON. */
  snapshot: unknown;
  /** The node run whose mailbox sequence `lastSeq` belongs to. */
  runId: string;
  /** The last mailbox sequence whose effect the snapshot contains. */
  lastSeq: number;
}

export interface SnapshotPort {
  load(actorId: string): PersistedActorRecord | undefined;
  save(actorId: string, record: PersistedActorRecord): void;
}
