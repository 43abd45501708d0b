/** Messages taken out of a mailbox by a remediation, kept for an operator to inspect or replay. */
import type { Database } from 'better-sqlite3';

export interface DeadLetter {
  id: number;
  actor: string;
  topic: string;
  payload: unknown;
  sender: string;
  reason: string;
  at: number;
}

export interface DeadLetterStore {
  /** Stores the messages in one transaction; payloads that are not JSON, or too deep for SQLite's, are kept as null. */
  add(letters: readonly Omit<DeadLetter, 'id'>[]): void;
  list(actor?: string): DeadLetter[];
}

export function createDeadLetterStore(db: Database): DeadLetterStore {
  // A payload SQLite's JSON does not take (nested deeper than its limit of 1,000) is kept as null
  // like one that is not JSON at all: the letter itself (actor, topic, sender, reason) is not lost.
  const insert = db.prepare<[string, string, string | null, string | null, string, string, number]>(
    'INSERT INTO dead_letters (actor, topic, payload, sender, reason, at) VALUES (?, ?, CASE WHEN json_valid(?) THEN ? END, ?, ?, ?)',
  );
  const all = db.prepare<[], DeadLetter & { payload: string | null }>('SELECT * FROM dead_letters ORDER BY id');
  const byActor = db.prepare<[string], DeadLetter & { payload: string | null }>('SELECT * FROM dead_letters WHERE actor = ? ORDER BY id');
  const addAll = db.transaction((letters: readonly Omit<DeadLetter, 'id'>[]) => {
    for (const letter of letters) {
      const payload = jsonOrNull(letter.payload);
      insert.run(letter.actor, letter.topic, payload, payload, letter.sender, letter.reason, letter.at);
    }
  });
  return {
    add: (letters) => addAll.immediate(letters),
    list: (actor) =>
      (actor === undefined ? all.all() : byActor.all(actor)).map((row) => ({
        ...row,
        payload: row.payload === null ? null : (JSON.parse(row.payload) as unknown),
      })),
  };
}

function jsonOrNull(value: unknown): string | null {
  try {
    return JSON.stringify(value) ?? null;
  } catch {
    return null;
  }
}
