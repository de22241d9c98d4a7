/**
 * The first layer dense against sparse at the study's shapes (batch × 1,024 fingerprint bits at 3 % → hidden
 * units): the forward product with bias and ReLU (`matmul` on 0/1 floats vs `bitMatmul` on set-bit rows) and the
 * weight gradient Xᵀ·dz (`matmul` with Aᵀ vs `bitMatmulTransposed`), in alternating rounds. Sparse rows include
 * their upload (and host-side transpose), as each training step pays it. No Node-only imports.
 */
import type { WebGpuBackend } from '../backend/webgpu/webgpu-backend.ts';
import { selectRows, toDense } from '../data/sparse-bits.ts';
import { Rng } from '../random/rng.ts';
import type { BenchResult } from './result.ts';
import { timeRounds } from './timing.ts';
import { bookData } from './train-step.ts';

export async function benchSparse(g: WebGpuBackend, opts: { batches?: number[]; hidden?: number[]; maxSeconds?: number } = {}): Promise<BenchResult[]> {
  const data = bookData();
  const rng = new Rng(5);
  const out: BenchResult[] = [];
  for (const batch of opts.batches ?? [100, 1024]) {
    for (const n of opts.hidden ?? [50, 2000]) {
      const bits = selectRows(data.bits, Uint32Array.from({ length: batch }, (_, i) => i));
      const k = bits.nBits;
      const w = g.upload(Float32Array.from({ length: k * n }, () => rng.normal()));
      const bias = g.upload(Float32Array.from({ length: n }, () => rng.normal()));
      const dz = g.upload(Float32Array.from({ length: batch * n }, () => rng.normal()));
      const denseX = toDense(bits);
      const idx = Uint32Array.from(bits.indices);
      const reps = batch * n > 100_000 ? 2 : 10;
      const timed = (fn: () => void) => async () => {
        for (let i = 0; i < reps; i++) fn();
        await g.rt.sync();
      };
      const variants: [string, string, () => void][] = [
        ['first layer forward', 'shadergrad:dense', () => {
          const x = g.upload(denseX);
          g.release(g.matmul(x, w, { batch: 1, m: batch, k, n, bias, activation: 'relu' }));
          g.release(x);
        }],
        ['first layer forward', 'shadergrad', () => {
          const x = g.uploadBitMatrix(bits.offsets, idx, k);
          g.release(g.bitMatmul(x, w, { models: 1, n, bias, activation: 'relu' }));
          g.releaseBitMatrix(x);
        }],
        ['first layer dW = Xᵀ·dz', 'shadergrad:dense', () => {
          const x = g.upload(denseX);
          g.release(g.matmul(x, dz, { batch: 1, m: k, k: batch, n, transA: true }));
          g.release(x);
        }],
        ['first layer dW = Xᵀ·dz', 'shadergrad', () => {
          const x = g.uploadBitMatrix(bits.offsets, idx, k);
          g.release(g.bitMatmulTransposed(x, dz, { models: 1, n }));
          g.releaseBitMatrix(x);
        }],
      ];
      const times = await timeRounds(variants.map(([, , f]) => timed(f)), { warmup: 1, runs: 5, maxSeconds: opts.maxSeconds ?? 10 });
      variants.forEach(([kernel, impl], i) => {
        const t = times[i];
        const ms = { median: t.median / reps, min: t.min / reps, max: t.max / reps };
        out.push({
          kernel, shape: `${batch}x${k}x${n}`, impl, gflops: (2 * batch * k * n) / (ms.median * 1e6), ms, runs: t.runs,
          note: `${impl === 'shadergrad' ? 'set-bit rows' : 'dense 0/1 floats'}, upload included; GFLOP/s counts the dense product's flops`,
        });
      });
      for (const s of [w, bias, dz]) g.release(s);
    }
  }
  return out;
}
