/**
 * perf/baseline.json: the figures the benchmark check guards, each with the value of a reference
 * full run, which way is better, and how far it may move the wrong way (a fraction of the value).
 * The check compares a run's figures with it; see check.ts.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

export const BASELINE_PATH = fileURLToPath(new URL('../../../perf/baseline.json', import.meta.url));

const entrySchema = z.strictObject({
  suite: z.string().min(1),
  name: z.string().min(1),
  /** median, p99, or ratio (against the figure's own baseline in the same run). */
  field: z.enum(['median', 'p99', 'ratio']),
  better: z.enum(['lower', 'higher']),
  value: z.number().finite(),
  unit: z.string(),
  tolerance: z.number().min(0),
  /** Checked after a --quick run in CI (ratios, steady enough at reduced counts). */
  quick: z.boolean(),
  measuredAt: z.string(),
});

export const baselineSchema = z.strictObject({
  about: z.string(),
  commands: z.record(z.string(), z.string()),
  figures: z.array(entrySchema).min(1),
});

export type Baseline = z.infer<typeof baselineSchema>;
export type BaselineEntry = z.infer<typeof entrySchema>;

export function loadBaseline(path: string = BASELINE_PATH): Baseline {
  return baselineSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
}
