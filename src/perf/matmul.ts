/**
 * Matmul GFLOP/s on the current adapter: squares, and the study's layer products (batch × 1024 inputs × hidden units:
 * the forward product and both backward ones). Each shape is timed for every contender — the kernel the library picks,
 * optionally each forced kernel variant, and peers (tfjs-webgpu) — in alternating rounds. No Node-only imports: the
 * browser bench page runs this file too.
 */
import type { WebGpuBackend } from '../backend/webgpu/webgpu-backend.ts';
import type { MatmulKernel } from '../backend/webgpu/matmul-config.ts';
import { Rng } from '../random/rng.ts';
import type { BenchResult } from './result.ts';
import { spread, type Spread } from './timing.ts';

/** One product: C [m, n] = op(A) [m, k] · op(B) [k, n]. */
export interface MatmulCase {
  m: number;
  k: number;
  n: number;
  transA?: boolean;
  transB?: boolean;
  /** What the product is in the study ('dW = Xᵀ·dz'), shown after the shape. */
  role?: string;
}

export interface PreparedMatmul {
  /** Queues `reps` products and waits until the device finished them, reading nothing back. */
  run(reps: number): Promise<void>;
  /** One product, its output read back to the host. */
  runReadback(): Promise<void>;
  dispose(): void;
}

/** One side of a comparison: ours (any kernel) or a peer library on the same adapter. */
export interface MatmulContender {
  impl: string;
  prepare(c: MatmulCase): Promise<PreparedMatmul>;
}

export type MatmulResult = BenchResult & { kernel: 'matmul'; gflops: number };

export const MATMUL_SHAPES: [number, number, number][] = [[100, 1024, 50], [512, 512, 512], [1024, 1024, 1024]];

export const SQUARES = [256, 512, 1024, 2048];

/** The squares on a hardware GPU, where 4096² and 8192² take milliseconds (`bench --sizes` replaces either list). */
export const GPU_SQUARES = [256, 1024, 2048, 4096, 8192];

/** The study's layer: batch rows × 1024 bits × hidden units, forward and both backward products. */
export function studyCases(batches = [100, 1024], hidden = [50, 2000]): MatmulCase[] {
  const out: MatmulCase[] = [];
  for (const b of batches) {
    for (const h of hidden) {
      // The largest (1024 × 1024 × 2000, 4 GFLOP each) would take minutes for the slower contenders.
      if (b * h > 1024 * 1000) continue;
      out.push({ m: b, k: 1024, n: h, role: 'forward X·W' });
      out.push({ m: 1024, k: b, n: h, transA: true, role: 'dW = Xᵀ·dz' });
      out.push({ m: b, k: h, n: 1024, transB: true, role: 'dX = dz·Wᵀ' });
    }
  }
  return out;
}

export function caseLabel(c: MatmulCase): string {
  const t = c.transA ? ' Aᵀ' : c.transB ? ' Bᵀ' : '';
  return `${c.m}x${c.k}x${c.n}${t}${c.role ? ` (${c.role})` : ''}`;
}

/** Our matmul; `kernel` forces a variant (labelled shadergrad:<kernel>), else the library's choice. */
export function shadergradMatmul(g: WebGpuBackend, kernel?: MatmulKernel): MatmulContender {
  return {
    impl: kernel ? `shadergrad:${kernel}` : 'shadergrad',
    async prepare(c) {
      const rng = new Rng(1);
      const a = g.upload(Float32Array.from({ length: c.m * c.k }, () => rng.normal()));
      const b = g.upload(Float32Array.from({ length: c.k * c.n }, () => rng.normal()));
      const spec = { batch: 1, m: c.m, k: c.k, n: c.n, transA: c.transA, transB: c.transB };
      const product = () => {
        const saved = g.matmulOverride;
        if (kernel) g.matmulOverride = { kernel };
        try {
          return g.matmul(a, b, spec);
        } finally {
          g.matmulOverride = saved;
        }
      };
      return {
        async run(reps) {
          for (let r = 0; r < reps; r++) g.release(product());
          await g.rt.sync();
        },
        async runReadback() {
          const out = product();
          await g.read(out);
          g.release(out);
        },
        dispose() {
          g.release(a);
          g.release(b);
        },
      };
    },
  };
}

export interface MatmulBenchOptions {
  contenders?: MatmulContender[];
  /** Timed rounds per shape (each times every contender once). */
  rounds?: number;
  /** Stop adding rounds after this long per shape (at least 2 rounds run). */
  maxSeconds?: number;
  /** A contender whose one product is predicted to take longer than this is skipped for the shape, with a note. */
  maxProductSeconds?: number;
  /** Called after each shape, for progress output. */
  onResult?: (r: MatmulResult) => void;
}

/** GFLOP/s of each contender at each shape. Without contenders: the library's own choice only. */
export async function benchMatmul(g: WebGpuBackend, shapes: (MatmulCase | [number, number, number])[] = MATMUL_SHAPES, opts: MatmulBenchOptions = {}): Promise<MatmulResult[]> {
  const contenders = opts.contenders ?? [shadergradMatmul(g)];
  const rounds = opts.rounds ?? 5;
  const out: MatmulResult[] = [];
  // Measured GFLOP/s per contender, to predict whether the next (larger) shape fits the time cap.
  const speed = new Map<string, number>();
  for (const s of shapes) {
    const c: MatmulCase = Array.isArray(s) ? { m: s[0], k: s[1], n: s[2] } : s;
    const flop = 2 * c.m * c.k * c.n;
    const live: { impl: string; p: PreparedMatmul; reps: number; ms: number[]; rb: number[] }[] = [];
    for (const con of contenders) {
      const predicted = speed.has(con.impl) ? flop / (speed.get(con.impl)! * 1e9) : 0;
      if (opts.maxProductSeconds && predicted > opts.maxProductSeconds) {
        const r = skipped(c, con.impl, `skipped: one product predicted to take ${predicted.toFixed(0)} s at ${speed.get(con.impl)!.toFixed(2)} GFLOP/s`);
        out.push(r);
        opts.onResult?.(r);
        continue;
      }
      const p = await con.prepare(c);
      // Warm-up (pipeline compile, first allocation), which also sizes the batch of products timed together:
      // ~100 ms of work per timing, so the fixed cost of waiting does not dominate small shapes.
      const t0 = performance.now();
      await p.run(1);
      const once = performance.now() - t0;
      await p.runReadback();
      live.push({ impl: con.impl, p, reps: Math.max(1, Math.min(50, Math.round(100 / Math.max(once, 0.01)))), ms: [], rb: [] });
    }
    const start = performance.now();
    for (let round = 0; round < rounds && (round < 2 || performance.now() - start < (opts.maxSeconds ?? 20) * 1000); round++) {
      for (const l of live) {
        let t0 = performance.now();
        await l.p.run(l.reps);
        l.ms.push((performance.now() - t0) / l.reps);
        t0 = performance.now();
        await l.p.runReadback();
        l.rb.push(performance.now() - t0);
      }
    }
    for (const l of live) {
      l.p.dispose();
      const t = spread(l.ms);
      const r: MatmulResult = {
        kernel: 'matmul', shape: caseLabel(c), impl: l.impl, gflops: flop / (t.median * 1e6),
        ms: strip(t), readbackMs: strip(spread(l.rb)), runs: t.runs,
        ...(l.reps > 1 ? { note: `${l.reps} products per timing` } : {}),
      };
      speed.set(l.impl, r.gflops);
      out.push(r);
      opts.onResult?.(r);
    }
  }
  return out;
}

function skipped(c: MatmulCase, impl: string, note: string): MatmulResult {
  const nan = { median: NaN, min: NaN, max: NaN };
  return { kernel: 'matmul', shape: caseLabel(c), impl, gflops: NaN, ms: nan, runs: 0, note };
}

function strip(t: Spread): Spread {
  return { median: t.median, min: t.min, max: t.max };
}
