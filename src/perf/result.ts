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
  /** Training-step rows: where it ran ('cpu' or 'webgpu'), and on how many CPU threads (null: the adapter's business). */
  backend?: 'cpu' | 'webgpu';
  threads?: number | null;
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
  /** Where the rows carry them: our row's backend and threads, and the other row's. */
  backend?: 'cpu' | 'webgpu';
  threads?: number | null;
  peerBackend?: 'cpu' | 'webgpu';
  peerThreads?: number | null;
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

/**
 * Ratios of every other row to the shadergrad row(s) of the same kernel and shape. Where a kernel has a shadergrad
 * row per backend (the training steps), the WebGPU row is set against every other row, as ever, and the CPU row
 * against the rows that ran on a CPU (PyTorch at each thread count) and against the WebGPU row.
 */
export function ratios(results: BenchResult[]): Ratio[] {
  const ours = new Map<string, BenchResult[]>();
  for (const r of results.filter((x) => x.impl === 'shadergrad')) {
    const key = `${r.kernel}|${r.shape}`;
    ours.set(key, [...(ours.get(key) ?? []), r]);
  }
  const out: Ratio[] = [];
  for (const o of [...ours.values()].flat()) {
    for (const r of results) {
      if (r === o || r.kernel !== o.kernel || r.shape !== o.shape || !(r.ms.median > 0)) continue;
      if (o.backend === 'cpu' ? r.backend !== 'cpu' && !(r.impl === 'shadergrad' && r.backend === 'webgpu') : r.impl === 'shadergrad') continue;
      if (o.backend === 'cpu' && r.impl === 'shadergrad' && r.backend === 'cpu') continue;
      const ratio: Ratio = { kernel: r.kernel, shape: r.shape, peer: r.impl, speedup: r.ms.median / o.ms.median };
      if (r.readbackMs && o.readbackMs) ratio.speedupWithReadback = r.readbackMs.median / o.readbackMs.median;
      if (o.backend !== undefined) Object.assign(ratio, { backend: o.backend, threads: o.threads ?? null });
      if (r.backend !== undefined) Object.assign(ratio, { peerBackend: r.backend, peerThreads: r.threads ?? null });
      out.push(ratio);
    }
  }
  return out;
}

/** Where a row ran: 'cpu, 2 threads', 'webgpu'. */
export function runsOn(backend: 'cpu' | 'webgpu', threads?: number | null): string {
  return `${backend}${threads ? `, ${threads} thread${threads > 1 ? 's' : ''}` : ''}`;
}

/** A row's label with where it ran: 'pytorch-cpu (cpu, 2 threads)', 'shadergrad (webgpu)'. */
export function rowLabel(impl: string, backend?: 'cpu' | 'webgpu', threads?: number | null): string {
  return backend ? `${impl} (${runsOn(backend, threads)})` : impl;
}
