import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../store/open-store.js';
import { useTempDir } from './fixtures/temp-dir.js';

const tempDir = useTempDir();

const WRITER = fileURLToPath(new URL('./fixtures/heavy-writer.js', import.meta.url));
/** Rows per transaction in the writer. */
const BATCH = 200;
const KILLS = 20;
/** The kill lands this long after the writer reports its store open: always mid-write. */
const MIN_KILL_DELAY_MS = 50;
const MAX_KILL_DELAY_MS = 300;

interface WriterRun {
  /** Complete stdout lines, in order. */
  lines: string[];
  stderr: string;
  signal: NodeJS.Signals | null;
  code: number | null;
}

describe('store durability under SIGKILL', () => {
  let child: ChildProcess | undefined;

  afterEach(async () => {
    const running = child;
    child = undefined;
    if (running !== undefined && running.exitCode === null && running.signalCode === null) {
      const closed = once(running, 'close');
      running.kill('SIGKILL');
      await closed;
    }
  });

  /** Starts the writer, SIGKILLs it a random delay after it reports ready, and resolves once it is reaped. */
  async function runAndKill(file: string): Promise<WriterRun> {
    const writer = spawn(process.execPath, [WRITER, file, String(BATCH)], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = writer;
    let stdout = '';
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    writer.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    writer.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      if (timer === undefined && stdout.length === 0) {
        const delay = MIN_KILL_DELAY_MS + Math.random() * (MAX_KILL_DELAY_MS - MIN_KILL_DELAY_MS);
        timer = setTimeout(() => writer.kill('SIGKILL'), delay);
      }
      stdout += chunk;
    });
    const [code, signal] = (await once(writer, 'close')) as [number | null, NodeJS.Signals | null];
    clearTimeout(timer);
    child = undefined;
    // A line cut by the kill has no newline yet: it was never fully reported, so it is dropped.
    const lines = stdout.split('\n').slice(0, -1);
    return { lines, stderr, signal, code };
  }

  it(`keeps every reported commit and stays intact across ${KILLS} kills mid-write`, async () => {
    const file = join(tempDir(), 'crash.db');
    let committedMax = 0;
    let reportedTotal = 0;

    for (let kill = 1; kill <= KILLS; kill++) {
      const run = await runAndKill(file);
      expect(run, `writer exited on its own: ${run.stderr}`).toMatchObject({ signal: 'SIGKILL', code: null });
      expect(run.lines[0]).toBe('ready');
      const reported = run.lines.slice(1).map(Number);
      // Each report is the next whole batch after what the file held when the writer started.
      reported.forEach((id, i) => expect(id).toBe(committedMax + (i + 1) * BATCH));
      reportedTotal += reported.length;
      const lastReported = reported.at(-1) ?? committedMax;

      const db = openStore(file);
      try {
        expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
        const { rows, max } = db
          .prepare<[], { rows: number; max: number }>('SELECT count(*) AS rows, coalesce(max(id), 0) AS max FROM crash_rows')
          .get()!;
        // Every reported commit is there; at most the one batch committed but not yet reported is
        // beyond it, and whole (transactions are atomic).
        expect([lastReported, lastReported + BATCH]).toContain(max);
        // No holes: ids are exactly 1..max.
        expect(rows).toBe(max);
        committedMax = max;
      } finally {
        db.close();
      }
    }
    expect(reportedTotal).toBeGreaterThan(0);
  });
});
