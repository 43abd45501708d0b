/**
 * The benchmark report as one static HTML page (no script, no external resource): per suite, a
 * table of every figure (median, p99, ratio) and, for the figures perf/baseline.json guards, a
 * bar chart of this run against the baseline and its limit, green when within it, red when not.
 */
import type { Figure } from '../stats.js';
import type { Baseline } from './baseline.js';
import { checkFigures, type Verdict } from './check.js';

export interface RunRecord {
  startedAt: string;
  quick: boolean;
  host: { cpus: number; load1: number; node: string };
  figures: Figure[];
}

const escape = (text: string) => text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const number = (value: unknown) => (typeof value === 'number' ? String(Number(value.toPrecision(4))) : '');

/** Three bars on one scale: this run, the baseline, the limit. */
function chart(verdict: Verdict): string {
  const values = [verdict.actual ?? 0, verdict.entry.value, verdict.limit];
  const max = Math.max(...values, 1e-12);
  const bar = (y: number, value: number, colour: string, label: string) =>
    `<rect x="90" y="${y}" width="${Math.max(1, (value / max) * 300).toFixed(1)}" height="12" fill="${colour}"/><text x="0" y="${y + 10}" font-size="11">${label}</text><text x="${(95 + (value / max) * 300).toFixed(1)}" y="${y + 10}" font-size="11">${number(value)}</text>`;
  return `<svg width="460" height="48" role="img" aria-label="${escape(verdict.entry.name)}">${bar(0, values[0]!, verdict.ok ? '#2e7d32' : '#c62828', 'this run')}${bar(16, values[1]!, '#607d8b', 'baseline')}${bar(32, values[2]!, '#bdbdbd', `limit (${verdict.entry.better})`)}</svg>`;
}

export function renderReport(run: RunRecord, baseline: Baseline): string {
  const verdicts = checkFigures(baseline, run.figures, { quickOnly: run.quick });
  const suites = [...new Set(run.figures.map((figure) => figure.suite))];
  const regressions = verdicts.filter((verdict) => !verdict.ok);
  const sections = suites.map((suite) => {
    const rows = run.figures
      .filter((figure) => figure.suite === suite)
      .map((figure) => {
        const extra = figure as Figure & { ratio?: number; ratio_vs?: string };
        const guarded = verdicts.find((verdict) => verdict.entry.suite === suite && verdict.entry.name === figure.name);
        return `<tr><td>${escape(figure.name)}</td><td>${escape(figure.unit)}</td><td>${number(figure.median)}</td><td>${number(figure.p99)}</td><td>${extra.ratio !== undefined ? `${number(extra.ratio)} vs ${escape(String(extra.ratio_vs ?? ''))}` : ''}</td><td>${guarded ? chart(guarded) : ''}</td></tr>`;
      })
      .join('\n');
    return `<h2>${escape(suite)}</h2><p><code>${escape(baseline.commands[suite] ?? `npm run bench -- ${suite}`)}</code></p><table><thead><tr><th>figure</th><th>unit</th><th>median</th><th>p99</th><th>ratio</th><th>against perf/baseline.json</th></tr></thead><tbody>${rows}</tbody></table>`;
  });
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>x0tta6bl4 benchmarks ${escape(run.startedAt)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:80em}table{border-collapse:collapse;margin-bottom:2em}td,th{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:middle}.bad{color:#c62828}.good{color:#2e7d32}</style></head>
<body><h1>x0tta6bl4 benchmarks</h1>
<p>Run ${escape(run.startedAt)}${run.quick ? ' (quick)' : ''} on ${run.host.cpus} CPUs, load ${number(run.host.load1)}, Node ${escape(run.host.node)}.</p>
<p class="${regressions.length > 0 ? 'bad' : 'good'}">${regressions.length > 0 ? `${regressions.length} of ${verdicts.length} guarded figures regressed` : `all ${verdicts.length} guarded figures within their tolerance`}.</p>
${sections.join('\n')}
</body></html>
`;
}
