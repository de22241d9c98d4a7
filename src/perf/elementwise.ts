/**
 * Memory-bound kernels in GB/s (bytes each kernel must read and write, over its time): unary and binary elementwise,
 * a bias-row broadcast, dropout, sigmoid cross-entropy, an Adam step, and reductions over rows, columns and
 * everything. 2^20 elements each (4 MiB per operand), so a SwiftShader run stays short. No Node-only imports.
 */
import type { Storage } from '../backend/backend.ts';
import type { WebGpuBackend } from '../backend/webgpu/webgpu-backend.ts';
import { Rng } from '../random/rng.ts';
import type { BenchResult } from './result.ts';
import { timeRounds } from './timing.ts';

interface Case {
  kernel: string;
  shape: string;
  /** Bytes read plus bytes written by one call. */
  bytes: number;
  /** Records one call; returns its output (released by the caller) or null for in-place kernels. */
  call: () => Storage | null;
}

export async function benchElementwise(g: WebGpuBackend, opts: { filter?: (kernel: string) => boolean; maxSeconds?: number } = {}): Promise<BenchResult[]> {
  const n = 1 << 20;
  const rows = 1024, cols = n / rows;
  const rng = new Rng(3);
  const data = () => g.upload(Float32Array.from({ length: n }, () => rng.normal()));
  const [x, y, z, w, m, v] = [data(), data(), data(), data(), data(), data()];
  const labels = g.upload(Float32Array.from({ length: n }, () => (rng.float() < 0.1 ? 1 : 0)));
  const row = g.upload(Float32Array.from({ length: cols }, () => rng.normal()));
  const B = 4 * n;
  const cases: Case[] = [
    { kernel: 'unary relu', shape: `${n}`, bytes: 2 * B, call: () => g.unary('relu', x) },
    { kernel: 'relu backward', shape: `${n}`, bytes: 4 * B, call: () => g.unaryBackward('relu', x, x, y) },
    { kernel: 'binary add', shape: `${n}`, bytes: 3 * B, call: () => g.binary('add', x, [1, 1, n], y, [1, 1, n]) },
    { kernel: 'binary add (bias row)', shape: `${rows}x${cols} + 1x${cols}`, bytes: 2 * B + 4 * cols, call: () => g.binary('add', x, [1, rows, cols], row, [1, 1, cols]) },
    { kernel: 'dropout', shape: `${n}`, bytes: 2 * B, call: () => g.dropout(x, { keep: 0.5, seed: 1, step: 0, stream: 0 }) },
    { kernel: 'sigmoid xent', shape: `${n}`, bytes: 4 * B, call: () => g.sigmoidXent(x, labels, w) },
    { kernel: 'adam step', shape: `${n}`, bytes: 7 * B, call: () => (g.adam(z, y, m, v, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, t: 1 }), null) },
    { kernel: 'sum rows', shape: `${rows}x${cols} → ${cols}`, bytes: B + 4 * cols, call: () => g.reduce('sum', x, 1, rows, cols) },
    { kernel: 'sum columns', shape: `${rows}x${cols} → ${rows}`, bytes: B + 4 * rows, call: () => g.reduce('sum', x, rows, cols, 1) },
    { kernel: 'sum all', shape: `${n} → 1`, bytes: B + 4, call: () => g.reduce('sum', x, 1, n, 1) },
  ];
  const out: BenchResult[] = [];
  for (const c of cases) {
    if (opts.filter && !opts.filter(c.kernel)) continue;
    const reps = 10;
    const run = async () => {
      for (let i = 0; i < reps; i++) {
        const r = c.call();
        if (r) g.release(r);
      }
      await g.rt.sync();
    };
    const readback = async () => {
      const r = c.call();
      await g.read(r ?? z);
      if (r) g.release(r);
    };
    const [t, rb] = await timeRounds([run, readback], { warmup: 1, runs: 5, maxSeconds: opts.maxSeconds ?? 5 });
    const ms = { median: t.median / reps, min: t.min / reps, max: t.max / reps };
    out.push({
      kernel: c.kernel, shape: c.shape, impl: 'shadergrad', gbps: c.bytes / (ms.median * 1e6), ms,
      readbackMs: { median: rb.median, min: rb.min, max: rb.max }, runs: t.runs, note: `${reps} calls per timing`,
    });
  }
  for (const s of [x, y, z, w, m, v, labels, row]) g.release(s);
  return out;
}
