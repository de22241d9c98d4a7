/**
 * Population training's benchmark: the book network's step (batch 100, 1,024 bits → 50 ReLU → dropout 0.5 → 1,
 * weighted cross-entropy summed, Adam) for M = 1, 4, 16, 64 models sharing each batch and each dispatch, trained by
 * the library's training loop. One row per M: ms per step and model-steps per second (M steps of training done per
 * population step). The hand-batched PyTorch peer (stacked weights, one broadcast matmul per layer, per-model
 * dropout masks, one Adam) runs in src/perf/peers/python.ts. No Node-only imports.
 */
import type { WebGpuBackend } from '../backend/webgpu/webgpu-backend.ts';
import type { BenchResult } from './result.ts';
import { BOOK_NET, bookData, bookPopulation, STEP_SHAPE, STEPS_PER_EPOCH, timeEpochs } from './train-step.ts';

export const POPULATION_SIZES = [1, 4, 16, 64];

export async function benchPopulation(g: WebGpuBackend, opts: { sizes?: number[]; epochs?: number; maxSeconds?: number; onResult?: (r: BenchResult) => void } = {}): Promise<BenchResult[]> {
  const data = bookData();
  const out: BenchResult[] = [];
  for (const models of opts.sizes ?? POPULATION_SIZES) {
    const pop = bookPopulation(g, data, models, true);
    const { perStep: t, counts } = await timeEpochs(g, pop, { epochs: opts.epochs ?? 3, maxSeconds: opts.maxSeconds ?? 15 });
    pop.dispose();
    out.push({
      kernel: 'population', shape: `${models} × (${STEP_SHAPE})`, impl: 'shadergrad', models,
      msPerStep: t.median, modelStepsPerSecond: (models * 1000) / t.median,
      ms: { median: t.median, min: t.min, max: t.max }, runs: t.runs,
      note: `${models} model(s) of ${BOOK_NET.bits}→${BOOK_NET.hidden}→1 share each batch and dispatch; sparse first layer; epoch of ${STEPS_PER_EPOCH} steps timed whole; ${counts.dispatches.toFixed(2)} dispatches per step`,
    });
    opts.onResult?.(out[out.length - 1]);
  }
  return out;
}
