/**
 * What the benchmark suite reports: one row per (kernel, shape, implementation), the peers that ran or why not, and
 * speedups against each peer. `ms` is the work alone (queued, then waited for without reading anything back);
 * `readbackMs`, where given, is the same work followed by reading its output to the host.
 */
import type { AdapterSummary } from '../gpu/adapter-info.ts';
import type { Spread } from './timing.ts';

export interface BenchResult {
  kernel: string;
  shape: string;
  /** 'shadergrad' (the kernel the library picks), 'shadergrad:<variant>', or a peer: 'tfjs-webgpu', 'pytorch-cpu', 'numpy'. */
  impl: string;
  gflops?: number;
  gbps?: number;
  msPerStep?: number;
  /** Population rows: models trained at once, and model-steps per second (models × steps / s). */
  models?: number;
  modelStepsPerSecond?: number;
  usPerDispatch?: number;
  ms: Spread;
  readbackMs?: Spread;
  runs: number;
  note?: string;
}

export interface PeerStatus {
  impl: string;
  available: boolean;
  version?: string;
  /** Why a peer did not run (not installed, no adapter), or how it ran (threads). */
  note: string;
}

/**
 * speedup = the other row's median ms ÷ shadergrad's median ms for the same kernel and shape (> 1: shadergrad is
 * faster). `peer` is another library, or one of our variants ('shadergrad:tiled', 'shadergrad:dense') that the
 * library's choice ('shadergrad') is compared with.
 */
export interface Ratio {
  kernel: string;
  shape: string;
  peer: string;
  speedup: number;
  /** The same with readback on both sides, where both have it. */
  speedupWithReadback?: number;
}

export interface BenchReport {
  adapter: AdapterSummary & { name: string };
  command: string;
  host: { platform: string; cores: number | null; runtime: string };
  seconds: number;
  peers: PeerStatus[];
  results: BenchResult[];
  ratios: Ratio[];
}

/** Ratios of every other row to the shadergrad row of the same kernel and shape. */
export function ratios(results: BenchResult[]): Ratio[] {
  const ours = new Map(results.filter((r) => r.impl === 'shadergrad').map((r) => [`${r.kernel}|${r.shape}`, r]));
  const out: Ratio[] = [];
  for (const r of results) {
    const o = ours.get(`${r.kernel}|${r.shape}`);
    if (!o || r.impl === 'shadergrad' || !(r.ms.median > 0)) continue;
    const ratio: Ratio = { kernel: r.kernel, shape: r.shape, peer: r.impl, speedup: r.ms.median / o.ms.median };
    if (r.readbackMs && o.readbackMs) ratio.speedupWithReadback = r.readbackMs.median / o.readbackMs.median;
    out.push(ratio);
  }
  return out;
}
