/** What of this thread's V8 heap survived garbage collection: the old and large-object spaces. */
import { getHeapSpaceStatistics } from 'node:v8';

const RETAINED_SPACES = new Set(['old_space', 'large_object_space']);

export function retainedHeapBytes(): number {
  let bytes = 0;
  for (const space of getHeapSpaceStatistics()) if (RETAINED_SPACES.has(space.space_name)) bytes += space.space_used_size;
  return bytes;
}
