/**
 * The float32 CPU path's dropout: the Philox mask (philox.ts) generated in the loop that applies it — two Philox
 * blocks per eight elements, computed side by side, nothing allocated — with the high word of each 32×32 product taken from float64
 * arithmetic instead of four 16-bit partial products (the product of two u32 is within 2^12 of its double, and the
 * exact low word, Math.imul, corrects it). Element e of a model's logical [rows, width] keeps iff its 24-bit draw
 * is < keep·2^24, the same comparison as the oracle's (exact: scaling by 2^24 is exact), so the masks are identical.
 */
import type { ModelKeys } from '../backend.ts';
import type { Floats } from './storage.ts';
import type { WasmHeap } from './wasm-heap.ts';

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;
const TWO_M32 = 2 ** -32;
const TWO_24 = 2 ** 24;

/**
 * Blocks (c0, c1, c2, 0) and (c0 + 1, c1, c2, 0) under key (k0, 0) into out[0..7]: the two are computed in one loop so
 * that their dependency chains (each round waits for the previous one's products) overlap.
 */
export function philoxPair(c0: number, c1: number, c2: number, k0: number, out: Uint32Array): void {
  let a0 = c0 >>> 0, a1 = c1, a2 = c2, a3 = 0;
  let b0 = (c0 + 1) >>> 0, b1 = c1, b2 = c2, b3 = 0;
  let k1 = 0;
  for (let r = 0; r < 10; r++) {
    // hi = (a·b − lo) / 2^32 exactly; the double product is off by ≤ 2^11 and the subtraction by as much: far below 0.5.
    const la0 = Math.imul(M0, a0) >>> 0, la1 = Math.imul(M1, a2) >>> 0;
    const lb0 = Math.imul(M0, b0) >>> 0, lb1 = Math.imul(M1, b2) >>> 0;
    const ha0 = ((M0 * a0 - la0) * TWO_M32 + 0.5) >>> 0, ha1 = ((M1 * a2 - la1) * TWO_M32 + 0.5) >>> 0;
    const hb0 = ((M0 * b0 - lb0) * TWO_M32 + 0.5) >>> 0, hb1 = ((M1 * b2 - lb1) * TWO_M32 + 0.5) >>> 0;
    a0 = (ha1 ^ a1 ^ k0) >>> 0;
    a1 = la1;
    a2 = (ha0 ^ a3 ^ k1) >>> 0;
    a3 = la0;
    b0 = (hb1 ^ b1 ^ k0) >>> 0;
    b1 = lb1;
    b2 = (hb0 ^ b3 ^ k1) >>> 0;
    b3 = lb0;
    k0 = (k0 + W0) >>> 0;
    k1 = (k1 + W1) >>> 0;
  }
  out[0] = a0; out[1] = a1; out[2] = a2; out[3] = a3;
  out[4] = b0; out[5] = b1; out[6] = b2; out[7] = b3;
}

const words = new Uint32Array(8);

/**
 * out = mask · x / keep (eight elements per pair of Philox blocks) over a [rows, cols] block at `off` whose first `width` columns are the model's logical
 * elements r·width + c (the rest, padding, come out 0). The plain dropout op is one row of width = cols.
 */
export function dropoutBlock(x: Floats, out: Floats, off: number, rows: number, cols: number, width: number, keep: number, seed: number, step: number, stream: number): void {
  const n = rows * width, thr = keep * TWO_24;
  let c = 0, rowOff = off;
  for (let e = 0; e < n; e += 8) {
    philoxPair(e >>> 2, step, stream, seed, words);
    const end = Math.min(8, n - e);
    for (let j = 0; j < end; j++) {
      const i = rowOff + c;
      out[i] = words[j] >>> 8 < thr ? x[i] / keep : 0;
      if (++c === width) {
        if (width < cols) out.fill(0, rowOff + width, rowOff + cols);
        c = 0;
        rowOff += cols;
      }
    }
  }
}

/** Whether every array is a float32 array of the heap (then the WebAssembly kernels can take them). */
function inHeap(heap: WasmHeap, ...arrays: Floats[]): boolean {
  return arrays.every((a) => a instanceof Float32Array && heap.contains(a));
}

/**
 * dropoutBlock with the mask's words from WebAssembly SIMD (WasmHeap.philox): the same words, so the same mask. Where
 * the block is contiguous (width = cols) and its arrays live in the heap, the masked division runs there too
 * (WasmHeap.keepDiv: no branch per element — the mask is a coin flip, and a branch on it mispredicts half the time).
 */
export function dropoutBlockSimd(heap: WasmHeap, x: Floats, out: Floats, off: number, rows: number, cols: number, width: number, keep: number, seed: number, step: number, stream: number): void {
  const n = rows * width, thr = keep * TWO_24;
  const w = heap.philox(n, step, stream, seed);
  let from = 0;
  if (width === cols && inHeap(heap, x, out)) {
    // A 24-bit draw d < keep·2^24 iff d < ⌈keep·2^24⌉ (d an integer).
    heap.keepDiv(x as Float32Array, off, out as Float32Array, off, w, 0, n >> 2, keep, Math.ceil(thr), 0);
    from = n & ~3;
  }
  let e = from;
  for (let r = from ? Math.floor(from / width) : 0; r < rows; r++) {
    const o = off + r * cols;
    for (let c = e - r * width; c < width; c++, e++) out[o + c] = w[e] >>> 8 < thr ? x[o + c] / keep : 0;
    if (width < cols) out.fill(0, o + width, o + cols);
  }
}

/** dropoutModels: each model's block with its own keys (see ModelDropoutSpec); the mask in SIMD when `heap` is given. */
export function dropoutModelsFast(x: Floats, out: Floats, models: number, rows: number, cols: number, keys: ModelKeys, stream: number, heap: WasmHeap | null = null): void {
  for (let m = 0; m < models; m++) {
    if (heap) dropoutBlockSimd(heap, x, out, m * rows * cols, rows, cols, keys.width[m], keys.keep[m], keys.seed[m], keys.step[m], stream);
    else dropoutBlock(x, out, m * rows * cols, rows, cols, keys.width[m], keys.keep[m], keys.seed[m], keys.step[m], stream);
  }
}

/** relu then dropout, backward, from the dropout's output y: dy / keep where y > 0, else 0 (in SIMD where `heap` holds the arrays). */
export function dropoutReluBackwardFast(y: Floats, dy: Floats, out: Floats, models: number, per: number, keep: ArrayLike<number>, heap: WasmHeap | null = null): void {
  const simd = heap && inHeap(heap, y, dy, out) ? heap : null;
  for (let m = 0; m < models; m++) {
    const k = keep[m], o = m * per;
    let i = o;
    if (simd) {
      simd.keepDiv(dy as Float32Array, o, out as Float32Array, o, y as Float32Array, o, per >> 2, k, 0, 1);
      i = o + (per & ~3);
    }
    for (; i < o + per; i++) out[i] = y[i] > 0 ? dy[i] / k : 0;
  }
}
