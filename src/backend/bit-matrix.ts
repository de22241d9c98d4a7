/**
 * A 0/1 matrix as CSR set-column indices (no values), the input of the sparse first layer: ECFP rows are ~3 % dense,
 * so X·W is a sum of ~30 rows of W per row of X instead of a 1024-long dot product per output. Both backends keep
 * the transpose too, built here on the host by a counting sort: the weight gradient Xᵀ·dz then gathers rows of dz
 * in ascending order — no float atomics, so the same sums in the same order on every run.
 */
import { ShapeError, checkSize } from './shape-error.ts';

/** A bit matrix resident on a backend (its buffers are the backend's business). */
export interface BitMatrix {
  readonly rows: number;
  readonly cols: number;
  /** Set bits. */
  readonly nnz: number;
}

/** CSR of a bit matrix and of its transpose, as uploaded. */
export interface BitCsr {
  rows: number;
  cols: number;
  /** Row r's set columns are indices[offsets[r] .. offsets[r+1]). */
  offsets: Uint32Array;
  indices: Uint32Array;
  /** Column c's rows, ascending, are tIndices[tOffsets[c] .. tOffsets[c+1]). */
  tOffsets: Uint32Array;
  tIndices: Uint32Array;
}

/** Checks a CSR (the error names the row and value) and builds its transpose. */
export function bitCsr(offsets: Uint32Array, indices: Uint32Array, cols: number): BitCsr {
  const op = 'uploadBitMatrix';
  checkSize(op, 'cols', cols);
  if (offsets.length < 2) throw new ShapeError(`${op}: offsets must hold rows + 1 ≥ 2 entries, got ${offsets.length}`);
  const rows = offsets.length - 1;
  if (offsets[0] !== 0) throw new ShapeError(`${op}: offsets[0] must be 0, got ${offsets[0]}`);
  if (offsets[rows] !== indices.length) throw new ShapeError(`${op}: offsets[${rows}] = ${offsets[rows]} must equal the ${indices.length} indices`);
  // Counts per column (checking as it goes), prefix sums, then each row's columns placed: one pass each, the loop
  // bounds read once per row (this runs every training step on the CPU path).
  const counts = new Uint32Array(cols + 1);
  let prev = 0;
  for (let r = 0; r < rows; r++) {
    const end = offsets[r + 1];
    if (end < prev) throw new ShapeError(`${op}: offsets decrease at row ${r} (${prev} → ${end})`);
    for (let j = prev; j < end; j++) {
      const c = indices[j];
      if (c >= cols) throw new ShapeError(`${op}: row ${r} has column ${c}, outside [0, ${cols})`);
      counts[c + 1]++;
    }
    prev = end;
  }
  for (let c = 0; c < cols; c++) counts[c + 1] += counts[c];
  const tOffsets = counts.slice();
  const tIndices = new Uint32Array(indices.length);
  for (let r = 0, j = 0; r < rows; r++) {
    for (const end = offsets[r + 1]; j < end; j++) tIndices[counts[indices[j]]++] = r;
  }
  return { rows, cols, offsets, indices, tOffsets, tIndices };
}
