/**
 * The commit a benchmark run measures, recorded in its results file so the README's table can say
 * which code each figure belongs to. A tree with changes that are not committed is measured as
 * that commit plus those changes, and says so (`uncommittedChanges`); the run's own output
 * (perf/results/, perf/report.html) does not count as a change.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The source tree (this file runs from dist/perf/dashboard/). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface SourceCommit {
  /** Full hash of HEAD, or null outside a git checkout. */
  commit: string | null;
  uncommittedChanges: boolean | null;
}

const RUN_OUTPUT = [':(exclude)perf/results', ':(exclude)perf/report.html'];

function git(args: string[], cwd: string): string | undefined {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return undefined;
  }
}

export function sourceCommit(cwd: string = REPO_ROOT): SourceCommit {
  const head = git(['rev-parse', 'HEAD'], cwd)?.trim();
  if (!head || !/^[0-9a-f]{40}$/.test(head)) return { commit: null, uncommittedChanges: null };
  const status = git(['status', '--porcelain', '--', '.', ...RUN_OUTPUT], cwd);
  return { commit: head, uncommittedChanges: status === undefined ? null : status.trim().length > 0 };
}
