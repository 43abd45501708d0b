// Every file below a folder, depth first, in sorted order (so reports read the same on every file
// system); `skip(entry)` leaves out the files and folders of that name. A missing folder has none.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** @param {string} dir @param {(entry: string) => boolean} [skip] @returns {Generator<string>} */
export function* filesUnder(dir, skip = () => false) {
  let entries;
  try {
    entries = readdirSync(dir).sort();
  } catch {
    return;
  }
  for (const entry of entries) {
    if (skip(entry)) continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) yield* filesUnder(path, skip);
    else yield path;
  }
}
