/**
 * The book's network, one training step at a time: batch 100 of 1,024 fingerprint bits → 50 ReLU units → dropout
 * (keep 0.5) → 1 logit, weighted sigmoid cross-entropy summed over the batch, Adam — the loop of
 * src/tox21/eval-hyperparams.ts (batch rows selected on the host, loss accumulated on the device, read once per
 * epoch). Timed per epoch of 6,264 rows (63 steps) on synthetic ECFP-like data (3 % of bits set), with the first
 * layer dense (`linear` on 0/1 floats) and sparse (`sparseLinear` on set-bit rows). Also counts the dispatches and
 * submits a step records. No Node-only imports.
 */
import { add, linear, sigmoidCrossEntropy } from '../src/autograd/ops.ts';
import { keep, tidy } from '../src/autograd/scope.ts';
import { BitRows, sparseLinear } from '../src/autograd/sparse-linear.ts';
import { Tensor } from '../src/autograd/tensor.ts';
import type { WebGpuBackend } from '../src/backend/webgpu/webgpu-backend.ts';
import { selectRows, toDense, type SparseBits } from '../src/data/sparse-bits.ts';
import { Dropout } from '../src/nn/dropout.ts';
import { Linear } from '../src/nn/linear.ts';
import { Adam } from '../src/optim/optimizer.ts';
import { Rng } from '../src/random/rng.ts';
import { minibatches } from '../src/train/minibatches.ts';
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

/** Trains the book network for `epochs` timed epochs (after one warm-up epoch) with each first-layer variant. */
export async function benchTrainStep(g: WebGpuBackend, opts: { epochs?: number; maxSeconds?: number } = {}): Promise<StepBench> {
  const data = bookData();
  const results: BenchResult[] = [];
  const counts = {} as StepBench['counts'];
  for (const variant of ['dense', 'sparse'] as const) {
    const trainer = bookTrainer(g, data, variant === 'sparse');
    await trainer.epoch(false);
    const c0 = { ...g.rt.counters };
    await trainer.epoch(false);
    counts[variant] = { dispatches: (g.rt.counters.dispatches - c0.dispatches) / STEPS_PER_EPOCH, submits: (g.rt.counters.submits - c0.submits) / STEPS_PER_EPOCH };
    const plain: number[] = [], read: number[] = [];
    const start = performance.now();
    while (plain.length < (opts.epochs ?? 3) && (plain.length < 2 || performance.now() - start < (opts.maxSeconds ?? 20) * 1000)) {
      for (const [list, readback] of [[plain, false], [read, true]] as const) {
        const t0 = performance.now();
        await trainer.epoch(readback);
        list.push((performance.now() - t0) / STEPS_PER_EPOCH);
      }
    }
    trainer.dispose();
    const t = spread(plain);
    results.push({
      kernel: 'train-step', shape: STEP_SHAPE, impl: variant === 'sparse' ? 'shadergrad' : 'shadergrad:dense',
      msPerStep: t.median, ms: { median: t.median, min: t.min, max: t.max }, readbackMs: strip(spread(read)), runs: t.runs,
      note: `${variant} first layer; epoch of ${STEPS_PER_EPOCH} steps timed whole = ${(t.median * STEPS_PER_EPOCH / 1000).toFixed(3)} s; ` +
        `${counts[variant].dispatches.toFixed(2)} dispatches and ${counts[variant].submits.toFixed(2)} submits per step (the first step of an epoch has no running loss to add to); readbackMs reads the epoch's loss`,
    });
  }
  return { results, counts };
}

function strip(t: { median: number; min: number; max: number }) {
  return { median: t.median, min: t.min, max: t.max };
}

/** The training loop, one epoch per call; `readback` reads the epoch's summed loss at the end. */
export function bookTrainer(g: WebGpuBackend, data: ReturnType<typeof bookData>, sparse: boolean) {
  const rng = new Rng(7);
  const l1 = new Linear(g, { inputs: BOOK_NET.bits, outputs: BOOK_NET.hidden, activation: 'relu', init: 'normal' }, rng);
  const drop = new Dropout(BOOK_NET.keep, 7, 0).train(true);
  const l2 = new Linear(g, { inputs: BOOK_NET.hidden, outputs: 1, init: 'normal' }, rng);
  const opt = new Adam([...l1.parameters(), ...l2.parameters()], { lr: 0.001 });
  const pick = (a: Float32Array, idx: Uint32Array) => Float32Array.from(idx, (r) => a[r]);
  return {
    async epoch(readback: boolean): Promise<number | null> {
      let total: Tensor | null = null;
      for (const idx of minibatches(BOOK_NET.rows, BOOK_NET.batch)) {
        const next: Tensor = tidy(() => {
          opt.zeroGrad();
          const bits = selectRows(data.bits, idx);
          const h = sparse
            ? sparseLinear(BitRows.from(g, bits), l1.W, l1.b, { activation: 'relu' })
            : linear(Tensor.from(g, toDense(bits), [idx.length, BOOK_NET.bits]), l1.W, l1.b, { activation: 'relu' });
          const logits = l2.forward(drop.forward(h));
          const loss = sigmoidCrossEntropy(logits, Tensor.from(g, pick(data.y, idx), [idx.length, 1]), Tensor.from(g, pick(data.w, idx), [idx.length, 1]), 'sum');
          loss.backward();
          opt.step();
          return total ? add(total, loss) : loss;
        });
        total?.dispose();
        total = keep(next);
      }
      let value: number | null = null;
      if (readback) value = (await total!.data())[0];
      else await g.rt.sync();
      total!.dispose();
      return value;
    },
    dispose() {
      opt.dispose();
      l1.dispose();
      l2.dispose();
    },
  };
}
