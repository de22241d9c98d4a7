/**
 * The book's network, one training step at a time: batch 100 of 1,024 fingerprint bits → 50 ReLU units → dropout
 * (keep 0.5) → 1 logit, weighted sigmoid cross-entropy summed over the batch, Adam — trained by the library's one
 * training loop (src/train/fit.ts, as the study trains), M models at once (M = 1 here; the population group varies
 * M). Timed per epoch of 6,264 rows (63 steps, the losses read back once at its end) on synthetic ECFP-like data
 * (3 % of bits set), with the first layer dense (`linear` on 0/1 floats) and sparse (`sparseLinear` on set-bit
 * rows). Also counts the dispatches and submits a step records. No Node-only imports.
 */
import { BitRows } from '../autograd/sparse-linear.ts';
import { Tensor } from '../autograd/tensor.ts';
import type { WebGpuBackend } from '../backend/webgpu/webgpu-backend.ts';
import { selectRows, toDense, type SparseBits } from '../data/sparse-bits.ts';
import { PopulationMlp } from '../nn/population-mlp.ts';
import { ModelOptimizer } from '../optim/model-optimizer.ts';
import { Rng } from '../random/rng.ts';
import { PopulationTrainer } from '../train/fit.ts';
import type { BenchResult } from './result.ts';
import { spread } from './timing.ts';

export const BOOK_NET = { rows: 6264, bits: 1024, hidden: 50, batch: 100, keep: 0.5, density: 0.03 };
export const STEPS_PER_EPOCH = Math.ceil(BOOK_NET.rows / BOOK_NET.batch);
export const STEP_SHAPE = `batch ${BOOK_NET.batch}, ${BOOK_NET.bits}→${BOOK_NET.hidden}→1`;

/** Synthetic training set shaped like Tox21's: bits at ~3 %, ~4 % positives weighted to balance the classes. */
export function bookData(seed = 1): { bits: SparseBits; y: Float32Array; w: Float32Array } {
  const rng = new Rng(seed);
  const { rows, bits: nBits, density } = BOOK_NET;
  const offsets = new Uint32Array(rows + 1);
  const idx: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let b = 0; b < nBits; b++) if (rng.float() < density) idx.push(b);
    offsets[r + 1] = idx.length;
  }
  const y = Float32Array.from({ length: rows }, () => (rng.float() < 0.04 ? 1 : 0));
  const pos = y.reduce((a, b) => a + b, 0);
  const w = Float32Array.from(y, (v) => (v ? (rows - pos) / pos : 1));
  return { bits: { nBits, offsets, indices: Uint16Array.from(idx) }, y, w };
}

export interface StepCounts {
  dispatches: number;
  submits: number;
}

export interface StepBench {
  results: BenchResult[];
  counts: Record<'dense' | 'sparse', StepCounts>;
}

/**
 * Times epochs of `trainer` after `warmup` epochs (pipelines compiled, buffers pooled, a fixed order's batches
 * uploaded): the first timed epoch also counts a step's dispatches and submits; more follow while fewer than
 * `epochs` ran and `maxSeconds` allow.
 */
export async function timeEpochs(g: WebGpuBackend, trainer: BookPopulation, opts: { epochs?: number; maxSeconds?: number; warmup?: number } = {}): Promise<{ perStep: ReturnType<typeof spread>; counts: StepCounts }> {
  for (let w = 0; w < (opts.warmup ?? 1); w++) await trainer.epoch();
  const times: number[] = [];
  const start = performance.now();
  const c0 = { ...g.rt.counters };
  let counts: StepCounts | null = null;
  while (times.length < (opts.epochs ?? 3) && (times.length < 1 || performance.now() - start < (opts.maxSeconds ?? 20) * 1000)) {
    const t0 = performance.now();
    await trainer.epoch();
    times.push((performance.now() - t0) / STEPS_PER_EPOCH);
    counts ??= { dispatches: (g.rt.counters.dispatches - c0.dispatches) / STEPS_PER_EPOCH, submits: (g.rt.counters.submits - c0.submits) / STEPS_PER_EPOCH };
  }
  return { perStep: spread(times), counts: counts! };
}

/**
 * Trains the book network for `epochs` timed epochs (after two warm-up epochs; on SwiftShader the first epochs ran up
 * to 1.5× slower than later ones) with each first-layer variant, the sparse one (the study's) first.
 */
export async function benchTrainStep(g: WebGpuBackend, opts: { epochs?: number; maxSeconds?: number } = {}): Promise<StepBench> {
  const data = bookData();
  const results: BenchResult[] = [];
  const counts = {} as StepBench['counts'];
  for (const variant of ['sparse', 'dense'] as const) {
    const trainer = bookPopulation(g, data, 1, variant === 'sparse');
    const { perStep: t, counts: c } = await timeEpochs(g, trainer, { epochs: 5, warmup: 2, ...opts });
    counts[variant] = c;
    trainer.dispose();
    results.push({
      kernel: 'train-step', shape: STEP_SHAPE, impl: variant === 'sparse' ? 'shadergrad' : 'shadergrad:dense',
      msPerStep: t.median, ms: { median: t.median, min: t.min, max: t.max }, runs: t.runs,
      note: `${variant} first layer; epoch of ${STEPS_PER_EPOCH} steps timed whole (losses read back once) = ${(t.median * STEPS_PER_EPOCH / 1000).toFixed(3)} s; ` +
        `${c.dispatches.toFixed(2)} dispatches and ${c.submits.toFixed(2)} submits per step`,
    });
  }
  return { results, counts };
}

export interface BookPopulation {
  readonly models: number;
  epoch(): Promise<Float64Array>;
  dispose(): void;
}

/** The book network for `models` copies (seeds 7, 8, …), trained by the library's training loop, one epoch per call. */
export function bookPopulation(g: WebGpuBackend, data: ReturnType<typeof bookData>, models: number, sparse: boolean): BookPopulation {
  const net = new PopulationMlp(g, {
    inputs: BOOK_NET.bits, outputs: 1, nLayers: 1, activation: 'relu', init: 'normal',
    members: Array.from({ length: models }, (_, m) => ({ seed: 7 + m, width: BOOK_NET.hidden, keep: BOOK_NET.keep })),
  });
  const opt = new ModelOptimizer(net.parameters(), models, { kind: 'adam', lr: new Float64Array(models).fill(0.001) });
  const trainer = new PopulationTrainer(g, net, opt, {
    rows: BOOK_NET.rows, outputs: 1, labels: data.y, weights: data.w,
    input: (idx) => {
      const bits = selectRows(data.bits, idx);
      return sparse ? BitRows.from(g, bits) : Tensor.from(g, toDense(bits), [idx.length, BOOK_NET.bits]);
    },
  }, { batchSize: BOOK_NET.batch, reduction: 'sum', shuffle: false, dataSeed: 0, epochs: new Uint32Array(models).fill(1e9) });
  return {
    models,
    async epoch() {
      return (await trainer.epoch()).loss;
    },
    dispose() {
      trainer.dispose();
      opt.dispose();
      net.dispose();
    },
  };
}
