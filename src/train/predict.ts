/**
 * Evaluation in batches with dropout off and no tape: every batch's output stays on the device until the end, then
 * all are read back at one sync point — one readback per evaluation, not per batch.
 */
import { noGrad, tidy, keep } from '../autograd/scope.ts';
import { Tensor } from '../autograd/tensor.ts';
import type { Backend } from '../backend/backend.ts';
import type { Module } from '../nn/module.ts';

/** Rows of the input for batch `idx`, as a [idx.length, cols] Float32Array. */
export type BatchSource = (idx: Uint32Array) => Float32Array;

/** Runs `forward` on row batches 0..rows-1 and returns all outputs, concatenated, from one readback. */
export async function predictBatches(be: Backend, rows: number, batchSize: number, forward: (idx: Uint32Array) => Tensor): Promise<Float32Array> {
  const outs: Tensor[] = [];
  try {
    noGrad(() => {
      for (let s = 0; s < rows; s += batchSize) {
        const idx = Uint32Array.from({ length: Math.min(batchSize, rows - s) }, (_, i) => s + i);
        outs.push(keep(tidy(() => forward(idx))));
      }
    });
    const parts = await be.readMany(outs.map((o) => o.storage));
    const all = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
    let off = 0;
    for (const p of parts) {
      all.set(p, off);
      off += p.length;
    }
    return all;
  } finally {
    for (const o of outs) o.dispose();
  }
}

export async function predictLogits(be: Backend, model: Module, rows: number, cols: number, batch: BatchSource, batchSize = 1024): Promise<Float32Array> {
  model.train(false);
  return predictBatches(be, rows, batchSize, (idx) => model.forward(Tensor.from(be, batch(idx), [idx.length, cols])));
}

export function sigmoidOf(logits: ArrayLike<number>): Float32Array {
  return Float32Array.from(logits, (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))));
}

/**
 * A population's outputs on rows 0..rows-1, in batches with dropout off: [models][rows × outputs], from one readback.
 * Each batch's output is [models, batch, outputs]; they are regrouped per model on the host.
 */
export async function predictModels(be: Backend, models: number, outputs: number, rows: number, forward: (idx: Uint32Array) => Tensor, batchSize = 1024): Promise<Float32Array[]> {
  const all = await predictBatches(be, rows, batchSize, forward);
  const per = Array.from({ length: models }, () => new Float32Array(rows * outputs));
  let off = 0;
  for (let s = 0; s < rows; s += batchSize) {
    const b = Math.min(batchSize, rows - s);
    for (let m = 0; m < models; m++) per[m].set(all.subarray(off + m * b * outputs, off + (m + 1) * b * outputs), s * outputs);
    off += models * b * outputs;
  }
  return per;
}
