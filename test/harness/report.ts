/**
 * Pieces of the HTML reports (the stream bench's and the demo's,
 * test/harness/stream-report.ts): escaping and inline-SVG line charts, so a
 * report is one self-contained file.
 */

export const esc = (text: unknown) =>
  String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

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
