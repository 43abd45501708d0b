/**
 * What the kernel's scheduler knows about one thread of this process (Linux
 * /proc/<pid>/task/<tid>/schedstat): how long it has run on a core and how long it has waited,
 * runnable, for one. Read from any thread without asking the thread, so it also describes a
 * thread that cannot answer: one that ran and did not answer is hung; one that waited for a core
 * the whole time was never given the chance (a loaded machine), and says nothing yet.
 */
import { readFileSync, readlinkSync } from 'node:fs';

export interface SchedStat {
  /** Time on a core, ms. */
  runMs: number;
  /**
   * Time runnable but waiting for a core, ms. The kernel adds a wait when it ends (the thread gets
   * a core), so a wait still under way is not in it: see `runnable`.
   */
  waitMs: number;
  /** Running or waiting for a core now (state R), as opposed to asleep or blocked. */
  runnable: boolean;
  /**
   * Times the thread gave up its core of its own accord (voluntary context switches: it slept,
   * waited for I/O or a lock, or its event loop went idle), as opposed to being taken off it.
   */
  yields: number;
}

const NS_PER_MS = 1e6;

/** The calling thread's kernel thread id, or 0 where /proc/thread-self is not available. */
export function ownOsThreadId(): number {
  try {
    // '<pid>/task/<tid>'
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(tid) && tid > 0 ? tid : 0;
  } catch {
    return 0;
  }
}

/** The scheduler's times of thread `tid` of this process, or undefined when not known (tid 0, no /proc, the thread gone). */
export function threadSchedStat(tid: number): SchedStat | undefined {
  const times = threadSchedTimes(tid);
  if (!times) return undefined;
  let stat: string;
  let status: string;
  try {
    stat = readFileSync(`/proc/self/task/${tid}/stat`, 'latin1');
    status = readFileSync(`/proc/self/task/${tid}/status`, 'latin1');
  } catch {
    return undefined;
  }
  // The state is the field after the command name, which is in parentheses and may hold spaces.
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  const yields = Number(/^voluntary_ctxt_switches:\s*(\d+)$/m.exec(status)?.[1]);
  return Number.isFinite(yields) ? { ...times, runnable: state === 'R', yields } : undefined;
}

/**
 * Only thread `tid`'s time on a core and waiting for one (ms; waits that ended), from the one file
 * that holds them: cheap enough to read at every liveness tick of every worker.
 */
export function threadSchedTimes(tid: number): Pick<SchedStat, 'runMs' | 'waitMs'> | undefined {
  if (tid <= 0) return undefined;
  let text: string;
  try {
    text = readFileSync(`/proc/self/task/${tid}/schedstat`, 'latin1');
  } catch {
    return undefined;
  }
  const [run, wait] = text.split(' ').map(Number);
  return Number.isFinite(run) && Number.isFinite(wait) ? { runMs: run! / NS_PER_MS, waitMs: wait! / NS_PER_MS } : undefined;
}
