/** Seeded bit rows (SparseBits) for the sparse-layer tests, with the awkward rows spelled out by the caller. */
import type { SparseBits } from '../../src/data/sparse-bits.ts';
import { Rng } from '../../src/random/rng.ts';

/**
 * `rows` rows of `nBits` bits, each set with probability `density`; `fixed` replaces chosen rows' bits (e.g. an empty
 * row, or bits 0 and nBits − 1).
 */
export function randomBits(rows: number, nBits: number, density: number, seed: number, fixed: Record<number, number[]> = {}): SparseBits {
  const r = new Rng(seed);
  const lists: number[][] = [];
  for (let i = 0; i < rows; i++) {
    const set: number[] = [];
    for (let b = 0; b < nBits; b++) if (r.float() < density) set.push(b);
    lists.push(fixed[i] ?? set);
  }
  const offsets = new Uint32Array(rows + 1);
  lists.forEach((l, i) => (offsets[i + 1] = offsets[i] + l.length));
  return { nBits, offsets, indices: Uint16Array.from(lists.flat()) };
}
