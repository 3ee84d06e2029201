import type { StreamBenchReport } from '../bench/stream';
import { ARM_HEADER, armRows, COMPARISON_HEADER, comparisonRows } from '../bench/stream-markdown';
import type { Arm, ArmMetrics, StreamIncident } from '../bench/stream-metrics';
import { chart, esc } from './report';

/**
 * The stream benchmark's HTML report (also the demo's): learning curves
 * (first-trial success by position in the stream, every arm), cumulative
 * regret against the oracle, the tables of bench.md, and the decisions of
 * the first stream with each one's "why" (the context it learned from).
 */

export const ARM_COLOURS: Record<Arm, string> = {
  'memory-on': '#0969da',
  'memory-off': '#bf8700',
  'reasoner-only': '#8250df',
  shuffled: '#cf222e',
  oracle: '#1a7f37',
};

/** Trailing mean over the last `window` positions that have a value (positions without one carry the last mean). */
export function smooth(values: readonly (number | null)[], window: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const seen = values.slice(Math.max(0, i - window + 1), i + 1).filter((v): v is number => v !== null);
    out.push(seen.length ? seen.reduce((a, b) => a + b, 0) / seen.length : (out[i - 1] ?? 0));
  }
  return out;
}

/** Markdown table rows (from bench.md) as HTML rows. */
function table(header: string[], rows: string[]): string {
  const cells = (line: string) => line.split('|').slice(1, -1).map((c) => c.trim());
  return `<table><thead><tr>${cells(header[0]!).map((c) => `<th>${esc(c)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${cells(r).map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

function decisionList(records: readonly StreamIncident[]): string {
  return records
    .map((r) => {
      const verdict = r.control ? (r.writes === 0 ? 'left alone (right)' : `${r.writes} write(s) on a control`) : r.firstTrialSuccess ? 'fixed by the first action' : r.success ? `fixed after ${r.trials} trials` : 'not fixed';
      const trials = r.decisions
        .map((d) => `<li><b>trial ${d.trial}</b>: ${esc(d.action)} (${esc(d.mode)}) → <b class="${d.outcome === 'resolved' ? 'ok' : 'bad'}">${esc(d.outcome)}</b>, ${d.durationSeconds.toFixed(0)} s<br><small>why: ${esc(d.why)}</small></li>`)
        .join('');
      return `<details data-arm="${esc(r.arm)}"><summary>#${r.index} ${esc(r.family)} — hidden cause <i>${esc(r.truth.cause)}</i>: <span class="${r.firstTrialSuccess ? 'ok' : 'bad'}">${esc(verdict)}</span></summary><ol>${trials}</ol></details>`;
    })
    .join('\n');
}

export function renderStreamReport(report: StreamBenchReport, records: readonly StreamIncident[], options: { title?: string; intro?: string } = {}): string {
  const arms = Object.entries(report.arms) as [Arm, ArmMetrics][];
  const window = Math.max(1, Math.round(report.config.length / 8));
  const markers = [
    { at: report.config.lateFrom, label: 'late window' },
    ...(report.families.some((f) => f.shift) && report.config.shiftAt < report.config.length ? [{ at: report.config.shiftAt, label: 'cause mix shifts' }] : []),
  ];
  const xLabel = `position in the stream (mean over ${report.config.streams} streams)`;
  const learning = chart(
    'learning-curve',
    `First-trial success by position in the stream (trailing mean over ${window} positions)`,
    arms.map(([arm, m]) => ({ name: arm, colour: ARM_COLOURS[arm], values: smooth(m.curves.firstTrialSuccess, window) })),
    1,
    '%',
    { xLabel, markers },
  );
  const maxRegret = Math.max(1, ...arms.map(([, m]) => m.curves.cumulativeRegret.at(-1) ?? 0));
  const regret = chart(
    'regret-curve',
    'Cumulative regret against the oracle: wrong first actions so far',
    arms.map(([arm, m]) => ({ name: arm, colour: ARM_COLOURS[arm], values: m.curves.cumulativeRegret })),
    maxRegret,
    '',
    { xLabel, markers },
  );
  const maxMinutes = Math.max(1, ...arms.map(([, m]) => m.curves.cumulativeExtraMinutes.at(-1) ?? 0));
  const minutes = chart(
    'regret-minutes',
    'Cumulative regret against the oracle: extra minutes to recover so far',
    arms.map(([arm, m]) => ({ name: arm, colour: ARM_COLOURS[arm], values: m.curves.cumulativeExtraMinutes })),
    maxMinutes,
    ' min',
    { xLabel, markers },
  );
  const firstStream = records.filter((r) => r.stream === 0).sort((a, b) => a.index - b.index);
  const decisions = (['memory-on', 'memory-off', 'reasoner-only', 'shuffled'] as const)
    .map((arm) => [arm, firstStream.filter((r) => r.arm === arm)] as const)
    .filter(([, rs]) => rs.length > 0)
    .map(([arm, rs]) => `<h3>${esc(arm)}</h3>${decisionList(rs)}`)
    .join('\n');
  const t = report.throughput;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(options.title ?? 'eks-reflexion stream bench')}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:1100px}table{border-collapse:collapse;margin:.5rem 0 1rem}td,th{border:1px solid #ccc;padding:3px 6px;text-align:right;font-size:13px}td:first-child{text-align:left}.ok{color:#1a7f37}.bad{color:#cf222e}figure{margin:1rem 0}figcaption{font-weight:600}</style>
</head><body>
<h1>${esc(options.title ?? 'eks-reflexion stream bench')}</h1>
${options.intro ? `<p>${esc(options.intro)}</p>` : ''}
<p>Generated ${esc(report.updatedAt)} by <code>${esc(report.command)}</code>${report.complete ? '' : ' — <b>partial</b>: the figures cover the incidents measured so far'}. ${report.config.streams} streams × ${report.config.length} incidents; ${t.incidentsRun} incidents run in ${t.wallSeconds.toFixed(0)} s (${t.incidentsPerSecond.toFixed(2)}/s). Success is each scenario's oracle; the oracle arm is computed from ground truth. Cluster time is simulated; the state machine, handlers and memory code are the production ones.</p>
${report.skippedArms.map((s) => `<p>Arm <b>${esc(s.arm)}</b> not run: ${esc(s.reason)}.</p>`).join('')}
${learning}
${regret}
${minutes}
<h2>Arms, all families</h2>
${table(ARM_HEADER, armRows(report.arms))}
<h2>memory-on against each baseline</h2>
${table(COMPARISON_HEADER, [
    ...comparisonRows('all families', report.comparisons),
    ...comparisonRows('remedy depends on cause', report.groups.latent.comparisons),
    ...comparisonRows('remedy fixed', report.groups.fixed.comparisons),
    ...Object.entries(report.perFamily).flatMap(([name, f]) => comparisonRows(name, f.comparisons.filter((c) => c.metric === 'lateFirstTrialSuccess'))),
  ])}
<h2>Families and who wrote them</h2>
<ul>${report.families.map((f) => `<li><b>${esc(f.name)}</b> by ${esc(f.authors.join(', ') || '—')}: causes ${esc(f.causes.join(', '))}${f.latentChoice ? '' : ' (the right remedy does not depend on the cause)'}</li>`).join('')}</ul>
<h2>Decisions of stream 0</h2>
${decisions}
</body></html>`;
}
