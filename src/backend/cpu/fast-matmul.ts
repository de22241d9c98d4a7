/**
 * The float32 CPU path's matmul (CpuBackend('f32')): the oracle's arithmetic — each output a float64 sum over k in
 * ascending order, zeros of A skipped, bias then activation — with the loops ordered for the cache and every branch
 * on the spec taken once per call, not per element: A·B accumulates rows (i-k-j), A·Bᵀ takes dot products of two
 * contiguous rows, Aᵀ·B accumulates a block of output rows per row of A and B, and n = 1 (the logit layer and its
 * weight gradient) runs as dot products. Same sums in the same order, so the results equal the oracle's in f32.
 * Where n is a multiple of 4, the activation none or relu and every array in the WebAssembly heap, the product runs
 * there in SIMD (wasm-heap.ts) instead — float32 sums over k in the same order — after copying a transposed
 * operand into the heap's scratch.
 */
import type { Activation, MatmulSpec } from '../backend.ts';
import { sigmoid } from './elementwise.ts';
import type { Floats } from './storage.ts';
import type { WasmHeap } from './wasm-heap.ts';

/** 0 none, 1 relu, 2 sigmoid, 3 tanh: a number the hot loops switch on. */
export type ActCode = 0 | 1 | 2 | 3;

export function actCode(a: Activation | undefined): ActCode {
  return a === 'relu' ? 1 : a === 'sigmoid' ? 2 : a === 'tanh' ? 3 : 0;
}

export function activate(code: ActCode, v: number): number {
  return code === 0 ? v : code === 1 ? (v > 0 ? v : 0) : code === 2 ? sigmoid(v) : Math.tanh(v);
}

let scratch = new Float64Array(4096);
let scratch32 = new Float32Array(4096);

/** A float64 scratch of at least n elements, reused across calls (the kernels run on one thread). */
export function f64Scratch(n: number): Float64Array {
  if (scratch.length < n) scratch = new Float64Array(Math.max(n, 2 * scratch.length));
  return scratch;
}

/** A float32 scratch (a transposed operand: float32 values copied exactly, so the loops see one array type). */
function f32Scratch(n: number): Float32Array {
  if (scratch32.length < n) scratch32 = new Float32Array(Math.max(n, 2 * scratch32.length));
  return scratch32;
}

/** Rows of Aᵀ·B accumulated at once: the block's float64 sums stay within ~128 KiB. */
const TN_BLOCK_ELEMENTS = 16384;

export function matmulFast(a: Floats, b: Floats, bias: Floats | null, s: MatmulSpec, out: Floats, heap: WasmHeap | null = null): void {
  const { batch, m, k, n } = s;
  const sa = s.batchA === false ? 0 : m * k;
  const sb = s.batchB === false ? 0 : k * n;
  const act = actCode(s.activation);
  const simd = heap && n % 4 === 0 && act <= 1 && !(s.transA && s.transB) && [a, b, bias, out].every((x) => x === null || (x instanceof Float32Array && heap.contains(x))) ? heap : null;
  for (let bi = 0; bi < batch; bi++) {
    const ao = bi * sa, bo = bi * sb, co = bi * m * n;
    const biasOff = bias ? (s.batchBias ? bi * n : 0) : -1;
    if (simd) productSimd(simd, a as Float32Array, ao, b as Float32Array, bo, m, k, n, !!s.transA, !!s.transB, bias as Float32Array | null, biasOff, act === 1, out as Float32Array, co);
    else if (s.transA && s.transB) productTT(a, ao, b, bo, m, k, n, bias, biasOff, act, out, co);
    else if (s.transA) productTN(a, ao, b, bo, m, k, n, bias, biasOff, act, out, co);
    else if (s.transB) productNT(a, ao, b, bo, m, k, n, bias, biasOff, act, out, co);
    else productNN(a, ao, b, bo, m, k, n, bias, biasOff, act, out, co);
  }
}

/** A·B, Aᵀ·B or A·Bᵀ in the heap's SIMD kernel: a transposed operand is copied (exactly) into its scratch first. */
function productSimd(heap: WasmHeap, a: Float32Array, ao: number, b: Float32Array, bo: number, m: number, k: number, n: number, transA: boolean, transB: boolean,
  bias: Float32Array | null, biasOff: number, relu: boolean, out: Float32Array, co: number): void {
  if (transA) {
    const at = heap.floatScratch(m * k);
    for (let p = 0; p < k; p++) for (let i = 0; i < m; i++) at[i * k + p] = a[ao + p * m + i];
    heap.matmul(at, 0, b, bo, m, k, n, bias, Math.max(biasOff, 0), relu, out, co);
  } else if (transB) {
    const bt = heap.floatScratch(k * n);
    for (let j = 0; j < n; j++) for (let p = 0; p < k; p++) bt[p * n + j] = b[bo + j * k + p];
    heap.matmul(a, ao, bt, 0, m, k, n, bias, Math.max(biasOff, 0), relu, out, co);
  } else heap.matmul(a, ao, b, bo, m, k, n, bias, Math.max(biasOff, 0), relu, out, co);
}

/** out[o + j] = act(acc[accOff + j] + bias[biasOff + j]) for j < n (no bias when biasOff < 0). */
export function finishRow(acc: Float64Array, accOff: number, n: number, bias: Floats | null, biasOff: number, act: ActCode, out: Floats, o: number): void {
  if (bias && biasOff >= 0) {
    if (act === 1) for (let j = 0; j < n; j++) { const v = acc[accOff + j] + bias[biasOff + j]; out[o + j] = v > 0 ? v : 0; }
    else if (act === 0) for (let j = 0; j < n; j++) out[o + j] = acc[accOff + j] + bias[biasOff + j];
    else for (let j = 0; j < n; j++) out[o + j] = activate(act, acc[accOff + j] + bias[biasOff + j]);
  } else {
    if (act === 1) for (let j = 0; j < n; j++) { const v = acc[accOff + j] + 0; out[o + j] = v > 0 ? v : 0; }
    else if (act === 0) for (let j = 0; j < n; j++) out[o + j] = acc[accOff + j] + 0;
    else for (let j = 0; j < n; j++) out[o + j] = activate(act, acc[accOff + j] + 0);
  }
}

function one(v: number, bias: Floats | null, biasOff: number, act: ActCode): number {
  return activate(act, v + (bias && biasOff >= 0 ? bias[biasOff] : 0));
}

/** C = A·B: row i of C accumulates av · row p of B for each nonzero A[i, p]; n = 1 is a dot product per row. */
function productNN(a: Floats, ao: number, b: Floats, bo: number, m: number, k: number, n: number, bias: Floats | null, biasOff: number, act: ActCode, out: Floats, co: number): void {
  if (n === 1) {
    for (let i = 0; i < m; i++) {
      const ar = ao + i * k;
      let sum = 0;
      for (let p = 0; p < k; p++) {
        const av = a[ar + p];
        if (av !== 0) sum += av * b[bo + p];
      }
      out[co + i] = one(sum, bias, biasOff, act);
    }
    return;
  }
  const acc = f64Scratch(n);
  for (let i = 0; i < m; i++) {
    acc.fill(0, 0, n);
    const ar = ao + i * k;
    for (let p = 0; p < k; p++) {
      const av = a[ar + p];
      if (av === 0) continue;
      const br = bo + p * n;
      for (let j = 0; j < n; j++) acc[j] += av * b[br + j];
    }
    finishRow(acc, 0, n, bias, biasOff, act, out, co + i * n);
  }
}

/** Below this many outputs per row, A·Bᵀ takes dot products; from it, B is transposed once and rows accumulate. */
const NT_TRANSPOSE_MIN_N = 8;

/**
 * C = A·Bᵀ with B stored [n, k]. Wide outputs (the hidden layer's input gradient dz·W2ᵀ: k is the few outputs, n the
 * hidden width) copy Bᵀ into a float64 scratch and accumulate rows as A·B does; narrow ones take dot products of two
 * contiguous rows. Either way each output sums over p ascending, zeros of A skipped.
 */
function productNT(a: Floats, ao: number, b: Floats, bo: number, m: number, k: number, n: number, bias: Floats | null, biasOff: number, act: ActCode, out: Floats, co: number): void {
  if (n >= NT_TRANSPOSE_MIN_N && m > 1) {
    const bt = b instanceof Float32Array ? f32Scratch(k * n) : new Float64Array(k * n);
    for (let j = 0; j < n; j++) for (let p = 0; p < k; p++) bt[p * n + j] = b[bo + j * k + p];
    productNN(a, ao, bt, 0, m, k, n, bias, biasOff, act, out, co);
    return;
  }
  for (let i = 0; i < m; i++) {
    const ar = ao + i * k, o = co + i * n;
    for (let j = 0; j < n; j++) {
      const br = bo + j * k;
      let sum = 0;
      for (let p = 0; p < k; p++) {
        const av = a[ar + p];
        if (av !== 0) sum += av * b[br + p];
      }
      out[o + j] = one(sum, bias, biasOff >= 0 ? biasOff + j : -1, act);
    }
  }
}

/** C = Aᵀ·B with A stored [k, m]: a block of C's rows accumulates row p of A times row p of B, p ascending. */
function productTN(a: Floats, ao: number, b: Floats, bo: number, m: number, k: number, n: number, bias: Floats | null, biasOff: number, act: ActCode, out: Floats, co: number): void {
  const rowsPerBlock = Math.max(1, Math.min(m, Math.floor(TN_BLOCK_ELEMENTS / n)));
  const acc = f64Scratch(rowsPerBlock * n);
  for (let i0 = 0; i0 < m; i0 += rowsPerBlock) {
    const i1 = Math.min(m, i0 + rowsPerBlock);
    acc.fill(0, 0, (i1 - i0) * n);
    for (let p = 0; p < k; p++) {
      const ap = ao + p * m, br = bo + p * n;
      if (n === 1) {
        const bv = b[br];
        for (let i = i0; i < i1; i++) {
          const av = a[ap + i];
          if (av !== 0) acc[i - i0] += av * bv;
        }
        continue;
      }
      for (let i = i0; i < i1; i++) {
        const av = a[ap + i];
        if (av === 0) continue;
        const r = (i - i0) * n;
        for (let j = 0; j < n; j++) acc[r + j] += av * b[br + j];
      }
    }
    for (let i = i0; i < i1; i++) finishRow(acc, (i - i0) * n, n, bias, biasOff, act, out, co + i * n);
  }
}

/** C = Aᵀ·Bᵀ (rare): strided dot products. */
function productTT(a: Floats, ao: number, b: Floats, bo: number, m: number, k: number, n: number, bias: Floats | null, biasOff: number, act: ActCode, out: Floats, co: number): void {
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) {
        const av = a[ao + p * m + i];
        if (av !== 0) sum += av * b[bo + j * k + p];
      }
      out[co + i * n + j] = one(sum, bias, biasOff >= 0 ? biasOff + j : -1, act);
    }
}
