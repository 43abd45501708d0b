/**
 * perf/baseline.json: the regression baseline, a stored earlier run. For each suite it names the
 * results file it was taken from (with that run's start time and commit), and for each guarded
 * figure the value that run measured, which way is better, and how far a later run may move the
 * wrong way (a fraction of the value) before `bench:check` calls it a regression. A run is only
 * compared with a baseline taken from an earlier run: the run a baseline was taken from is never
 * checked against itself. `npm run bench:baseline -- FILE...` moves the baseline to later runs.
 */
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { readJsonFile } from './json-file.js';
import { figureFieldSchema } from './targets.js';

export const BASELINE_PATH = fileURLToPath(new URL('../../../perf/baseline.json', import.meta.url));

const baselineRunSchema = z.strictObject({
  /** The results file the values come from, relative to the repository. */
  results: z.string().min(1),
  startedAt: z.iso.datetime(),
  commit: z.string().regex(/^[0-9a-f]{40}$/).nullable(),
});

const entrySchema = z.strictObject({
  suite: z.string().min(1),
  name: z.string().min(1),
  field: figureFieldSchema,
  better: z.enum(['lower', 'higher']),
  value: z.number().finite(),
  unit: z.string(),
  tolerance: z.number().min(0),
});

export const baselineSchema = z
  .strictObject({
    about: z.string(),
    runs: z.record(z.string(), baselineRunSchema),
    figures: z.array(entrySchema).min(1),
  })
  .superRefine((baseline, context) => {
    baseline.figures.forEach((entry, index) => {
      if (!baseline.runs[entry.suite]) context.addIssue({ code: 'custom', path: ['figures', index, 'suite'], message: `no run of suite '${entry.suite}' in runs` });
    });
  });

export type Baseline = z.infer<typeof baselineSchema>;
export type BaselineEntry = Baseline['figures'][number];
export type BaselineRun = Baseline['runs'][string];

export function loadBaseline(path: string = BASELINE_PATH): Baseline {
  return readJsonFile(path, baselineSchema);
}
