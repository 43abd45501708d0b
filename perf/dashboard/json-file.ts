/**
 * The dashboard's inputs (targets, baseline, gate limits, results files) are files anyone can
 * edit or a run can leave half-written: each is bounded in size before it is parsed, and parsed
 * through its zod schema, so a bad one stops the check with a DashboardInputError naming the file
 * and what is wrong, never with a figure silently missing or a stack trace.
 */
import { readFileSync, statSync } from 'node:fs';
import type { z } from 'zod';

/**
 * The largest input read: a full run of every suite is about 60 KiB today (the bus suite's window
 * sweep is the biggest part); 16 MiB leaves room for years of figures and still refuses a
 * runaway file before it is loaded into memory.
 */
export const MAX_DASHBOARD_FILE_BYTES = 16 * 1024 * 1024;

export class DashboardInputError extends Error {
  override readonly name = 'DashboardInputError';
  constructor(
    readonly file: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`${file}: ${message}`, options);
  }
}

export function readJsonFile<S extends z.ZodType>(file: string, schema: S, maxBytes: number = MAX_DASHBOARD_FILE_BYTES): z.infer<S> {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (error) {
    throw new DashboardInputError(file, 'cannot be read', { cause: error });
  }
  if (size > maxBytes) throw new DashboardInputError(file, `is ${size} bytes, more than the ${maxBytes} allowed`);
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new DashboardInputError(file, `is not JSON: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(document)'}: ${issue.message}`);
    throw new DashboardInputError(file, `does not match its schema:\n  - ${issues.slice(0, 10).join('\n  - ')}${issues.length > 10 ? `\n  (${issues.length - 10} more)` : ''}`);
  }
  return parsed.data as z.infer<S>;
}
