/** CPU twin of shaders/bit-matmul.wgsl: sums of rows of W at a bit matrix's set columns, and the transposed product. */
import type { BitMatmulSpec } from '../backend.ts';
import type { BitCsr, BitMatrix } from '../bit-matrix.ts';
import { applyActivation } from './elementwise.ts';
import type { Floats } from './storage.ts';

export class CpuBitMatrix implements BitMatrix {
  released = false;
  constructor(readonly csr: BitCsr) {}
  get rows(): number {
    return this.csr.rows;
  }
  get cols(): number {
    return this.csr.cols;
  }
  get nnz(): number {
    return this.csr.indices.length;
  }
}

/** out[m, r, :] = act(Σ_{j ∈ row r} w[m, j, :] + bias), summed in ascending j like the shader. */
export function bitMatmulCpu(x: BitCsr, w: Floats, bias: Floats | null, s: BitMatmulSpec, out: Floats): void {
  const { n } = s;
  const act = s.activation ?? 'none';
  const acc = new Float64Array(n);
  for (let m = 0; m < s.models; m++) {
    const wBase = m * x.cols * n;
    const bBase = s.batchBias ? m * n : 0;
    for (let r = 0; r < x.rows; r++) {
      acc.fill(0);
      for (let j = x.offsets[r]; j < x.offsets[r + 1]; j++) {
        const row = wBase + x.indices[j] * n;
        for (let c = 0; c < n; c++) acc[c] += w[row + c];
      }
      const o = (m * x.rows + r) * n;
      for (let c = 0; c < n; c++) out[o + c] = applyActivation(act, acc[c] + (bias ? bias[bBase + c] : 0));
    }
  }
}

/** out[m, c, :] = Σ_{rows r with bit c} dz[m, r, :]. */
export function bitMatmulTransposedCpu(x: BitCsr, dz: Floats, models: number, n: number, out: Floats): void {
  const acc = new Float64Array(n);
  for (let m = 0; m < models; m++) {
    for (let c = 0; c < x.cols; c++) {
      acc.fill(0);
      for (let j = x.tOffsets[c]; j < x.tOffsets[c + 1]; j++) {
        const row = (m * x.rows + x.tIndices[j]) * n;
        for (let i = 0; i < n; i++) acc[i] += dz[row + i];
      }
      out.set(acc, (m * x.cols + c) * n);
    }
  }
}
