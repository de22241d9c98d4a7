/**
 * Population training's benchmark: the book network's step (batch 100, 1,024 bits → 50 ReLU → dropout 0.5 → 1,
 * weighted cross-entropy summed, Adam) for M = 1, 4, 16, 64 models sharing each batch and each dispatch, trained by
 * the library's training loop. One row per M: ms per step and model-steps per second (M steps of training done per
 * population step), on WebGPU and on the CPU backend's float32 path (one thread). The hand-batched PyTorch peer
 * (stacked weights, one broadcast matmul per layer, per-model dropout masks, one Adam) runs in
 * src/perf/peers/python.ts. No Node-only imports.
 */
import type { Backend } from '../backend/backend.ts';
import { CpuBackend } from '../backend/cpu/cpu-backend.ts';
import type { WebGpuBackend } from '../backend/webgpu/webgpu-backend.ts';
import type { BenchResult } from './result.ts';
import { BOOK_NET, bookData, bookPopulation, STEP_SHAPE, STEPS_PER_EPOCH, timeEpochs } from './train-step.ts';

export const POPULATION_SIZES = [1, 4, 16, 64];

export async function benchPopulation(g: WebGpuBackend, opts: { sizes?: number[]; epochs?: number; maxSeconds?: number; onResult?: (r: BenchResult) => void; cpu?: boolean } = {}): Promise<BenchResult[]> {
  const data = bookData();
  const out: BenchResult[] = [];
  const backends: Backend[] = opts.cpu === false ? [g] : [g, new CpuBackend('f32')];
  for (const be of backends) {
    for (const models of opts.sizes ?? POPULATION_SIZES) {
      const pop = bookPopulation(be, data, models, true);
      // The CPU path's code is optimized over its first epochs, as WebGPU's pipelines are compiled over the first.
      const { perStep: t, counts } = await timeEpochs(be, pop, { epochs: opts.epochs ?? 3, maxSeconds: opts.maxSeconds ?? 15, warmup: be.kind === 'cpu' ? 2 : 1 });
      pop.dispose();
      const where = be.kind === 'cpu' ? 'CPU backend, float32 fast path, 1 thread' : `${counts.dispatches.toFixed(2)} dispatches per step`;
      out.push({
        kernel: 'population', shape: `${models} × (${STEP_SHAPE})`, impl: 'shadergrad', backend: be.kind, threads: be.kind === 'cpu' ? 1 : null, models,
        msPerStep: t.median, modelStepsPerSecond: (models * 1000) / t.median,
        ms: { median: t.median, min: t.min, max: t.max }, runs: t.runs,
        note: `${models} model(s) of ${BOOK_NET.bits}→${BOOK_NET.hidden}→1 share each batch and ${be.kind === 'cpu' ? 'kernel call' : 'dispatch'}; sparse first layer; epoch of ${STEPS_PER_EPOCH} steps timed whole; ${where}`,
      });
      opts.onResult?.(out[out.length - 1]);
    }
  }
  return out;
}
