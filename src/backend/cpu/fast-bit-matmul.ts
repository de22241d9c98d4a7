/**
 * The float32 CPU path's sparse first layer. Forward, row r of X·W is the sum of the rows of W at r's set bits;
 * the weight gradient Xᵀ·dz is the same kernel over the transposed CSR (column c's row is the sum of the rows of dz
 * whose bit c is set), so both are one "sum of gathered rows" — each output a float64 sum over the gathered rows in
 * ascending order, as the oracle (bit-matmul.ts) sums them, with bias and activation fused into the store. A
 * column no row sets is a row of zeros. The bias gradient (column sums of dz) comes from the same call.
 * Where every array lives in the WebAssembly heap (wasm-heap.ts) and the activation is none or relu, the sums run
 * there instead (four columns at a time in SIMD, the last width mod 4 one at a time in the same float32 arithmetic) —
 * float32 sums in the same order, as the GPU's shader takes them.
 */
import type { BitCsr } from '../bit-matrix.ts';
import { f64Scratch, finishRow, type ActCode } from './fast-matmul.ts';
import type { Floats } from './storage.ts';
import type { HeapThreads } from './heap-threads.ts';
import type { WasmHeap } from './wasm-heap.ts';

/** The heap when `gather` can take this call there, else null. */
function simdFor(heap: WasmHeap | null, n: number, act: ActCode, arrays: (Floats | null)[]): WasmHeap | null {
  if (!heap || act > 1) return null;
  return arrays.every((a) => a === null || (a instanceof Float32Array && heap.contains(a))) ? heap : null;
}

let bases = new Int32Array(1024);

/**
 * For each of `outRows` CSR rows i: out[outOff + i·n + c] = act(Σ_{j ∈ row i} src[srcOff + idx[j]·n + c] + bias), j ascending.
 * The gathered rows are added four at a time — (((acc + r0) + r1) + r2) + r3, left to right, is the oracle's order —
 * so the float64 running sums are loaded and stored once per four rows; a row of ≤ 4 set bits without bias or
 * activation (most columns of the weight gradient) is summed straight into the output, rounded once as the oracle does.
 */
export function gatherRowSums(offsets: Uint32Array, indices: Uint32Array, outRows: number, src: Floats, srcOff: number, n: number,
  bias: Floats | null, biasOff: number, act: ActCode, out: Floats, outOff: number): void {
  const acc = f64Scratch(n);
  const plain = !(bias && biasOff >= 0) && act === 0;
  for (let i = 0; i < outRows; i++) {
    const j0 = offsets[i], cnt = offsets[i + 1] - j0, o = outOff + i * n;
    if (cnt > bases.length) bases = new Int32Array(Math.max(cnt, 2 * bases.length));
    for (let t = 0; t < cnt; t++) bases[t] = srcOff + indices[j0 + t] * n;
    if (plain && cnt <= 4) {
      sumToOut(src, cnt, n, out, o);
      continue;
    }
    acc.fill(0, 0, n);
    for (let t = 0; t < cnt; t += 4) addRows(src, t, Math.min(4, cnt - t), n, acc);
    finishRow(acc, 0, n, bias, biasOff, act, out, o);
  }
}

/** acc[c] = (((acc[c] + r0[c]) + r1[c]) + …) over the k ≤ 4 gathered rows bases[t .. t+k). */
function addRows(src: Floats, t: number, k: number, n: number, acc: Float64Array): void {
  const b0 = bases[t], b1 = bases[t + 1], b2 = bases[t + 2], b3 = bases[t + 3];
  if (k === 4) for (let c = 0; c < n; c++) acc[c] = acc[c] + src[b0 + c] + src[b1 + c] + src[b2 + c] + src[b3 + c];
  else if (k === 3) for (let c = 0; c < n; c++) acc[c] = acc[c] + src[b0 + c] + src[b1 + c] + src[b2 + c];
  else if (k === 2) for (let c = 0; c < n; c++) acc[c] = acc[c] + src[b0 + c] + src[b1 + c];
  else for (let c = 0; c < n; c++) acc[c] += src[b0 + c];
}

/** out[o + c] = (((0 + r0[c]) + r1[c]) + …) over the k ≤ 4 gathered rows bases[0 .. k), rounded once on the store. */
function sumToOut(src: Floats, k: number, n: number, out: Floats, o: number): void {
  const b0 = bases[0], b1 = bases[1], b2 = bases[2], b3 = bases[3];
  if (k === 4) for (let c = 0; c < n; c++) out[o + c] = 0 + src[b0 + c] + src[b1 + c] + src[b2 + c] + src[b3 + c];
  else if (k === 3) for (let c = 0; c < n; c++) out[o + c] = 0 + src[b0 + c] + src[b1 + c] + src[b2 + c];
  else if (k === 2) for (let c = 0; c < n; c++) out[o + c] = 0 + src[b0 + c] + src[b1 + c];
  else if (k === 1) for (let c = 0; c < n; c++) out[o + c] = 0 + src[b0 + c];
  else out.fill(0, o, o + n);
}

/** y[m] = act(X·W[m] + b[m]) for every model (W [models, cols, n], y [models, rows, n]). */
export function bitMatmulFast(x: BitCsr, w: Floats, bias: Floats | null, models: number, n: number, batchBias: boolean, act: ActCode, out: Floats, heap: WasmHeap | null = null, threads: HeapThreads | null = null): void {
  const simd = simdFor(heap, n, act, [w, bias, out]);
  for (let m = 0; m < models; m++) {
    const biasOff = bias ? (batchBias ? m * n : 0) : 0;
    if (simd) simd.gather(x.offsets, x.indices, x.rows, w as Float32Array, m * x.cols * n, n, bias as Float32Array | null, biasOff, act === 1, out as Float32Array, m * x.rows * n, threads);
    else gatherRowSums(x.offsets, x.indices, x.rows, w, m * x.cols * n, n, bias, bias ? (batchBias ? m * n : 0) : -1, act, out, m * x.rows * n);
  }
}

/** dW[m] = Xᵀ·dz[m] [models, cols, n], and with `db` the column sums of each model's dz [models, n]. */
export function bitMatmulGradsFast(x: BitCsr, dz: Floats, models: number, n: number, dW: Floats, db: Floats | null, heap: WasmHeap | null = null, threads: HeapThreads | null = null): void {
  const simd = simdFor(heap, n, 0, [dz, dW]);
  for (let m = 0; m < models; m++) {
    if (simd) simd.gather(x.tOffsets, x.tIndices, x.cols, dz as Float32Array, m * x.rows * n, n, null, 0, false, dW as Float32Array, m * x.cols * n, threads);
    else gatherRowSums(x.tOffsets, x.tIndices, x.cols, dz, m * x.rows * n, n, null, -1, 0, dW, m * x.cols * n);
    if (db) columnSumsFast(dz, m * x.rows * n, x.rows, n, db, m * n);
  }
}

/** out[outOff + c] = Σ_r src[off + r·n + c], rows ascending, accumulated a row at a time. */
export function columnSumsFast(src: Floats, off: number, rows: number, n: number, out: Floats, outOff: number): void {
  const acc = f64Scratch(n);
  acc.fill(0, 0, n);
  for (let r = 0; r < rows; r++) {
    const s = off + r * n;
    for (let c = 0; c < n; c++) acc[c] += src[s + c];
  }
  for (let c = 0; c < n; c++) out[outOff + c] = acc[c];
}
