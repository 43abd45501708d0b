/** `npm run bench:readme`: regenerates the README's performance table from the latest runs. */
import { readFileSync, writeFileSync } from 'node:fs';
import { expectedSuites, loadCheckInputs } from './bench-check.js';
import { README_PATH, renderTable, RESULTS_DIR, withTable } from './readme-table.js';
import { latestRuns } from './results-file.js';

const inputs = loadCheckInputs();
const suites = expectedSuites(inputs);
const readme = readFileSync(README_PATH, 'utf8');
const updated = withTable(readme, renderTable(inputs, latestRuns(RESULTS_DIR, suites), suites));
writeFileSync(README_PATH, updated);
process.stdout.write(updated === readme ? 'README.md: performance table already up to date\n' : 'README.md: performance table regenerated\n');
