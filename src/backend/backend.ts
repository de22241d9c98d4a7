/**
 * The kernel interface: everything above it (autograd, layers, optimizers) is backend-agnostic, and two
 * implementations sit below it — `webgpu` (WGSL kernels) and `cpu` (plain TypeScript: the tests' oracle, in float32
 * or float64, and the fallback when no adapter exists). Buffers are flat, row-major float arrays; shapes travel with
 * each call, so the same kernels serve a leading batch dimension (many models trained at once).
 */
import type { AdapterSummary } from '../gpu/adapter-info.ts';
import type { BitMatrix } from './bit-matrix.ts';

export type UnaryOp = 'relu' | 'sigmoid' | 'tanh' | 'exp' | 'log' | 'neg' | 'abs' | 'square' | 'sqrt' | 'scale';
export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'maximum' | 'greaterEqual';
export type Activation = 'none' | 'relu' | 'sigmoid' | 'tanh';
export type ReduceOp = 'sum' | 'mean';

/** [batch, rows, cols]; a 1 in an operand's shape broadcasts along that axis. */
export type Shape3 = readonly [number, number, number];

/** A backend's buffer: `length` float elements. */
export interface Storage {
  readonly length: number;
}

export interface MatmulSpec {
  /** Number of independent products (leading batch dimension). */
  batch: number;
  /** C is [m, n]; op(A) is [m, k]; op(B) is [k, n]. */
  m: number;
  k: number;
  n: number;
  /** A is stored [k, m] (resp. B [n, k]) and used transposed. */
  transA?: boolean;
  transB?: boolean;
  /** A (resp. B) has one matrix per batch entry; false broadcasts one matrix to every batch entry. */
  batchA?: boolean;
  batchB?: boolean;
  /** Optional bias added to each row of C: length n, or batch × n with `batchBias`. */
  bias?: Storage;
  batchBias?: boolean;
  activation?: Activation;
}

/** y = act(X·W + b) for a bit matrix X [rows, cols] shared by `models` weight sets W [models, cols, n]. */
export interface BitMatmulSpec {
  models: number;
  n: number;
  /** Length n, or models × n with `batchBias`. */
  bias?: Storage;
  batchBias?: boolean;
  activation?: Activation;
}

export interface DropoutSpec {
  /** Probability of keeping an element (the book's keep_prob); kept elements are scaled by 1/keep. */
  keep: number;
  seed: number;
  /** Training step: a new mask each step, the same mask for forward and backward of that step. */
  step: number;
  /** Distinguishes dropout layers that share seed and step. */
  stream: number;
}

export interface AdamSpec {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** 1-based step count, for bias correction. */
  t: number;
}

export interface Backend {
  readonly kind: 'webgpu' | 'cpu';
  readonly info: AdapterSummary;

  upload(data: ArrayLike<number>): Storage;
  zeros(length: number): Storage;
  /** A cached, never-released buffer holding one value (constants used by derived ops). */
  scalar(value: number): Storage;
  read(s: Storage): Promise<Float32Array | Float64Array>;
  /** Reads several buffers at one sync point (one submit, one wait). */
  readMany(s: Storage[]): Promise<(Float32Array | Float64Array)[]>;
  release(s: Storage): void;
  /** Submits recorded work without waiting (no-op on the CPU). */
  flush(): void;

  matmul(a: Storage, b: Storage, spec: MatmulSpec): Storage;
  /** Uploads a bit matrix given as CSR set-column indices (see bit-matrix.ts); `releaseBitMatrix` frees it. */
  uploadBitMatrix(offsets: Uint32Array, indices: Uint32Array, cols: number): BitMatrix;
  releaseBitMatrix(x: BitMatrix): void;
  /** [models, rows, n]: row r of model m is act(Σ over X's set columns j of W[m, j, :] + b[m]). */
  bitMatmul(x: BitMatrix, w: Storage, spec: BitMatmulSpec): Storage;
  /** Xᵀ·dz per model: [models, cols, n] from dz [models, rows, n] (the weight gradient of bitMatmul). */
  bitMatmulTransposed(x: BitMatrix, dz: Storage, spec: { models: number; n: number }): Storage;
  unary(op: UnaryOp, x: Storage, alpha?: number): Storage;
  /** dx = dy · f'(x), with y = f(x) given so ops whose derivative is cheaper from y use it. */
  unaryBackward(op: UnaryOp, x: Storage, y: Storage, dy: Storage, alpha?: number): Storage;
  /** out[b,r,c] = a[b,r,c] op b[b,r,c] with broadcasting of size-1 axes. */
  binary(op: BinaryOp, a: Storage, aShape: Shape3, b: Storage, bShape: Shape3): Storage;
  /** x viewed as [outer, axis, inner] → [outer, inner]. */
  reduce(op: ReduceOp, x: Storage, outer: number, axis: number, inner: number): Storage;
  /** Elementwise w · (max(x,0) − x·z + log(1+e^−|x|)): sigmoid cross-entropy from logits, stable for any x. */
  sigmoidXent(logits: Storage, labels: Storage, weights: Storage): Storage;
  /** dx = dloss · w · (σ(x) − z); dloss has one element per logit, or one for all (the gradient of their sum). */
  sigmoidXentBackward(logits: Storage, labels: Storage, weights: Storage, dloss: Storage): Storage;
  /** y = mask · x / keep with the Philox mask of (seed, step, stream, element); backward is the same call on dy. */
  dropout(x: Storage, spec: DropoutSpec): Storage;

  /** In place: p −= lr · g. */
  sgd(p: Storage, g: Storage, lr: number): void;
  /** In place: v = μ·v + g; p −= lr · v. */
  momentum(p: Storage, g: Storage, v: Storage, lr: number, mu: number): void;
  /** In place, bias-corrected Adam (Kingma & Ba, Algorithm 1). */
  adam(p: Storage, g: Storage, m: Storage, v: Storage, spec: AdamSpec): void;
}

export class ShapeError extends Error {
  override name = 'ShapeError';
}

/** Validates a size argument: finite, integral, ≥ min. Names the op and argument in the error. */
export function checkSize(op: string, name: string, v: number, min = 1): void {
  if (!Number.isFinite(v) || !Number.isInteger(v) || v < min) {
    throw new ShapeError(`${op}: ${name} must be an integer ≥ ${min}, got ${v}`);
  }
}

export function checkLength(op: string, name: string, s: Storage, expected: number): void {
  if (s.length !== expected) throw new ShapeError(`${op}: ${name} has ${s.length} elements, expected ${expected}`);
}

/** Checks a bitMatmul's operands against the spec; returns the output length. */
export function checkBitMatmul(x: BitMatrix, w: Storage, s: BitMatmulSpec): number {
  const op = 'bitMatmul';
  checkSize(op, 'models', s.models);
  checkSize(op, 'n', s.n);
  if (w.length !== s.models * x.cols * s.n) {
    throw new ShapeError(`${op}: W has ${w.length} elements; X [${x.rows}, ${x.cols}] with ${s.models} model(s) of ${s.n} outputs needs W ${s.models}×${x.cols}×${s.n} = ${s.models * x.cols * s.n}`);
  }
  if (s.bias) {
    const bl = (s.batchBias ? s.models : 1) * s.n;
    if (s.bias.length !== bl) throw new ShapeError(`${op}: bias has ${s.bias.length} elements, expected ${bl} (${s.batchBias ? `${s.models}×` : ''}${s.n})`);
  }
  return s.models * x.rows * s.n;
}

export function checkBitMatmulTransposed(x: BitMatrix, dz: Storage, s: { models: number; n: number }): number {
  const op = 'bitMatmulTransposed';
  checkSize(op, 'models', s.models);
  checkSize(op, 'n', s.n);
  if (dz.length !== s.models * x.rows * s.n) {
    throw new ShapeError(`${op}: dz has ${dz.length} elements; X [${x.rows}, ${x.cols}] with ${s.models} model(s) of ${s.n} outputs needs dz ${s.models}×${x.rows}×${s.n} = ${s.models * x.rows * s.n}`);
  }
  return s.models * x.cols * s.n;
}

/** Output shape of a broadcast, or a ShapeError naming both shapes. */
export function broadcastShape(op: string, a: Shape3, b: Shape3): Shape3 {
  const out = [0, 0, 0];
  for (let i = 0; i < 3; i++) {
    checkSize(op, `shape[${i}]`, a[i]);
    checkSize(op, `shape[${i}]`, b[i]);
    if (a[i] !== b[i] && a[i] !== 1 && b[i] !== 1) {
      throw new ShapeError(`${op}: shapes [${a.join(', ')}] and [${b.join(', ')}] cannot broadcast (axis ${i}: ${a[i]} vs ${b[i]})`);
    }
    out[i] = Math.max(a[i], b[i]);
  }
  return out as unknown as Shape3;
}

/** Checks a binary op's operands against their shapes; returns the broadcast output shape. */
export function checkBinary(op: string, a: Storage, as: Shape3, b: Storage, bs: Shape3): Shape3 {
  const os = broadcastShape(op, as, bs);
  checkLength(op, `a [${as.join(', ')}]`, a, as[0] * as[1] * as[2]);
  checkLength(op, `b [${bs.join(', ')}]`, b, bs[0] * bs[1] * bs[2]);
  return os;
}

/** Checks a reduction's [outer, axis, inner] view of x. */
export function checkReduce(op: string, x: Storage, outer: number, axis: number, inner: number): void {
  checkSize(op, 'outer', outer);
  checkSize(op, 'axis', axis);
  checkSize(op, 'inner', inner);
  checkLength(op, `x [${outer}, ${axis}, ${inner}]`, x, outer * axis * inner);
}

/** Checks a matmul spec against its operands; returns the output length. */
export function checkMatmul(a: Storage, b: Storage, s: MatmulSpec): number {
  const op = 'matmul';
  checkSize(op, 'batch', s.batch);
  checkSize(op, 'm', s.m);
  checkSize(op, 'k', s.k);
  checkSize(op, 'n', s.n);
  const aLen = (s.batchA === false ? 1 : s.batch) * s.m * s.k;
  const bLen = (s.batchB === false ? 1 : s.batch) * s.k * s.n;
  const aDesc = `${s.batchA === false ? '' : `${s.batch}×`}${s.transA ? `${s.k}×${s.m} (transposed)` : `${s.m}×${s.k}`}`;
  const bDesc = `${s.batchB === false ? '' : `${s.batch}×`}${s.transB ? `${s.n}×${s.k} (transposed)` : `${s.k}×${s.n}`}`;
  if (a.length !== aLen || b.length !== bLen) {
    throw new ShapeError(`matmul: A has ${a.length} elements and B ${b.length}; the spec needs A ${aDesc} = ${aLen} and B ${bDesc} = ${bLen}`);
  }
  if (s.bias) {
    const bl = (s.batchBias ? s.batch : 1) * s.n;
    if (s.bias.length !== bl) throw new ShapeError(`matmul: bias has ${s.bias.length} elements, expected ${bl} (${s.batchBias ? `${s.batch}×` : ''}${s.n})`);
  }
  return s.batch * s.m * s.n;
}
