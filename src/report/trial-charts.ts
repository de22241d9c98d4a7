/**
 * The charts of a stored study, drawn from its trial records alone, so the live dashboard (src/cli/dashboard.ts) and
 * the study report draw exactly the same pictures (optuna-dashboard's set): the optimization history (every trial's
 * objective and the best so far, against the trial number or the elapsed time), every trial's learning curve (pruned
 * ones shorter and in another colour), and parallel coordinates (one axis per parameter — log for log-uniform
 * ranges, evenly spaced for choices — plus the objective, lines coloured by it). Pure functions to SVG strings in
 * the style of src/report/svg-charts.ts; every mark carries data-* attributes so tests and readers can check it.
 */
import { paramText, type SearchSpace } from '../hpo/space.ts';
import { bestTrial, objectiveValue, type Objective, type TrialRecord, type TrialState } from '../hpo/trial.ts';
import { axes, esc, H, niceRange, PAD, W } from './svg-charts.ts';

const STATE_COLOR: Record<TrialState, string> = { complete: '#1f77b4', pruned: '#ff7f0e', failed: '#d62728', running: '#2ca02c', waiting: '#999999' };
const fmt = (v: number) => (Number.isFinite(v) ? Number.isInteger(v) && Math.abs(v) < 1e6 ? String(v) : (Math.abs(v) >= 1000 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(2) : v.toPrecision(4)) : '—');

export { bestTrial };

/**
 * Seconds from the study's start to each trial's end. From the wall-clock times the runner records (`detail.startedAt`
 * and `detail.endedAt`), since trials of a population run side by side; for records without them, trials are taken
 * as run one after another in id order (the cumulative sum of their seconds).
 */
export function trialEndTimes(trials: TrialRecord[]): Map<number, number> {
  const out = new Map<number, number>();
  const stamp = (t: TrialRecord, k: 'startedAt' | 'endedAt') => (typeof t.detail?.[k] === 'number' ? (t.detail[k] as number) : null);
  const timed = trials.filter((t) => stamp(t, 'endedAt') !== null && stamp(t, 'startedAt') !== null);
  if (timed.length > 0 && timed.length === trials.filter((t) => t.state !== 'waiting' && t.state !== 'running').length) {
    const t0 = Math.min(...timed.map((t) => stamp(t, 'startedAt')!));
    for (const t of timed) out.set(t.id, (stamp(t, 'endedAt')! - t0) / 1000);
    return out;
  }
  let t = 0;
  for (const r of [...trials].sort((a, b) => a.id - b.id)) {
    t += Number.isFinite(r.seconds) ? r.seconds : 0;
    out.set(r.id, t);
  }
  return out;
}

function frame(kind: string, title: string, body: string, extra = ''): string {
  return `<figure class="trial-chart ${kind}"><figcaption>${esc(title)}</figcaption><svg class="chart ${kind}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" xmlns="http://www.w3.org/2000/svg">
${body}
</svg>${extra}</figure>`;
}

/** Five ticks along x; for counts (trials, epochs) whole numbers only. */
function xTicks(xr: [number, number], x: (v: number) => number, whole = false): string {
  let ticks = Array.from({ length: 5 }, (_, i) => xr[0] + ((xr[1] - xr[0]) * i) / 4);
  if (whole) ticks = [...new Set(ticks.map((t) => Math.round(t)))].filter((t) => t >= xr[0] && t <= xr[1]);
  return `<g class="x-ticks" font-size="11" fill="#444">${ticks.map((t) => `<text x="${x(t).toFixed(1)}" y="${H - PAD.b + 14}" text-anchor="middle">${fmt(t)}</text>`).join('')}</g>`;
}

function empty(kind: string, title: string, why: string): string {
  return frame(kind, title, `<text class="empty" x="${W / 2}" y="${H / 2}" text-anchor="middle" font-size="13" fill="#777">${esc(why)}</text>`);
}

/**
 * Every finished trial's objective (complete ones filled, pruned ones hollow at their last value) and the best
 * value so far among complete trials, against the trial number or the elapsed seconds at each trial's end.
 */
export function optimizationHistory(trials: TrialRecord[], objective: Objective, axis: 'trial' | 'time' = 'trial'): string {
  const kind = axis === 'trial' ? 'history-by-trial' : 'history-by-time';
  const title = `Optimization history: ${objective.name} against ${axis === 'trial' ? 'the trial number' : 'elapsed seconds'}`;
  const ends = trialEndTimes(trials);
  const points = [...trials].sort((a, b) => a.id - b.id).flatMap((t) => {
    const last = t.intermediate.length ? t.intermediate[t.intermediate.length - 1].value : Number.NaN;
    const v = t.state === 'complete' ? objectiveValue(t, objective) : t.state === 'pruned' ? last : Number.NaN;
    return Number.isFinite(v) ? [{ t, v, x: axis === 'trial' ? t.id : ends.get(t.id)! }] : [];
  });
  if (points.length === 0) return empty(kind, title, 'no finished trials yet');
  const sign = objective.direction === 'maximize' ? 1 : -1;
  const xr = niceRange(points.map((p) => p.x));
  const yr = niceRange(points.map((p) => p.v));
  const x = (v: number) => PAD.l + ((W - PAD.l - PAD.r) * (v - xr[0])) / (xr[1] - xr[0]);
  const y = (v: number) => PAD.t + (H - PAD.t - PAD.b) * (1 - (v - yr[0]) / (yr[1] - yr[0]));
  let best = Number.NaN;
  const steps: string[] = [];
  for (const p of points) {
    if (p.t.state !== 'complete') continue;
    const before = best;
    if (!Number.isFinite(best) || sign * p.v > sign * best) best = p.v;
    if (Number.isFinite(before)) steps.push(`${x(p.x).toFixed(1)},${y(before).toFixed(1)}`);
    steps.push(`${x(p.x).toFixed(1)},${y(best).toFixed(1)}`);
  }
  const dots = points.map(({ t, v, x: px }) => {
    const color = STATE_COLOR[t.state];
    return `<circle class="trial" data-trial="${t.id}" data-state="${t.state}" data-value="${v}" cx="${x(px).toFixed(1)}" cy="${y(v).toFixed(1)}" r="3.5" fill="${t.state === 'complete' ? color : 'white'}" stroke="${color}"><title>trial ${t.id} (${t.state}): ${fmt(v)}</title></circle>`;
  });
  const bestLine = steps.length
    ? `<polyline class="best" data-best="${best}" fill="none" stroke="#d62728" stroke-width="1.5" points="${steps.join(' ')}"><title>best so far: ${fmt(best)}</title></polyline>`
    : '';
  return frame(kind, title, `${axes(axis === 'trial' ? 'trial' : 'seconds since the study started (trial ends)', objective.name, yr)}
${xTicks(xr, x, axis === 'trial')}
${bestLine}
${dots.join('\n')}`, legend([['complete', STATE_COLOR.complete], ['pruned (last value)', STATE_COLOR.pruned], ['best so far', '#d62728']]));
}

/** Every trial's learning curve: its intermediate values against the epoch, coloured by state. */
export function intermediateValues(trials: TrialRecord[], objective: Objective): string {
  const title = `Intermediate values: ${objective.name} after each epoch`;
  const curves = trials.filter((t) => t.intermediate.some((v) => Number.isFinite(v.value)));
  if (curves.length === 0) return empty('intermediate-values', title, 'no intermediate values yet');
  const xr: [number, number] = [1, Math.max(2, ...curves.flatMap((t) => t.intermediate.map((v) => v.epoch)))];
  const yr = niceRange(curves.flatMap((t) => t.intermediate.map((v) => v.value)));
  const x = (v: number) => PAD.l + ((W - PAD.l - PAD.r) * (v - xr[0])) / (xr[1] - xr[0]);
  const y = (v: number) => PAD.t + (H - PAD.t - PAD.b) * (1 - (v - yr[0]) / (yr[1] - yr[0]));
  const lines = [...curves].sort((a, b) => (a.state === 'complete' ? 1 : 0) - (b.state === 'complete' ? 1 : 0) || a.id - b.id).map((t) => {
    const pts = t.intermediate.filter((v) => Number.isFinite(v.value)).map((v) => `${x(v.epoch).toFixed(1)},${y(v.value).toFixed(1)}`).join(' ');
    const dash = t.state === 'failed' ? ' stroke-dasharray="4 3"' : '';
    return `<polyline class="curve" data-trial="${t.id}" data-state="${t.state}" data-points="${t.intermediate.length}" fill="none" stroke="${STATE_COLOR[t.state]}" stroke-opacity="0.8" stroke-width="1.2"${dash} points="${pts}"><title>trial ${t.id} (${t.state}), ${t.intermediate.length} epochs</title></polyline>`;
  });
  return frame('intermediate-values', title, `${axes('epoch', objective.name, yr)}
${xTicks(xr, x, true)}
${lines.join('\n')}`, legend((['complete', 'pruned', 'running', 'failed'] as const).map((s) => [s, STATE_COLOR[s]])));
}

interface Axis {
  name: string;
  scale: 'linear' | 'log' | 'category';
  /** Position 0..1 of a value on the axis (0 at the bottom). */
  pos(v: number | boolean | string): number;
  ticks: { label: string; at: number }[];
}

function paramAxis(name: string, spec: SearchSpace[string] | undefined, values: (number | boolean | string)[]): Axis {
  if (!spec || spec.kind === 'choice' || values.some((v) => typeof v !== 'number')) {
    const cats = spec?.kind === 'choice' ? spec.values.map(String) : [...new Set(values.map(String))].sort();
    const at = (i: number) => (cats.length === 1 ? 0.5 : i / (cats.length - 1));
    return { name, scale: 'category', pos: (v) => at(Math.max(0, cats.indexOf(String(v)))), ticks: cats.map((c, i) => ({ label: c, at: at(i) })) };
  }
  const nums = values as number[];
  const log = spec.kind === 'loguniform';
  const f = log ? Math.log10 : (v: number) => v;
  const lo = f(Math.min(spec.low, ...nums)), hi = f(Math.max(spec.high, ...nums));
  const span = hi - lo || 1;
  const pos = (v: number | boolean | string) => (f(Number(v)) - lo) / span;
  const ticks = Array.from({ length: 5 }, (_, i) => {
    const u = lo + (span * i) / 4;
    return { label: fmt(log ? 10 ** u : u), at: i / 4 };
  });
  return { name, scale: log ? 'log' : 'linear', pos, ticks };
}

/** One vertical axis per parameter and one for the objective; a line per complete trial, coloured by its value. */
export function parallelCoordinates(trials: TrialRecord[], space: SearchSpace, objective: Objective): string {
  const title = `Parallel coordinates: parameters and ${objective.name} of complete trials`;
  const done = trials.filter((t) => t.state === 'complete' && Number.isFinite(objectiveValue(t, objective)));
  if (done.length === 0) return empty('parallel-coordinates', title, 'no complete trials yet');
  const names = [...new Set([...Object.keys(space), ...done.flatMap((t) => Object.keys(t.params))])];
  const vals = done.map((t) => objectiveValue(t, objective));
  const [vlo, vhi] = [Math.min(...vals), Math.max(...vals)];
  const objAxis: Axis = {
    name: objective.name, scale: 'linear',
    pos: (v) => (vhi === vlo ? 0.5 : (Number(v) - vlo) / (vhi - vlo)),
    ticks: Array.from({ length: 5 }, (_, i) => ({ label: fmt(vlo + ((vhi - vlo) * i) / 4), at: i / 4 })),
  };
  const list = [...names.map((n) => paramAxis(n, space[n], done.map((t) => t.params[n]).filter((v) => v !== undefined))), objAxis];
  const left = PAD.l, right = W - PAD.r - 40, top = PAD.t + 14, bottom = H - PAD.b;
  const ax = (i: number) => (list.length === 1 ? (left + right) / 2 : left + ((right - left) * i) / (list.length - 1));
  const ay = (p: number) => bottom - (bottom - top) * p;
  // Colour by the objective's rank: the best trials darkest, in either direction.
  const better = (v: number) => (vhi === vlo ? 1 : objective.direction === 'maximize' ? (v - vlo) / (vhi - vlo) : (vhi - v) / (vhi - vlo));
  const color = (q: number) => `hsl(${Math.round(50 + 170 * q)}, 70%, ${Math.round(70 - 40 * q)}%)`;
  const lines = done.map((t) => ({ t, v: objectiveValue(t, objective) })).sort((a, b) => better(a.v) - better(b.v)).map(({ t, v }) => {
    const pts = list.map((a, i) => `${ax(i).toFixed(1)},${ay(a.pos(i === list.length - 1 ? v : (t.params[a.name] ?? NaN))).toFixed(1)}`).join(' ');
    return `<polyline class="pc-line" data-trial="${t.id}" data-value="${v}" fill="none" stroke="${color(better(v))}" stroke-width="1.3" points="${pts}"><title>trial ${t.id}: ${esc(paramText(t.params))} → ${fmt(v)}</title></polyline>`;
  });
  const axesSvg = list.map((a, i) => `<g class="pc-axis" data-param="${esc(a.name)}" data-scale="${a.scale}" font-size="10" fill="#444">
<line x1="${ax(i)}" x2="${ax(i)}" y1="${top}" y2="${bottom}" stroke="#888"/>
<text x="${ax(i)}" y="${top - 6}" text-anchor="middle" font-size="11" font-weight="${i === list.length - 1 ? 'bold' : 'normal'}">${esc(a.name)}${a.scale === 'log' ? ' (log)' : ''}</text>
${a.ticks.map((k) => `<text x="${ax(i) + 4}" y="${(ay(k.at) + 3).toFixed(1)}">${esc(k.label)}</text>`).join('')}
</g>`);
  return frame('parallel-coordinates', title, `${lines.join('\n')}\n${axesSvg.join('\n')}`, legend([['worst', color(0)], ['best', color(1)]]));
}

function legend(items: [string, string][]): string {
  return `<div class="legend"><svg width="${W}" height="18"><text x="${PAD.l}" y="13" font-size="11">${items.map(([n, c]) => `<tspan fill="${c}">■ ${esc(n)}</tspan>`).join('  ')}</text></svg></div>`;
}

/** The four charts of a study, in the order the dashboard and the report show them. */
export function studyCharts(trials: TrialRecord[], space: SearchSpace, objective: Objective): { id: string; svg: string }[] {
  return [
    { id: 'history-by-trial', svg: optimizationHistory(trials, objective, 'trial') },
    { id: 'history-by-time', svg: optimizationHistory(trials, objective, 'time') },
    { id: 'intermediate-values', svg: intermediateValues(trials, objective) },
    { id: 'parallel-coordinates', svg: parallelCoordinates(trials, space, objective) },
  ];
}
