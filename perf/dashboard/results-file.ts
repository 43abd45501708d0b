/**
 * A suite's results file (perf/results/<suite>-<time>.json and <suite>-latest.json) and the run
 * record of `bench -- all --report` (perf/results/<time>.json): the figures of one run with when
 * it started, whether it was --quick, and the commit it measured. Files written before the commit
 * was recorded are bare arrays of figures; they still read, with what they lack as null (a
 * suite's timestamped file gives its start time by its name).
 */
import { mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { z } from 'zod';
import type { Figure } from '../stats.js';
import { readJsonFile } from './json-file.js';

export const figureSchema = z.looseObject({
  suite: z.string().min(1),
  name: z.string().min(1),
  unit: z.string(),
  n: z.number().int().nonnegative(),
  median: z.number(),
  p99: z.number(),
});

const commitSchema = z.string().regex(/^[0-9a-f]{40}$/, 'a full git commit hash');

const runFileSchema = z.strictObject({
  /** Present in a suite's results file; a run record holds several suites. */
  suite: z.string().min(1).optional(),
  startedAt: z.iso.datetime(),
  quick: z.boolean(),
  commit: commitSchema.nullable(),
  uncommittedChanges: z.boolean().nullable(),
  host: z.strictObject({ cpus: z.number().int().positive(), load1: z.number(), node: z.string() }).optional(),
  figures: z.array(figureSchema),
});

/** The run record `--report` wrote before commits were recorded. */
const legacyRecordSchema = z.strictObject({
  startedAt: z.iso.datetime(),
  quick: z.boolean(),
  host: z.strictObject({ cpus: z.number().int().positive(), load1: z.number(), node: z.string() }),
  figures: z.array(figureSchema),
});

const resultsFileSchema = z.union([runFileSchema, legacyRecordSchema, z.array(figureSchema)]);

export type RunFile = z.infer<typeof runFileSchema>;

/** A run as read: null where an older file does not say. */
export interface Run {
  file: string;
  startedAt: string | null;
  quick: boolean | null;
  commit: string | null;
  uncommittedChanges: boolean | null;
  figures: Figure[];
}

/** `<suite>-2026-11-26T06-13-10.302Z.json` → its start time. */
function startFromName(file: string): string | null {
  const stamp = /-(\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z)\.json$/.exec(basename(file))?.[1];
  return stamp ? stamp.replace(/T(\d\d)-(\d\d)-(\d\d)/, 'T$1:$2:$3') : null;
}

export function readRun(file: string): Run {
  const data = readJsonFile(file, resultsFileSchema);
  const figures = (Array.isArray(data) ? data : data.figures) as Figure[];
  if (Array.isArray(data)) return { file, startedAt: startFromName(file), quick: null, commit: null, uncommittedChanges: null, figures };
  if (!('commit' in data)) return { file, startedAt: data.startedAt, quick: data.quick, commit: null, uncommittedChanges: null, figures };
  return { file, startedAt: data.startedAt, quick: data.quick, commit: data.commit, uncommittedChanges: data.uncommittedChanges, figures };
}

export function latestFile(dir: string, suite: string): string {
  return join(dir, `${suite}-latest.json`);
}

/** The latest run of each suite that has one in `dir`. */
export function latestRuns(dir: string, suites: readonly string[]): Map<string, Run> {
  const present = new Set(readdirSafe(dir));
  const runs = new Map<string, Run>();
  for (const suite of suites) if (present.has(`${suite}-latest.json`)) runs.set(suite, readRun(latestFile(dir, suite)));
  return runs;
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function writeAtomically(file: string, text: string): void {
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}

/**
 * Writes a suite's run to `<dir>/<suite>-<time>.json` and `<dir>/<suite>-latest.json`, each
 * through a temporary file and a rename so a reader never sees half a file.
 */
export function saveSuiteRun(dir: string, run: RunFile & { suite: string }): { run: string; latest: string } {
  mkdirSync(dir, { recursive: true });
  const text = `${JSON.stringify(runFileSchema.parse(run), null, 2)}\n`;
  const files = { run: join(dir, `${run.suite}-${run.startedAt.replaceAll(':', '-')}.json`), latest: latestFile(dir, run.suite) };
  writeAtomically(files.run, text);
  writeAtomically(files.latest, text);
  return files;
}

/** Writes a run record of several suites to `<dir>/<time>.json`. */
export function saveRunRecord(dir: string, run: RunFile): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${run.startedAt.replaceAll(':', '-')}.json`);
  writeAtomically(file, `${JSON.stringify(runFileSchema.parse(run), null, 2)}\n`);
  return file;
}
