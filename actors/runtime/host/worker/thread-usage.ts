/**
 * What the calling thread uses, read from inside it: its retained heap (V8) and its own CPU time
 * (Linux's /proc/thread-self). CPU time, unlike event-loop utilisation, does not grow when the
 * machine is busy and the thread waits for a core, so a starved thread is not taken for a hog.
 */
import { readFileSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';

const RETAINED_SPACES = new Set(['old_space', 'large_object_space']);
/** /proc reports CPU times in USER_HZ ticks, 100 per second on Linux whatever the kernel's HZ. */
const MS_PER_TICK = 10;

/** The old and large-object spaces: what survived garbage collection. */
export function retainedHeapBytes(): number {
  let bytes = 0;
  for (const space of getHeapSpaceStatistics()) if (RETAINED_SPACES.has(space.space_name)) bytes += space.space_used_size;
  return bytes;
}

/** CPU time (user + system) of the calling thread in ms, or -1 where /proc/thread-self is not available. */
export function threadCpuMs(): number {
  return procCpuMs('/proc/thread-self/stat');
}

/** CPU time (user + system) in ms from a /proc stat file (a process's: all its threads), or -1 where it cannot be read. */
export function procCpuMs(statPath: string): number {
  let stat: string;
  try {
    stat = readFileSync(statPath, 'latin1');
  } catch {
    return -1;
  }
  // The command name (field 2) is in parentheses and may contain spaces: count fields after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) * MS_PER_TICK : -1;
}
