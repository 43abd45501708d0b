/** What a suite is to the runner: a name, a line of description, and a run that emits figures. */
import type { FigureSink } from '../stats.js';

export interface SuiteContext {
  /** Reduced counts: bus and restart quick together stay under two minutes; mape quick keeps its 2-minute quiet run. */
  quick: boolean;
  sink: FigureSink;
}

export interface Suite {
  name: string;
  description: string;
  run(context: SuiteContext): Promise<void>;
}
