import type { IncidentRun } from './fault-driver';

export interface ReportInput {
  title: string;
  generatedAt: string;
  command: string;
  memoryOn: IncidentRun[];
  memoryOff: IncidentRun[];
}

export const esc = (text: unknown) =>
  String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** Running rate of first-trial success over the fixable incidents, in episode order. */
export function learningCurve(runs: IncidentRun[]): number[] {
  const fixable = runs.filter((r) => r.expectedFixable && r.detected);
  let ok = 0;
  return fixable.map((r, i) => {
    if (r.firstTrialSuccess) ok++;
    return ok / (i + 1);
  });
}

function polyline(values: number[], width: number, height: number, max: number, pad: number): string {
  if (values.length === 0) return '';
  const step = values.length > 1 ? (width - 2 * pad) / (values.length - 1) : 0;
  return values
    .map((v, i) => `${(pad + i * step).toFixed(1)},${(height - pad - (Math.min(v, max) / max) * (height - 2 * pad)).toFixed(1)}`)
    .join(' ');
}

export interface ChartOptions {
  xLabel?: string;
  /** Vertical markers at x positions (index into the values). */
  markers?: { at: number; label: string }[];
}

export function chart(id: string, title: string, series: { name: string; colour: string; values: number[] }[], max: number, unit: string, options: ChartOptions = {}): string {
  const w = 640;
  const h = 260;
  const pad = 36;
  const longest = Math.max(0, ...series.map((s) => s.values.length));
  const step = longest > 1 ? (w - 2 * pad) / (longest - 1) : 0;
  const markers = (options.markers ?? [])
    .map((m) => `<line x1="${(pad + m.at * step).toFixed(1)}" x2="${(pad + m.at * step).toFixed(1)}" y1="${pad}" y2="${h - pad}" stroke="#999" stroke-dasharray="4 3"/><text x="${(pad + m.at * step + 3).toFixed(1)}" y="${pad + 10}" font-size="11" fill="#555">${esc(m.label)}</text>`)
    .join('');
  const lines = series
    .filter((s) => s.values.length > 0)
    .map((s) => `<polyline data-series="${esc(s.name)}" fill="none" stroke="${s.colour}" stroke-width="2.5" points="${polyline(s.values, w, h, max, pad)}"/>`)
    .join('\n');
  const legend = series
    .map((s, i) => `<text x="${pad + i * 120}" y="18" fill="${s.colour}" font-size="13">■ ${esc(s.name)}</text>`)
    .join('');
  const ticks = [0, 0.5, 1]
    .map((f) => {
      const y = h - pad - f * (h - 2 * pad);
      return `<line x1="${pad}" x2="${w - pad}" y1="${y}" y2="${y}" stroke="#ddd"/><text x="4" y="${y + 4}" font-size="11">${esc(unit === '%' ? `${Math.round(f * 100)}%` : `${Math.round(f * max)}${unit}`)}</text>`;
    })
    .join('');
  return `<figure><figcaption>${esc(title)}</figcaption><svg id="${id}" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="${esc(title)}">${ticks}${markers}${legend}${lines}<text x="${w / 2 - 40}" y="${h - 6}" font-size="11">${esc(options.xLabel ?? 'incident (episode order)')}</text></svg></figure>`;
}

function summaryRow(name: string, runs: IncidentRun[]): string {
  const fixable = runs.filter((r) => r.expectedFixable && r.detected);
  const pass1 = fixable.length ? fixable.filter((r) => r.firstTrialSuccess).length / fixable.length : 0;
  const solved = fixable.length ? fixable.filter((r) => r.resolved).length / fixable.length : 0;
  const trials = fixable.length ? fixable.reduce((s, r) => s + r.trials, 0) / fixable.length : 0;
  const ttr = fixable.filter((r) => r.timeToRecoverSeconds !== undefined);
  const meanTtr = ttr.length ? ttr.reduce((s, r) => s + (r.timeToRecoverSeconds ?? 0), 0) / ttr.length : 0;
  const falseActions = runs.reduce((s, r) => s + r.falseActions, 0);
  return `<tr><td>${esc(name)}</td><td>${runs.length}</td><td>${(pass1 * 100).toFixed(0)}%</td><td>${(solved * 100).toFixed(0)}%</td><td>${trials.toFixed(2)}</td><td>${meanTtr.toFixed(0)} s</td><td>${falseActions}</td></tr>`;
}

function timeline(run: IncidentRun): string {
  const trials = run.trialsDetail
    .map((t) => `<li><b>trial ${t.trial}</b>: ${esc(t.action)} (${esc(t.mode)}) → <b class="${t.outcome === 'resolved' ? 'ok' : 'bad'}">${esc(t.outcome)}</b><br><small>why: ${esc(t.why)}</small><br><small>reflection: ${esc(t.reflection)}</small></li>`)
    .join('');
  return `<details><summary>${esc(run.fault)} (seed ${run.seed}) — ${esc(run.outcome ?? (run.detected ? 'no outcome' : 'nothing detected'))}${run.timeToRecoverSeconds !== undefined ? `, recovered in ${run.timeToRecoverSeconds.toFixed(0)} s` : ''}</summary><ol>${trials}</ol></details>`;
}

/** A self-contained HTML report: learning curves (memory on vs off) and a timeline per incident. */
export function renderReport(input: ReportInput): string {
  const ttr = (runs: IncidentRun[]) => runs.filter((r) => r.expectedFixable && r.detected).map((r) => r.timeToRecoverSeconds ?? 0);
  const maxTtr = Math.max(60, ...ttr(input.memoryOn), ...ttr(input.memoryOff));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(input.title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:980px}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td:first-child{text-align:left}.ok{color:#1a7f37}.bad{color:#cf222e}figure{margin:1rem 0}figcaption{font-weight:600}</style>
</head><body>
<h1>${esc(input.title)}</h1>
<p>Generated ${esc(input.generatedAt)} by <code>${esc(input.command)}</code>. Cluster time is simulated; the state machine, handlers and memory code are the production ones.</p>
<table><thead><tr><th>arm</th><th>incidents</th><th>first-trial success</th><th>resolved</th><th>trials / incident</th><th>mean time to recover</th><th>false actions</th></tr></thead>
<tbody>${summaryRow('memory on', input.memoryOn)}${summaryRow('memory off', input.memoryOff)}</tbody></table>
${chart('learning-curve', 'First-trial success, running rate over fixable incidents', [
    { name: 'memory on', colour: '#0969da', values: learningCurve(input.memoryOn) },
    { name: 'memory off', colour: '#bf8700', values: learningCurve(input.memoryOff) },
  ], 1, '%')}
${chart('time-to-recover', 'Time to recover per incident (0 = not recovered)', [
    { name: 'memory on', colour: '#0969da', values: ttr(input.memoryOn) },
    { name: 'memory off', colour: '#bf8700', values: ttr(input.memoryOff) },
  ], maxTtr, ' s')}
<h2>Incidents, memory on</h2>${input.memoryOn.map(timeline).join('\n')}
<h2>Incidents, memory off</h2>${input.memoryOff.map(timeline).join('\n')}
</body></html>`;
}
