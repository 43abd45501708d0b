/** `npm run bench:readme`: regenerates the README's performance table from the latest full runs. */
import { readFileSync, writeFileSync } from 'node:fs';
import { loadBaseline } from './baseline.js';
import { latestFigures, README_PATH, renderTable, withTable } from './readme-table.js';

const baseline = loadBaseline();
const readme = readFileSync(README_PATH, 'utf8');
const updated = withTable(readme, renderTable(latestFigures(baseline), baseline));
writeFileSync(README_PATH, updated);
process.stdout.write(updated === readme ? 'README.md: performance table already up to date\n' : 'README.md: performance table regenerated\n');
