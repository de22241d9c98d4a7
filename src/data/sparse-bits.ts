/**
 * Binary feature rows stored as the indices of their set bits (CSR without values): ECFP4 vectors are ~3 % dense,
 * so 7,831 × 1024 bits fit in ~0.5 MB instead of 32 MB of floats. The forest splits on it directly, the network's
 * first layer gathers rows of W with it, and `toDense` expands only where a dense matrix is needed.
 */
export interface SparseBits {
  /** Number of feature columns (bits per row). */
  nBits: number;
  /** Row r's set bits are indices[offsets[r] .. offsets[r+1]), ascending. Length rows + 1. */
  offsets: Uint32Array;
  indices: Uint16Array;
}

export function sparseRows(s: SparseBits): number {
  return s.offsets.length - 1;
}

/** Rows `rows` (in that order) of `s`, as a new SparseBits. */
export function selectRows(s: SparseBits, rows: ArrayLike<number>): SparseBits {
  const offsets = new Uint32Array(rows.length + 1);
  let total = 0;
  for (let i = 0; i < rows.length; i++) {
    total += s.offsets[rows[i] + 1] - s.offsets[rows[i]];
    offsets[i + 1] = total;
  }
  const indices = new Uint16Array(total);
  for (let i = 0; i < rows.length; i++) indices.set(s.indices.subarray(s.offsets[rows[i]], s.offsets[rows[i] + 1]), offsets[i]);
  return { nBits: s.nBits, offsets, indices };
}

/** Dense row-major [rows, nBits] matrix of 0/1. */
export function toDense(s: SparseBits): Float32Array {
  const n = sparseRows(s);
  const out = new Float32Array(n * s.nBits);
  for (let r = 0; r < n; r++) for (let j = s.offsets[r]; j < s.offsets[r + 1]; j++) out[r * s.nBits + s.indices[j]] = 1;
  return out;
}
