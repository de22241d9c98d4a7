/** The suite's report as a terminal table: one line per result, then the speedups against peers and variants. */
import { rowLabel, runsOn, type BenchReport, type BenchResult } from './result.ts';

const num = (v: number, d = 2) => (Number.isFinite(v) ? v.toFixed(d) : '—');

export function metric(r: BenchResult): string {
  if (r.gflops !== undefined) return `${num(r.gflops)} GFLOP/s`;
  if (r.gbps !== undefined) return `${num(r.gbps)} GB/s`;
  if (r.msPerStep !== undefined) return `${num(r.msPerStep, 3)} ms/step`;
  if (r.usPerDispatch !== undefined) return `${num(r.usPerDispatch, 1)} µs`;
  return '';
}

function ms(s: { median: number; min: number; max: number } | undefined): string {
  if (!s || !Number.isFinite(s.median)) return '—';
  const d = s.median < 1 ? 4 : s.median < 100 ? 2 : 0;
  return `${s.median.toFixed(d)} [${s.min.toFixed(d)}-${s.max.toFixed(d)}]`;
}

export function resultLine(r: BenchResult): string {
  return `${r.kernel.padEnd(24)} ${r.shape.padEnd(34)} ${rowLabel(r.impl, r.backend, r.threads).padEnd(20)} ${metric(r).padStart(16)}  ${ms(r.ms).padEnd(26)} ${ms(r.readbackMs).padEnd(26)}${r.note?.startsWith('skipped') ? `  ${r.note}` : ''}`;
}

export const HEADER = `${'kernel'.padEnd(24)} ${'shape'.padEnd(34)} ${'impl'.padEnd(20)} ${'rate'.padStart(16)}  ${'ms median [min-max]'.padEnd(26)} ${'with readback, ms'.padEnd(26)}`;

/** Peers, then the speedups of shadergrad against every other row of the same kernel and shape. */
export function formatSummary(rep: BenchReport): string {
  const lines = [`${rep.command}: ${rep.seconds.toFixed(0)} s on ${rep.adapter.name}; ${rep.host.platform}, ${rep.host.cores ?? '?'} cores, ${rep.host.runtime}`];
  for (const p of rep.peers) lines.push(`peer ${p.impl}: ${p.note}`);
  if (rep.ratios.length > 0) {
    lines.push('', `speedup = the other's median ms ÷ shadergrad's (> 1: shadergrad is faster)`);
    lines.push(`${'kernel'.padEnd(24)} ${'shape'.padEnd(34)} ${'shadergrad on'.padEnd(16)} ${'vs'.padEnd(32)} ${'speedup'.padStart(9)} ${'with readback'.padStart(14)}`);
    for (const q of rep.ratios) {
      const on = q.backend ? runsOn(q.backend, q.threads) : '';
      lines.push(`${q.kernel.padEnd(24)} ${q.shape.padEnd(34)} ${on.padEnd(16)} ${rowLabel(q.peer, q.peerBackend, q.peerThreads).padEnd(32)} ${`${num(q.speedup)}×`.padStart(9)} ${(q.speedupWithReadback ? `${num(q.speedupWithReadback)}×` : '—').padStart(14)}`);
    }
  }
  return lines.join('\n');
}

/** The whole report: every result, then the summary. */
export function formatReport(rep: BenchReport): string {
  return [HEADER, ...rep.results.map(resultLine), '', formatSummary(rep)].join('\n');
}
