/** A check of lib/ turned into a zod refinement: the thrown error's message is the issue. */
import type { z } from 'zod';

export function refineWith(check: (value: string) => unknown) {
  return (value: string, ctx: z.RefinementCtx) => {
    try {
      check(value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
    }
  };
}
