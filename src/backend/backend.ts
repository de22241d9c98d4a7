/**
 * The kernel interface: everything above it (autograd, layers, optimizers) is backend-agnostic, and two
 * implementations sit below it — `webgpu` (WGSL kernels) and `cpu` (plain TypeScript: the tests' oracle, in float32
 * or float64, and the fallback when no adapter exists). Buffers are flat, row-major float arrays; shapes travel with
 * each call, so the same kernels serve a leading batch dimension (many models trained at once).
 */
import type { AdapterSummary } from '../gpu/adapter-info.ts';
import type { BitMatrix } from './bit-matrix.ts';
import { ShapeError, checkSize } from './shape-error.ts';

export { ShapeError, checkSize } from './shape-error.ts';

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
  /** Where C goes (a parameter's gradient buffer, see `arena`); a new buffer when absent. */
  out?: Storage;
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

/** The weight (and bias) gradients of bitMatmul: dW = Xᵀ·dz [models, cols, n] and db = column sums [models, n]. */
export interface BitGradSpec {
  models: number;
  n: number;
  /** Also the bias gradient, in the same dispatch. */
  bias: boolean;
  /** Where dW and db go (parameters' gradient buffers); new buffers when absent. */
  out?: { dW?: Storage; db?: Storage };
}

/** Each model's weighted sigmoid cross-entropy over its L = logits / models elements, as a training step needs it. */
export interface XentModelsSpec {
  models: number;
  /** 'sum' over the L elements, or 'mean' (÷ L). */
  reduction: 'sum' | 'mean';
  /** Also dlogits for a unit gradient of each model's loss. */
  grad: boolean;
  /** [models]: the loss is added into it in place (a running sum over an epoch's steps). */
  total?: Storage;
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

/**
 * Per-model dropout keys for x viewed as [models, rows, cols]: model m keeps with probability keep[m] and draws its
 * mask from Philox keyed by (seed[m], step[m], stream) over its own logical elements r·width[m] + c (c < width[m]):
 * its mask is the solo run's, whatever the population's size, its slot or the padding to the widest model.
 * Elements at c ≥ width[m] (padding) come out 0. The same object may serve every layer of a step (backends cache it).
 */
export interface ModelDropoutSpec {
  models: number;
  rows: number;
  cols: number;
  stream: number;
  keys: ModelKeys;
}

export interface ModelKeys {
  keep: ArrayLike<number>;
  seed: ArrayLike<number>;
  step: ArrayLike<number>;
  width: ArrayLike<number>;
}

/**
 * One optimizer step for `models` parameter sets stored back to back (p is [models, per]): model m uses lr[m] and its
 * own 1-based step t[m] (Adam's bias correction); t[m] = 0 freezes it — its parameters and moments do not change.
 * The same object may serve every parameter tensor of a step (backends cache its upload).
 */
export interface ModelOptimSpec {
  kind: 'sgd' | 'momentum' | 'adam';
  models: number;
  lr: ArrayLike<number>;
  t: ArrayLike<number>;
  /** Momentum's μ, Adam's β1. */
  beta1: number;
  beta2: number;
  eps: number;
  /**
   * Per-model L2 weight decay λ[m] (absent: none): the step uses g + λ·p in place of g, as a loss term λ/2·‖p‖²
   * would (Adam's moments see the decayed gradient, as torch.optim.Adam's weight_decay does).
   */
  weightDecay?: ArrayLike<number>;
  /**
   * p, g, m and v are arenas laid out alike (Backend.arena), and each segment is one [models, per] tensor at that
   * element offset: one dispatch updates them all.
   */
  segments?: { offset: number; length: number }[];
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
  /**
   * One zeroed allocation holding tensors of these lengths (each at an offset the device can bind): `whole` owns it,
   * the views are the tensors' storages (releasing a view does nothing). A model's parameters, gradients and moments
   * each live in one, so one optimizer dispatch serves them all (ModelOptimSpec.segments).
   */
  arena(lengths: number[]): { whole: Storage; views: Storage[] };
  /** The arena these views belong to and their element offsets in it, or null when they are not views of one arena. */
  arenaLayout(views: Storage[]): { whole: Storage; offsets: number[] } | null;
  /** Submits recorded work without waiting (no-op on the CPU). */
  flush(): void;
  /**
   * Frees everything the backend holds (on WebGPU: buffers, pipelines and the device); idempotent. Later operations
   * throw BackendDisposedError; releasing a storage after it does nothing.
   */
  dispose(): void;

  matmul(a: Storage, b: Storage, spec: MatmulSpec): Storage;
  /** Uploads a bit matrix given as CSR set-column indices (see bit-matrix.ts); `releaseBitMatrix` frees it. */
  uploadBitMatrix(offsets: Uint32Array, indices: Uint32Array, cols: number): BitMatrix;
  releaseBitMatrix(x: BitMatrix): void;
  /** [models, rows, n]: row r of model m is act(Σ over X's set columns j of W[m, j, :] + b[m]). */
  bitMatmul(x: BitMatrix, w: Storage, spec: BitMatmulSpec): Storage;
  /** Xᵀ·dz per model: [models, cols, n] from dz [models, rows, n] (the weight gradient of bitMatmul). */
  bitMatmulTransposed(x: BitMatrix, dz: Storage, spec: { models: number; n: number }): Storage;
  /** bitMatmul's parameter gradients from dz [models, rows, n] in one dispatch (see BitGradSpec). */
  bitMatmulGrads(x: BitMatrix, dz: Storage, spec: BitGradSpec): { dW: Storage; db: Storage | null };
  unary(op: UnaryOp, x: Storage, alpha?: number): Storage;
  /** dx = dy · f'(x), with y = f(x) given so ops whose derivative is cheaper from y use it. */
  unaryBackward(op: UnaryOp, x: Storage, y: Storage, dy: Storage, alpha?: number): Storage;
  /** out[b,r,c] = a[b,r,c] op b[b,r,c] with broadcasting of size-1 axes. */
  binary(op: BinaryOp, a: Storage, aShape: Shape3, b: Storage, bShape: Shape3): Storage;
  /** x viewed as [outer, axis, inner] → [outer, inner]. */
  reduce(op: ReduceOp, x: Storage, outer: number, axis: number, inner: number, out?: Storage): Storage;
  /**
   * Elementwise w · (max(x,0) − x·z + log(1+e^−|x|)): sigmoid cross-entropy from logits, stable for any x. With
   * `models` > 1 the logits are [models, L] and labels and weights [L], shared by every model.
   */
  sigmoidXent(logits: Storage, labels: Storage, weights: Storage, models?: number): Storage;
  /**
   * dx = dloss · w · (σ(x) − z); dloss has one element per logit, one per model (the gradient of each model's
   * sum), or one for all.
   */
  sigmoidXentBackward(logits: Storage, labels: Storage, weights: Storage, dloss: Storage, models?: number): Storage;
  /**
   * Each model's loss [models] (see XentModelsSpec) in one dispatch, and with `grad` dlogits = s · w · (σ(x) − z),
   * s = 1 or 1/L: the gradient that a seed of ones gives.
   */
  sigmoidXentModels(logits: Storage, labels: Storage, weights: Storage, spec: XentModelsSpec): { loss: Storage; dlogits: Storage | null };
  /** y = mask · x / keep with the Philox mask of (seed, step, stream, element); backward is the same call on dy. */
  dropout(x: Storage, spec: DropoutSpec): Storage;

  /** Per-model dropout (see ModelDropoutSpec); backward is the same call on dy. */
  dropoutModels(x: Storage, spec: ModelDropoutSpec): Storage;
  /** The backward of relu then dropoutModels from the dropout's output y: da = dy / keep where y > 0, else 0. */
  dropoutModelsReluBackward(y: Storage, dy: Storage, spec: ModelDropoutSpec): Storage;
  /** In place, per-model learning rates, steps and frozen flags (see ModelOptimSpec); v is unused by sgd/momentum. */
  optimModels(p: Storage, g: Storage, m: Storage | null, v: Storage | null, spec: ModelOptimSpec): void;
  /** Overwrites data.length elements of s from `offset` (after the work recorded so far that uses s). */
  write(s: Storage, offset: number, data: ArrayLike<number>): void;

  /** In place: p −= lr · g. */
  sgd(p: Storage, g: Storage, lr: number): void;
  /** In place: v = μ·v + g; p −= lr · v. */
  momentum(p: Storage, g: Storage, v: Storage, lr: number, mu: number): void;
  /** In place, bias-corrected Adam (Kingma & Ba, Algorithm 1). */
  adam(p: Storage, g: Storage, m: Storage, v: Storage, spec: AdamSpec): void;
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

/** Checks a per-model dropout's operand and keys. */
export function checkModelDropout(x: Storage, s: ModelDropoutSpec): void {
  const op = 'dropoutModels';
  checkSize(op, 'models', s.models);
  checkSize(op, 'rows', s.rows);
  checkSize(op, 'cols', s.cols);
  checkLength(op, `x [${s.models}, ${s.rows}, ${s.cols}]`, x, s.models * s.rows * s.cols);
  for (const k of ['keep', 'seed', 'step', 'width'] as const) {
    if (s.keys[k].length < s.models) throw new ShapeError(`${op}: keys.${k} has ${s.keys[k].length} entries for ${s.models} models`);
  }
  for (let m = 0; m < s.models; m++) {
    const keep = s.keys.keep[m], w = s.keys.width[m];
    if (!(keep > 0 && keep <= 1)) throw new RangeError(`${op}: keep probability of model ${m} must be in (0, 1], got ${keep}`);
    if (!Number.isInteger(w) || w < 1 || w > s.cols) throw new RangeError(`${op}: width of model ${m} must be an integer in [1, ${s.cols}], got ${w}`);
    for (const k of ['seed', 'step'] as const) {
      const v = s.keys[k][m];
      if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`${op}: ${k} of model ${m} must be an integer in [0, 2^32), got ${v}`);
    }
  }
  if (!Number.isInteger(s.stream) || s.stream < 0 || s.stream > 0xffffffff) throw new RangeError(`${op}: stream must be an integer in [0, 2^32), got ${s.stream}`);
}

/** Checks a per-model optimizer step; returns the elements per model. */
export function checkModelOptim(p: Storage, g: Storage, m: Storage | null, v: Storage | null, s: ModelOptimSpec): number {
  const op = `${s.kind} (per model)`;
  checkSize(op, 'models', s.models);
  let end = 0;
  for (const [k, seg] of (s.segments ?? []).entries()) {
    if (!Number.isInteger(seg.offset) || seg.offset < end || seg.offset % 4 !== 0) throw new RangeError(`${op}: segment ${k} starts at ${seg.offset}; segments must be in order, apart, and start at multiples of 4`);
    if (seg.length % s.models !== 0) throw new ShapeError(`${op}: segment ${k} has ${seg.length} parameters, which do not split into ${s.models} models`);
    end = seg.offset + seg.length;
  }
  if (end > p.length) throw new ShapeError(`${op}: the segments reach element ${end} of an arena of ${p.length}`);
  if (!s.segments && p.length % s.models !== 0) throw new ShapeError(`${op}: ${p.length} parameters do not split into ${s.models} models`);
  checkLength(op, 'gradient', g, p.length);
  if (s.kind !== 'sgd') {
    if (!m) throw new ShapeError(`${op}: needs its first moment / velocity buffer`);
    checkLength(op, 'm', m, p.length);
  }
  if (s.kind === 'adam') {
    if (!v) throw new ShapeError(`${op}: needs its second moment buffer`);
    checkLength(op, 'v', v, p.length);
  }
  if (s.lr.length < s.models || s.t.length < s.models) throw new ShapeError(`${op}: ${s.lr.length} learning rates and ${s.t.length} steps for ${s.models} models`);
  for (let i = 0; i < s.models; i++) {
    if (!Number.isInteger(s.t[i]) || s.t[i] < 0) throw new RangeError(`${op}: step of model ${i} must be an integer ≥ 0 (0 = frozen), got ${s.t[i]}`);
  }
  const wd = s.weightDecay;
  if (wd && wd.length < s.models) throw new ShapeError(`${op}: ${wd.length} weight decays for ${s.models} models`);
  for (let i = 0; wd && i < s.models; i++) {
    if (!(wd[i] >= 0) || !Number.isFinite(wd[i])) throw new RangeError(`${op}: weight decay of model ${i} must be a finite number ≥ 0, got ${wd[i]}`);
  }
  return s.segments ? 0 : p.length / s.models;
}

/** Per-model learning rate and bias corrections [lr, bc1, bc2, active] × models, computed once on the host. */
export function optimTable(s: ModelOptimSpec): Float64Array {
  const t = new Float64Array(4 * s.models);
  for (let m = 0; m < s.models; m++) {
    const step = s.t[m];
    t[4 * m] = s.lr[m];
    t[4 * m + 1] = step > 0 && s.kind === 'adam' ? 1 - s.beta1 ** step : 1;
    t[4 * m + 2] = step > 0 && s.kind === 'adam' ? 1 - s.beta2 ** step : 1;
    t[4 * m + 3] = step > 0 ? 1 : 0;
  }
  return t;
}

/** Which dloss layout a sigmoidXentBackward got: 0 one for all, 1 one per logit, 2 one per model. */
export function xentDlossMode(op: string, logits: Storage, dloss: Storage, models: number): 0 | 1 | 2 {
  if (dloss.length === logits.length) return 1;
  if (dloss.length === 1) return 0;
  if (dloss.length === models) return 2;
  throw new ShapeError(`${op}: dloss has ${dloss.length} elements; expected 1, ${models} (one per model) or ${logits.length} (one per logit)`);
}

/** Element offsets of tensors of these lengths laid back to back, each starting at a multiple of `align`. */
export function arenaOffsets(lengths: number[], align: number): number[] {
  let at = 0;
  return lengths.map((n) => {
    checkSize('arena', 'length', n);
    const o = at;
    at = Math.ceil((o + n) / align) * align;
    return o;
  });
}

/** Checks an optional output buffer's length (a gradient target); returns it. */
export function checkOut(op: string, out: Storage | undefined, length: number): Storage | undefined {
  if (out && out.length !== length) throw new ShapeError(`${op}: the output buffer has ${out.length} elements, expected ${length}`);
  return out;
}

/** Checks sigmoidXent's operands: logits [models, L], labels and weights [L]; returns L. */
export function checkXent(op: string, logits: Storage, labels: Storage, weights: Storage, models: number): number {
  checkSize(op, 'models', models);
  if (logits.length % models !== 0) throw new ShapeError(`${op}: ${logits.length} logits do not split into ${models} models`);
  const L = logits.length / models;
  checkLength(op, 'labels', labels, L);
  checkLength(op, 'weights', weights, L);
  return L;
}

/** Checks a dropout spec: keep in (0, 1], seed, step and stream 32-bit unsigned integers. */
export function checkDropout(s: DropoutSpec): void {
  if (!(s.keep > 0 && s.keep <= 1)) throw new RangeError(`dropout: keep probability must be in (0, 1], got ${s.keep}`);
  for (const k of ['seed', 'step', 'stream'] as const) {
    if (!Number.isInteger(s[k]) || s[k] < 0 || s[k] > 0xffffffff) throw new RangeError(`dropout: ${k} must be an integer in [0, 2^32), got ${s[k]}`);
  }
}
