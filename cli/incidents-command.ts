/**
 * `x0tta6bl4 incidents [--since DURATION] [--json]`: the knowledge base's incidents with their
 * phases, cause, actions and outcomes. Reads the store file directly, read-only, so it works
 * while the node runs (WAL readers do not block it) and after it stopped or crashed.
 */
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ms from 'ms';
import { DATABASE_FILE_NAME } from '../actors/runtime/index.js';
import { readIncidentReport } from '../store/mape-status.js';
import { configFromFlags, type ConfigFlags } from './command-config.js';
import { formatIncidents } from './format-incidents.js';
import { UsageError } from './usage-error.js';

export async function incidentsCommand(flags: ConfigFlags & { since?: string; json?: boolean }): Promise<void> {
  const config = configFromFlags(flags);
  const sinceMs = flags.since === undefined ? undefined : Date.now() - parseDuration(flags.since);
  const file = join(resolve(config.dataDir), DATABASE_FILE_NAME);
  if (!existsSync(file)) throw new UsageError(`no knowledge base at ${file}: has a node run with this data directory?`);
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const incidents = readIncidentReport(db, sinceMs === undefined ? {} : { sinceMs });
    process.stdout.write(flags.json ? `${JSON.stringify(incidents, null, 2)}\n` : formatIncidents(incidents));
  } finally {
    db.close();
  }
}

/** `90s`, `10m`, `2h`, `7d` (the `ms` package's forms); a bare number is milliseconds. */
export function parseDuration(text: string): number {
  let value: number | undefined;
  try {
    value = ms(text as ms.StringValue);
  } catch {
    // ms throws on an empty or over-long string: the same usage error as any other non-duration.
    value = undefined;
  }
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new UsageError(`--since: '${text}' is not a duration (examples: 90s, 10m, 2h, 7d)`);
  }
  return value;
}
