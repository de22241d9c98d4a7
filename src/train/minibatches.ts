/**
 * Minibatch order: in file order (the book's loop, `for ind in range(0, N, batch_size)`, last batch partial) or
 * shuffled each epoch from a seeded generator, so a run is reproducible.
 */
import { Rng } from '../random/rng.ts';

export interface BatchOrder {
  shuffle?: boolean;
  seed?: number;
  /** Epoch number: with shuffling, each epoch draws its own permutation from (seed, epoch). */
  epoch?: number;
}

export function minibatches(n: number, batchSize: number, order: BatchOrder = {}): Uint32Array[] {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`minibatches: batch size must be a positive integer, got ${batchSize}`);
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`minibatches: row count must be an integer ≥ 0, got ${n}`);
  const idx = Uint32Array.from({ length: n }, (_, i) => i);
  if (order.shuffle) new Rng(((order.seed ?? 0) * 1_000_003 + (order.epoch ?? 0)) >>> 0).shuffle(idx);
  const out: Uint32Array[] = [];
  for (let s = 0; s < n; s += batchSize) out.push(idx.subarray(s, Math.min(n, s + batchSize)));
  return out;
}

/** Rows `idx` of a row-major [rows, cols] matrix. */
export function gatherRows(src: ArrayLike<number>, cols: number, idx: ArrayLike<number>): Float32Array {
  const out = new Float32Array(idx.length * cols);
  for (let i = 0; i < idx.length; i++) {
    const r = idx[i];
    for (let c = 0; c < cols; c++) out[i * cols + c] = src[r * cols + c];
  }
  return out;
}
