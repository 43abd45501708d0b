/**
 * The benchmark report as one static HTML page (no script, no external resource): per suite, a
 * table of every figure (median, p99, ratio, target and whether it is met) and, for the figures
 * perf/baseline.json guards, a bar chart of this run against the baseline and its limit, green
 * when within it, red when not. A run is not compared with the baseline when it is not later than
 * the baseline's run (regression-check.ts); the page then says so instead of drawing charts.
 */
import type { Figure } from '../stats.js';
import type { CheckInputs } from './bench-check.js';
import { checkRegressions, type RegressionVerdict } from './regression-check.js';
import type { Run, RunFile } from './results-file.js';
import { checkTarget } from './target-check.js';
import { describeTarget } from './targets.js';

const escape = (text: string) => text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const number = (value: unknown) => (typeof value === 'number' ? String(Number(value.toPrecision(4))) : '');

/** Three bars on one scale: this run, the baseline, the limit. */
function chart(verdict: RegressionVerdict): string {
  const values = [verdict.actual ?? 0, verdict.entry.value, verdict.limit];
  const max = Math.max(...values, 1e-12);
  const bar = (y: number, value: number, colour: string, label: string) =>
    `<rect x="90" y="${y}" width="${Math.max(1, (value / max) * 300).toFixed(1)}" height="12" fill="${colour}"/><text x="0" y="${y + 10}" font-size="11">${label}</text><text x="${(95 + (value / max) * 300).toFixed(1)}" y="${y + 10}" font-size="11">${number(value)}</text>`;
  return `<svg width="460" height="48" role="img" aria-label="${escape(verdict.entry.name)}">${bar(0, values[0]!, verdict.ok ? '#2e7d32' : '#c62828', 'this run')}${bar(16, values[1]!, '#607d8b', 'baseline')}${bar(32, values[2]!, '#bdbdbd', `limit (${verdict.entry.better})`)}</svg>`;
}

export function renderReport(record: RunFile, inputs: CheckInputs): string {
  const suites = [...new Set(record.figures.map((figure) => figure.suite))];
  const runs = new Map<string, Run>(suites.map((suite) => [suite, { ...record, file: `run of ${record.startedAt}`, figures: record.figures.filter((figure) => figure.suite === suite) }]));
  const regressions = checkRegressions(inputs.baseline, inputs.targets.targets, runs);
  const regressed = regressions.verdicts.filter((verdict) => !verdict.ok);
  const sections = suites.map((suite) => {
    const rows = runs
      .get(suite)!
      .figures.map((figure: Figure) => {
        const targets = inputs.targets.targets.filter((target) => target.suite === suite && target.name === figure.name);
        const verdicts = targets.map((target) => checkTarget(target, runs.get(suite)));
        const goal = verdicts.map((verdict) => `${escape(describeTarget(verdict.target))}: <span class="${verdict.status === 'met' ? 'good' : 'bad'}">${verdict.status}</span>`).join('<br>');
        const guarded = regressions.verdicts.find((verdict) => verdict.entry.suite === suite && verdict.entry.name === figure.name);
        const ratio = typeof figure['ratio'] === 'number' ? `${number(figure['ratio'])} vs ${escape(String(figure['ratio_vs'] ?? ''))}` : '';
        return `<tr><td>${escape(figure.name)}</td><td>${escape(figure.unit)}</td><td>${number(figure.median)}</td><td>${number(figure.p99)}</td><td>${ratio}</td><td>${goal}</td><td>${guarded ? chart(guarded) : ''}</td></tr>`;
      })
      .join('\n');
    const notCompared = regressions.notCompared.find((entry) => entry.suite === suite);
    return `<h2>${escape(suite)}</h2><p><code>npm run bench -- ${escape(suite)}</code>${notCompared ? `<br>Not compared with the baseline: ${escape(notCompared.why)}` : ''}</p><table><thead><tr><th>figure</th><th>unit</th><th>median</th><th>p99</th><th>ratio</th><th>target</th><th>against perf/baseline.json</th></tr></thead><tbody>${rows}</tbody></table>`;
  });
  const host = record.host ? ` on ${record.host.cpus} CPUs, load ${number(record.host.load1)}, Node ${escape(record.host.node)}` : '';
  const commit = record.commit ? `, commit ${escape(record.commit.slice(0, 12))}${record.uncommittedChanges ? ' with uncommitted changes' : ''}` : '';
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>x0tta6bl4 benchmarks ${escape(record.startedAt)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:80em}table{border-collapse:collapse;margin-bottom:2em}td,th{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:middle}.bad{color:#c62828}.good{color:#2e7d32}</style></head>
<body><h1>x0tta6bl4 benchmarks</h1>
<p>Run ${escape(record.startedAt)}${record.quick ? ' (quick)' : ''}${host}${commit}.</p>
<p class="${regressed.length > 0 ? 'bad' : 'good'}">${regressed.length > 0 ? `${regressed.length} of ${regressions.verdicts.length} guarded figures regressed` : `all ${regressions.verdicts.length} compared figures within their limits`}.</p>
${sections.join('\n')}
</body></html>
`;
}
