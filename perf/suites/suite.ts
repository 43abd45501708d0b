/** What a suite is to the runner: a name, a line of description, and a run that emits figures. */
import type { FigureSink } from '../stats.js';

export interface SuiteContext {
  /** Reduced counts: the quick run of every suite together stays under two minutes. */
  quick: boolean;
  sink: FigureSink;
}

export interface Suite {
  name: string;
  description: string;
  run(context: SuiteContext): Promise<void>;
}
