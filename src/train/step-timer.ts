/**
 * Times one training step of a network shape on a backend, through the one training loop (fit.ts) on synthetic
 * ECFP-like bit rows: what the backend choice and the default population size are measured with. A step is timed as
 * a whole epoch of a few steps divided by its steps (the loop reads back once per epoch), after a warm-up epoch that
 * compiles pipelines and fills the pools; the best of a few epochs, so one hiccup of a shared machine does not decide.
 */
import { BitRows } from '../autograd/sparse-linear.ts';
import type { Backend } from '../backend/backend.ts';
import { selectRows, type SparseBits } from '../data/sparse-bits.ts';
import { PopulationMlp } from '../nn/population-mlp.ts';
import { ModelOptimizer } from '../optim/model-optimizer.ts';
import { Rng } from '../random/rng.ts';
import { PopulationTrainer, type TrainingSet } from './fit.ts';

/** The shape of a training step: what its cost depends on. */
export interface NetworkShape {
  /** Input bits (ECFP: 1,024). */
  inputs: number;
  /** Hidden units per layer. */
  hidden: number;
  layers: number;
  outputs: number;
  batch: number;
}

/** `i1024-h50x1-o1-b100`: what a step's cost depends on (the timing caches' key). */
export function shapeKey(s: NetworkShape): string {
  return `i${s.inputs}-h${s.hidden}x${s.layers}-o${s.outputs}-b${s.batch}`;
}

export interface StepTimingOptions {
  /** Models trained at once (default 1; timeTrainingStep). */
  models?: number;
  /** Steps per timed epoch (default 8). */
  steps?: number;
  /** Timed epochs (rounds), at most (default 3); fewer when `budgetMs` runs out. */
  epochs?: number;
  /** Stop timing after this much time once one epoch is timed (default 400 ms). */
  budgetMs?: number;
  /** Fraction of bits set per row (ECFP4 on Tox21: ~3 %). */
  density?: number;
}

/** Milliseconds per training step (the best timed epoch ÷ its steps). */
export async function timeTrainingStep(be: Backend, shape: NetworkShape, opts: StepTimingOptions = {}): Promise<number> {
  return (await timeTrainingSteps(be, shape, [opts.models ?? 1], opts))[0];
}

/**
 * Milliseconds per step for each population size in `sizes`, timed in alternating rounds (one epoch of each per
 * round, the best of each kept): load from other processes on a shared machine then hits every size alike, so their
 * ratio means something even when the absolute times do not.
 */
export async function timeTrainingSteps(be: Backend, shape: NetworkShape, sizes: readonly number[], opts: StepTimingOptions = {}): Promise<number[]> {
  return timeAlternating(sizes.map((models) => ({ be, models })), shape, opts);
}

/** The same on several backends (or sizes): one epoch of each per round, the best of each kept. */
export async function timeAlternating(entries: readonly { be: Backend; models: number }[], shape: NetworkShape, opts: StepTimingOptions = {}): Promise<number[]> {
  const steps = opts.steps ?? 8;
  const runs = entries.map(({ be, models: M }) => {
    const data = syntheticSet(be, shape, steps * shape.batch, opts.density ?? 0.03);
    const net = new PopulationMlp(be, {
      inputs: shape.inputs, outputs: shape.outputs, nLayers: shape.layers, activation: 'relu', init: 'he',
      members: Array.from({ length: M }, (_, m) => ({ seed: m + 1, width: shape.hidden, keep: 0.5 })),
    });
    const opt = new ModelOptimizer(net.parameters(), M, { kind: 'adam', lr: new Array(M).fill(1e-3) });
    const trainer = new PopulationTrainer(be, net, opt, data, { batchSize: shape.batch, reduction: 'sum', shuffle: false, dataSeed: 0, epochs: new Array(M).fill(2 ** 30) });
    return { net, opt, trainer };
  });
  try {
    for (const r of runs) await r.trainer.epoch(); // warm-up: pipelines, pools, the batches' upload
    const best = entries.map(() => Infinity);
    const t0 = performance.now();
    for (let e = 0; e < (opts.epochs ?? 3); e++) {
      for (const [i, r] of runs.entries()) {
        const t = performance.now();
        await r.trainer.epoch();
        best[i] = Math.min(best[i], (performance.now() - t) / steps);
      }
      if (performance.now() - t0 > (opts.budgetMs ?? 400)) break;
    }
    return best;
  } finally {
    for (const { net, opt, trainer } of runs) {
      trainer.dispose();
      opt.dispose();
      net.dispose();
    }
  }
}

/** `rows` seeded rows of `density` set bits with balanced labels: the cost of a step, not its learning, matters. */
function syntheticSet(be: Backend, shape: NetworkShape, rows: number, density: number): TrainingSet<BitRows> {
  const rng = new Rng(7);
  const offsets = new Uint32Array(rows + 1), idx: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let b = 0; b < shape.inputs; b++) if (rng.float() < density) idx.push(b);
    offsets[r + 1] = idx.length;
  }
  const bits: SparseBits = { nBits: shape.inputs, offsets, indices: Uint16Array.from(idx) };
  const K = shape.outputs;
  return {
    rows, outputs: K,
    labels: Float32Array.from({ length: rows * K }, (_, i) => i % 2),
    weights: new Float32Array(rows * K).fill(1),
    input: (sel) => BitRows.from(be, selectRows(bits, sel)),
  };
}
