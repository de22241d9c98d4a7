/**
 * Two small SVG charts for the self-contained report, written out by hand so the report needs no script or
 * library: a line chart (loss curves) and a dot plot with error bars (search results). Each mark carries data-*
 * attributes so tests and readers can check what was drawn.
 */
export interface Series {
  name: string;
  values: number[];
  color?: string;
}

export const W = 640, H = 300, PAD = { l: 56, r: 16, t: 16, b: 40 };
export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2'];

export function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

export function niceRange(values: number[]): [number, number] {
  const v = values.filter(Number.isFinite);
  if (v.length === 0) return [0, 1];
  let lo = Math.min(...v), hi = Math.max(...v);
  if (lo === hi) { lo -= 0.5; hi += 0.5; }
  const pad = (hi - lo) * 0.05;
  return [lo - pad, hi + pad];
}

export function axes(xLabel: string, yLabel: string, yr: [number, number]): string {
  const ticks = Array.from({ length: 5 }, (_, i) => yr[0] + ((yr[1] - yr[0]) * i) / 4);
  const y = (v: number) => PAD.t + (H - PAD.t - PAD.b) * (1 - (v - yr[0]) / (yr[1] - yr[0]));
  return `<g class="axes" font-size="11" fill="#444">
<line x1="${PAD.l}" y1="${H - PAD.b}" x2="${W - PAD.r}" y2="${H - PAD.b}" stroke="#888"/>
<line x1="${PAD.l}" y1="${PAD.t}" x2="${PAD.l}" y2="${H - PAD.b}" stroke="#888"/>
${ticks.map((t) => `<text x="${PAD.l - 6}" y="${y(t) + 4}" text-anchor="end">${t.toPrecision(3)}</text><line x1="${PAD.l}" x2="${W - PAD.r}" y1="${y(t)}" y2="${y(t)}" stroke="#eee"/>`).join('\n')}
<text x="${(W + PAD.l) / 2}" y="${H - 8}" text-anchor="middle">${esc(xLabel)}</text>
<text x="14" y="${(H - PAD.b) / 2}" text-anchor="middle" transform="rotate(-90 14 ${(H - PAD.b) / 2})">${esc(yLabel)}</text>
</g>`;
}

export function lineChart(title: string, series: Series[], xLabel: string, yLabel: string): string {
  const all = series.flatMap((s) => s.values);
  const yr = niceRange(all);
  const n = Math.max(1, ...series.map((s) => s.values.length));
  const x = (i: number) => PAD.l + ((W - PAD.l - PAD.r) * (n === 1 ? 0.5 : i / (n - 1)));
  const y = (v: number) => PAD.t + (H - PAD.t - PAD.b) * (1 - (v - yr[0]) / (yr[1] - yr[0]));
  const lines = series.map((s, k) => {
    const color = s.color ?? PALETTE[k % PALETTE.length];
    const pts = s.values.map((v, i) => (Number.isFinite(v) ? `${x(i).toFixed(1)},${y(v).toFixed(1)}` : '')).filter(Boolean).join(' ');
    return `<polyline class="series" data-name="${esc(s.name)}" data-points="${s.values.length}" fill="none" stroke="${color}" stroke-width="1.5" points="${pts}"><title>${esc(s.name)}</title></polyline>`;
  });
  const legend = series.map((s, k) => `<tspan fill="${s.color ?? PALETTE[k % PALETTE.length]}">■ ${esc(s.name)}</tspan>`).join('  ');
  return `<figure><figcaption>${esc(title)}</figcaption><svg class="chart line-chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" xmlns="http://www.w3.org/2000/svg">
${axes(xLabel, yLabel, yr)}
${lines.join('\n')}
</svg><div class="legend"><svg width="${W}" height="18"><text x="${PAD.l}" y="13" font-size="11">${legend}</text></svg></div></figure>`;
}

export interface Dot {
  label: string;
  mean: number;
  sd: number;
  failed?: boolean;
}

/** Dots with ±sd bars, one per configuration, in the given order; an optional horizontal reference line. */
export function dotPlot(title: string, dots: Dot[], yLabel: string, reference?: { value: number; label: string }): string {
  const yr = niceRange([...dots.flatMap((d) => [d.mean - d.sd, d.mean + d.sd]), ...(reference ? [reference.value] : [])]);
  const n = Math.max(1, dots.length);
  const x = (i: number) => PAD.l + ((W - PAD.l - PAD.r) * (i + 0.5)) / n;
  const y = (v: number) => PAD.t + (H - PAD.t - PAD.b) * (1 - (v - yr[0]) / (yr[1] - yr[0]));
  const marks = dots.map((d, i) => d.failed || !Number.isFinite(d.mean)
    ? `<text class="failed" x="${x(i)}" y="${H - PAD.b - 6}" text-anchor="middle" font-size="11" fill="#c00">✗<title>${esc(d.label)}: failed</title></text>`
    : `<g class="dot" data-label="${esc(d.label)}" data-mean="${d.mean}" data-sd="${d.sd}">
<line x1="${x(i)}" x2="${x(i)}" y1="${y(d.mean - d.sd)}" y2="${y(d.mean + d.sd)}" stroke="#555"/>
<circle cx="${x(i).toFixed(1)}" cy="${y(d.mean).toFixed(1)}" r="4" fill="#1f77b4"><title>${esc(d.label)}: ${d.mean.toFixed(3)} ± ${d.sd.toFixed(3)}</title></circle></g>`);
  const ref = reference
    ? `<line class="reference" x1="${PAD.l}" x2="${W - PAD.r}" y1="${y(reference.value)}" y2="${y(reference.value)}" stroke="#d62728" stroke-dasharray="4 3"/><text x="${W - PAD.r}" y="${y(reference.value) - 4}" text-anchor="end" font-size="11" fill="#d62728">${esc(reference.label)}</text>`
    : '';
  return `<figure><figcaption>${esc(title)}</figcaption><svg class="chart dot-plot" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" xmlns="http://www.w3.org/2000/svg">
${axes('configurations, best first', yLabel, yr)}
${ref}
${marks.join('\n')}
</svg></figure>`;
}
