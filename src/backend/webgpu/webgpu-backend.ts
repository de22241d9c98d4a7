/**
 * The WebGPU backend: each kernel of the interface is one or two dispatches of a shader in shaders/, recorded into
 * the runtime's open batch. Nothing here waits for the GPU except `read`/`readMany`.
 */
import {
  arenaOffsets, checkBinary, checkDropout, checkBitMatmul, checkBitMatmulTransposed, checkLength, checkOut, checkMatmul, checkModelDropout, checkModelOptim, checkReduce,
  checkSize, checkXent, optimTable, xentDlossMode, type AdamSpec, type Backend, type BinaryOp, type BitGradSpec, type BitMatmulSpec, type DropoutSpec,
  type MatmulSpec, type ModelDropoutSpec, type ModelKeys, type ModelOptimSpec, type ReduceOp, type Shape3, type Storage, type UnaryOp, type XentModelsSpec,
} from '../backend.ts';
import { bitCsr, type BitMatrix } from '../bit-matrix.ts';
import type { AdapterSummary } from '../../gpu/adapter-info.ts';
import { requestGpu, type DeviceOptions } from '../../gpu/device.ts';
import { GpuRuntime } from '../../gpu/runtime.ts';
import { loadShadersFromDisk } from '../../gpu/shader-source.ts';
import { planMatmul, type MatmulDevice, type MatmulOverride } from './matmul-config.ts';
import { planReduce } from './reduce-config.ts';
import { packParams } from './params.ts';

/**
 * A bit matrix on the device: one u32 buffer [offsets | indices | tOffsets | tIndices] (shaders/bit-matmul.wgsl), the
 * transpose with an extra last column holding every row (for the bias gradient).
 */
export class GpuBitMatrix implements BitMatrix {
  released = false;
  constructor(readonly buffer: GPUBuffer, readonly rows: number, readonly cols: number, readonly nnz: number) {}
}

export class GpuStorage implements Storage {
  released = false;
  /** Cached constants: release() leaves them alone. */
  pinned = false;
  /**
   * A view (see `arena`) is `length` floats at byte `offset` of its arena's buffer, bound with that offset; releasing
   * it does nothing — the arena goes when its whole storage is released.
   */
  constructor(readonly buffer: GPUBuffer, readonly length: number, readonly offset = 0, readonly arena: GpuStorage | null = null) {}
  /** A view that owns a share of its arena: releasing the last share releases the arena (see `pair`). */
  shared = false;
  /** Live shares of an arena made by `pair`. */
  shares = 0;

  get gone(): boolean {
    return this.released || (this.arena?.released ?? false);
  }
}

/** A buffer as a kernel binds it: whole, or a view's range. */
export type GpuBinding = GPUBuffer | GPUBufferBinding;

const UNARY_CODE: Record<UnaryOp, number> = { relu: 0, sigmoid: 1, tanh: 2, exp: 3, log: 4, neg: 5, abs: 6, square: 7, sqrt: 8, scale: 9 };
const BINARY_CODE: Record<BinaryOp, number> = { add: 0, sub: 1, mul: 2, div: 3, maximum: 4, greaterEqual: 5 };
const ACT_CODE = { none: 0, relu: 1, sigmoid: 2, tanh: 3 } as const;
const WG = 64;
/** Segments one arena optimizer dispatch covers (shaders/optim-models.wgsl: firstWg). */
const OPTIM_SEGMENTS = 16;

export class WebGpuBackend implements Backend {
  readonly kind = 'webgpu' as const;
  private readonly scalars = new Map<number, GpuStorage>();
  /** Forces a matmul kernel (and tiles) for the tests and the benchmark's comparisons; null = planMatmul's choice. */
  matmulOverride: MatmulOverride | null = null;
  /** What the matmul choice depends on besides the shapes. */
  readonly matmulDevice: MatmulDevice;
  /** Plans reductions as for a hardware or a software adapter (the tests run both plans); null = this adapter. */
  reduceOverride: 'hardware' | 'software' | null = null;
  /**
   * Whether an arena optimizer step of a population puts its whole-vec4 tensors and its per-lane ones (a one-output
   * bias) in separate dispatches: on software adapters, where the per-lane form costs 1.7× on a first layer's
   * weights; a hardware GPU is dispatch-bound, so one. null = this adapter's choice.
   */
  optimSplitOverride: boolean | null = null;

  constructor(readonly rt: GpuRuntime) {
    const lim = rt.device.limits;
    this.matmulDevice = {
      software: rt.info.software, subgroupSize: rt.ctx.subgroupSize,
      maxWorkgroupStorage: lim.maxComputeWorkgroupStorageSize, maxInvocations: Math.min(lim.maxComputeInvocationsPerWorkgroup, lim.maxComputeWorkgroupSizeX, lim.maxComputeWorkgroupSizeY),
    };
  }

  /** The options this backend's device was asked with, so `recreate` can ask again. */
  private deviceOptions: DeviceOptions = {};

  static async create(opts: DeviceOptions = {}): Promise<WebGpuBackend> {
    const node = typeof process !== 'undefined' && !!process.versions?.node;
    if (node) await loadShadersFromDisk();
    const be = new WebGpuBackend(new GpuRuntime(await requestGpu(opts)));
    be.deviceOptions = { powerPreference: opts.powerPreference, vulkanIcd: opts.vulkanIcd };
    // Matmul winners measured on this adapter by `shadergrad bench --tune` (a file in the cache folder), if any.
    if (node) be.matmulDevice.tuned = await (await import('./tune-file.ts')).readTuned(be.info);
    return be;
  }

  get info(): AdapterSummary {
    return this.rt.info;
  }

  /**
   * A new backend on a new device (a new adapter request, as a lost device's adapter cannot give another), with this
   * one's device options and kernel overrides: the way on after a DeviceLostError. This one is left as it is; call
   * its `dispose()`. Throws NoAdapterError (or the adapter's error) when no device can be had.
   */
  async recreate(): Promise<WebGpuBackend> {
    const be = await WebGpuBackend.create(this.deviceOptions);
    be.matmulOverride = this.matmulOverride;
    be.reduceOverride = this.reduceOverride;
    be.optimSplitOverride = this.optimSplitOverride;
    return be;
  }

  /**
   * Frees the device, its buffer pool, pipelines, cached scalars and tables; idempotent, fine on a lost device.
   * Later operations throw BackendDisposedError; releasing storages after it is harmless (tidy-up code runs on).
   */
  dispose(): void {
    this.rt.destroy();
    this.scalars.clear();
    this.tables = [];
  }

  private b(s: Storage, op: string): GpuBinding {
    if (!(s instanceof GpuStorage)) throw new TypeError(`${op}: storage belongs to another backend`);
    if (s.gone) throw new Error(`${op}: storage was released`);
    return this.bind(s);
  }

  private bind(s: GpuStorage): GpuBinding {
    // A view binds its floats rounded up to whole vec4s (arena slots are aligned, so that stays inside its slot).
    return s.arena ? { buffer: s.buffer, offset: s.offset, size: Math.max(16, Math.ceil(s.length / 4) * 16) } : s.buffer;
  }

  /**
   * One buffer holding tensors of these lengths back to back, each at an offset the adapter can bind
   * (minStorageBufferOffsetAlignment), zeroed: a model's parameters (or their gradients, or moments) in one
   * place, so one optimizer dispatch updates them all. `whole` owns the buffer; the views are its tensors.
   */
  arena(lengths: number[]): { whole: Storage; views: Storage[] } {
    const align = Math.max(4, this.rt.device.limits.minStorageBufferOffsetAlignment / 4);
    const offsets = arenaOffsets(lengths, align);
    const total = offsets.length ? Math.ceil((offsets.at(-1)! + lengths.at(-1)!) / 4) * 4 : 4;
    const whole = this.alloc(total, 'arena');
    this.rt.clear(whole.buffer, total * 4);
    return { whole, views: lengths.map((n, i) => new GpuStorage(whole.buffer, n, offsets[i] * 4, whole)) };
  }

  arenaLayout(views: Storage[]): { whole: Storage; offsets: number[] } | null {
    const gs = views.filter((v): v is GpuStorage => v instanceof GpuStorage && v.arena !== null);
    if (gs.length !== views.length || gs.length === 0 || gs.some((v) => v.arena !== gs[0].arena)) return null;
    return { whole: gs[0].arena!, offsets: gs.map((v) => v.offset / 4) };
  }

  private alloc(length: number, label: string): GpuStorage {
    const bytes = length * 4;
    if (bytes > this.rt.maxStorageBytes) {
      throw new RangeError(`${label}: output of ${length} floats (${bytes} bytes) exceeds the device's storage binding limit of ${this.rt.maxStorageBytes} bytes`);
    }
    return new GpuStorage(this.rt.createStorage(bytes, label), length);
  }

  /** `out` when given (checked), else a new buffer. */
  private target(out: Storage | undefined, length: number, label: string): GpuStorage {
    if (!out) return this.alloc(length, label);
    checkOut(label, out, length);
    this.b(out, label);
    return out as GpuStorage;
  }

  upload(data: ArrayLike<number>): Storage {
    const s = this.alloc(data.length, 'upload');
    if (data.length > 0) this.rt.upload(s.buffer, data instanceof Float32Array ? data : Float32Array.from(data));
    return s;
  }

  zeros(length: number): Storage {
    checkSize('zeros', 'length', length, 0);
    const s = this.alloc(length, 'zeros');
    this.rt.clear(s.buffer, Math.max(4, length * 4));
    return s;
  }

  scalar(value: number): Storage {
    this.rt.assertAlive('scalar');
    let s = this.scalars.get(value);
    if (!s) {
      s = new GpuStorage(this.rt.device.createBuffer({ size: 16, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC, label: `scalar ${value}` }), 1);
      s.pinned = true;
      this.rt.upload(s.buffer, Float32Array.of(value));
      this.scalars.set(value, s);
    }
    return s;
  }

  async read(s: Storage): Promise<Float32Array> {
    return (await this.readMany([s]))[0];
  }

  async readMany(list: Storage[]): Promise<Float32Array[]> {
    const bufs = list.map((s) => {
      this.b(s, 'read');
      const g = s as GpuStorage;
      return { buffer: g.buffer, offset: g.offset, bytes: g.length * 4 };
    });
    return (await this.rt.read(bufs)).map((ab) => new Float32Array(ab));
  }

  release(s: Storage): void {
    const g = s as GpuStorage;
    if (g.released) throw new Error('release: storage released twice');
    if (g.shared) {
      g.released = true;
      if (--g.arena!.shares === 0) this.release(g.arena!);
      return;
    }
    if (g.pinned || g.arena) return;
    g.released = true;
    this.rt.pool.release(g.buffer);
  }

  flush(): void {
    this.rt.flush();
  }

  matmul(a: Storage, b: Storage, s: MatmulSpec): Storage {
    const len = checkMatmul(a, b, s);
    const plan = planMatmul(s, this.matmulDevice, this.matmulOverride);
    const out = this.target(s.out, len, 'matmul');
    const params = packParams([
      s.m, s.n, s.k, s.batch,
      s.transA ? 1 : 0, s.transB ? 1 : 0, s.batchA === false ? 0 : s.m * s.k, s.batchB === false ? 0 : s.k * s.n,
      s.batchBias ? s.n : 0, s.bias ? 1 : 0, ACT_CODE[s.activation ?? 'none'], plan.tilesN,
      plan.tilesM, 0, 0, 0,
    ]);
    const bias = s.bias ? this.b(s.bias, 'matmul bias') : this.rt.dummy;
    this.rt.dispatch(plan.shader, plan.entry, plan.constants, params, [this.b(a, 'matmul'), this.b(b, 'matmul'), bias, this.bind(out)], plan.workgroups);
    return out;
  }

  uploadBitMatrix(offsets: Uint32Array, indices: Uint32Array, cols: number): BitMatrix {
    const c = bitCsr(offsets, indices, cols);
    // The transpose has one more column, every row: the bias gradient's, summed by the same loop as dW's columns.
    const nnz = c.indices.length;
    const words = new Uint32Array(2 * nnz + 2 * c.rows + c.cols + 3);
    words.set(c.offsets, 0);
    words.set(c.indices, c.rows + 1);
    const tOff = c.rows + 1 + nnz, tIdx = tOff + c.cols + 2;
    words.set(c.tOffsets, tOff);
    words[tOff + c.cols + 1] = nnz + c.rows;
    words.set(c.tIndices, tIdx);
    for (let r = 0; r < c.rows; r++) words[tIdx + nnz + r] = r;
    const buffer = this.rt.createStorage(words.byteLength, 'bit matrix');
    this.rt.upload(buffer, words);
    return new GpuBitMatrix(buffer, c.rows, c.cols, c.indices.length);
  }

  releaseBitMatrix(x: BitMatrix): void {
    const g = this.bits(x, 'releaseBitMatrix');
    g.released = true;
    this.rt.pool.release(g.buffer);
  }

  bitMatmul(x: BitMatrix, w: Storage, s: BitMatmulSpec): Storage {
    const bits = this.bits(x, 'bitMatmul');
    const len = checkBitMatmul(bits, w, s);
    const out = this.alloc(len, 'bitMatmul');
    const groups = Math.ceil(s.n / 8);
    const bias = s.bias ? this.b(s.bias, 'bitMatmul bias') : this.rt.dummy;
    this.rt.dispatch('bit-matmul', 'forward', { WG }, this.bitParams(bits, s.models, s.n, [s.bias ? 1 : 0, s.batchBias ? s.n : 0, ACT_CODE[s.activation ?? 'none'], 0]),
      [bits.buffer, this.b(w, 'bitMatmul'), bias, this.bind(out)], Math.ceil((s.models * bits.rows * groups) / WG));
    return out;
  }

  bitMatmulTransposed(x: BitMatrix, dz: Storage, s: { models: number; n: number }): Storage {
    return this.bitMatmulGrads(x, dz, { ...s, bias: false }).dW;
  }

  bitMatmulGrads(x: BitMatrix, dz: Storage, s: BitGradSpec): { dW: Storage; db: Storage | null } {
    const bits = this.bits(x, 'bitMatmulGrads');
    const len = checkBitMatmulTransposed(bits, dz, s);
    let dW: GpuStorage, db: GpuStorage | null = null;
    if (s.bias) {
      // dW and db go through one binding, db at element dbAt of it: a store without a branch (SwiftShader runs both
      // sides of every branch). Targets are used when they are laid out so (a parameter arena's W then b).
      const t = s.out?.dW && s.out?.db ? this.after(s.out.dW, len, s.out.db, s.models * s.n) : null;
      [dW, db] = t ?? this.pair(len, s.models * s.n);
    } else dW = this.target(s.out?.dW, len, 'bitMatmulGrads dW');
    const dbAt = db ? (db.offset - dW.offset) / 4 : 0;
    const span: GpuBinding = db ? { buffer: dW.buffer, offset: dW.offset, size: Math.ceil((dbAt + db.length) / 4) * 16 } : this.bind(dW);
    this.rt.dispatch('bit-matmul', 'transposed', { WG }, this.bitParams(bits, s.models, s.n, [s.bias ? 1 : 0, 0, 0, dbAt]),
      [bits.buffer, this.b(dz, 'bitMatmulGrads'), span], Math.ceil((s.models * (bits.cols + (s.bias ? 1 : 0)) * Math.ceil(s.n / 8)) / WG));
    return { dW, db };
  }

  /** a and b when both are views of one buffer with b after a's `aLen` floats (lengths checked), else null. */
  private after(a: Storage, aLen: number, b: Storage, bLen: number): [GpuStorage, GpuStorage] | null {
    checkOut('bitMatmulGrads dW', a, aLen);
    checkOut('bitMatmulGrads db', b, bLen);
    const ga = a as GpuStorage, gb = b as GpuStorage;
    this.b(a, 'bitMatmulGrads');
    this.b(b, 'bitMatmulGrads');
    return ga.buffer === gb.buffer && gb.offset >= ga.offset + aLen * 4 ? [ga, gb] : null;
  }

  /** Two new storages in one buffer (the second at an aligned offset), each released on its own. */
  private pair(aLen: number, bLen: number): [GpuStorage, GpuStorage] {
    const offs = arenaOffsets([aLen, bLen], 4);
    const owner = this.alloc(offs[1] + bLen, 'pair');
    owner.shares = 2;
    const views = [aLen, bLen].map((n, i) => {
      const v = new GpuStorage(owner.buffer, n, offs[i] * 4, owner);
      v.shared = true;
      return v;
    });
    return [views[0], views[1]];
  }

  private bitParams(x: GpuBitMatrix, models: number, n: number, rest: number[]): ArrayBuffer {
    // groups: invocations per row (or column) of the output, 8 outputs each.
    return packParams([x.rows, x.cols, n, models, x.rows + 1, x.rows + 1 + x.nnz, x.rows + x.cols + 3 + x.nnz, Math.ceil(n / 8), ...rest]);
  }

  private bits(x: BitMatrix, op: string): GpuBitMatrix {
    if (!(x instanceof GpuBitMatrix)) throw new TypeError(`${op}: bit matrix belongs to another backend`);
    if (x.released) throw new Error(`${op}: bit matrix was released`);
    return x;
  }

  unary(op: UnaryOp, x: Storage, alpha = 1): Storage {
    const out = this.alloc(x.length, op);
    this.rt.dispatch('unary', 'forward', { OP: UNARY_CODE[op], WG }, packParams([x.length, { f: alpha }]), [this.b(x, op), this.bind(out)], Math.ceil(x.length / WG));
    return out;
  }

  unaryBackward(op: UnaryOp, x: Storage, y: Storage, dy: Storage, alpha = 1): Storage {
    checkLength(`${op} backward`, 'y', y, x.length);
    checkLength(`${op} backward`, 'dy', dy, x.length);
    const out = this.alloc(x.length, `${op} backward`);
    this.rt.dispatch('unary', 'backward', { OP: UNARY_CODE[op], WG }, packParams([x.length, { f: alpha }]),
      [this.b(x, op), this.b(y, op), this.b(dy, op), this.bind(out)], Math.ceil(x.length / WG));
    return out;
  }

  binary(op: BinaryOp, a: Storage, as: Shape3, b: Storage, bs: Shape3): Storage {
    const os = checkBinary(op, a, as, b, bs);
    const n = os[0] * os[1] * os[2];
    const out = this.alloc(n, op);
    const strides = (s: Shape3) => [s[0] === 1 ? 0 : s[1] * s[2], s[1] === 1 ? 0 : s[2], s[2] === 1 ? 0 : 1];
    const params = packParams([os[0], os[1], os[2], n, ...strides(as), 0, ...strides(bs), 0]);
    this.rt.dispatch('binary', 'main', { OP: BINARY_CODE[op], WG }, params, [this.b(a, op), this.b(b, op), this.bind(out)], Math.ceil(n / WG));
    return out;
  }

  reduce(op: ReduceOp, x: Storage, outer: number, axis: number, inner: number, into?: Storage): Storage {
    checkReduce(op, x, outer, axis, inner);
    checkOut(op, into, outer * inner);
    const passes = planReduce(outer, axis, inner, this.reduceOverride ? this.reduceOverride === 'software' : this.info.software);
    let src: GpuBinding = this.b(x, op);
    let part: GpuStorage | null = null;
    for (let i = 0; i < passes.length; i++) {
      const pass = passes[i];
      const last = i === passes.length - 1;
      const outs = outer * pass.chunks * inner;
      const out = last ? this.target(into, outs, op) : this.alloc(outs, `${op} pass ${i + 1}`);
      const params = packParams([outer, pass.axis, inner, pass.chunkLen, pass.chunks, { f: last && op === 'mean' ? 1 / axis : 1 }]);
      this.rt.dispatch('reduce', pass.entry, { WG }, params, [src, this.bind(out)], pass.entry === 'serial' ? Math.ceil(outs / WG) : outs);
      if (part) this.release(part);
      if (last) return out;
      part = out;
      src = this.bind(out);
    }
    throw new Error('reduce: no pass planned');
  }

  sigmoidXent(logits: Storage, labels: Storage, weights: Storage, models = 1): Storage {
    const L = checkXent('sigmoidXent', logits, labels, weights, models);
    const out = this.alloc(logits.length, 'sigmoidXent');
    this.rt.dispatch('xent', 'forward', { WG }, packParams([logits.length, 0, L, 0]),
      [this.b(logits, 'sigmoidXent'), this.b(labels, 'sigmoidXent'), this.b(weights, 'sigmoidXent'), this.bind(out)], Math.ceil(logits.length / WG));
    return out;
  }

  sigmoidXentBackward(logits: Storage, labels: Storage, weights: Storage, dloss: Storage, models = 1): Storage {
    const L = checkXent('sigmoidXent backward', logits, labels, weights, models);
    const mode = xentDlossMode('sigmoidXent backward', logits, dloss, models);
    const out = this.alloc(logits.length, 'sigmoidXent backward');
    this.rt.dispatch('xent', 'backward', { WG }, packParams([logits.length, mode, L, 0]),
      [this.b(logits, 'xent'), this.b(labels, 'xent'), this.b(weights, 'xent'), this.b(dloss, 'xent'), this.bind(out)], Math.ceil(logits.length / WG));
    return out;
  }

  sigmoidXentModels(logits: Storage, labels: Storage, weights: Storage, s: XentModelsSpec): { loss: Storage; dlogits: Storage | null } {
    const L = checkXent('sigmoidXentModels', logits, labels, weights, s.models);
    if (s.total) checkLength('sigmoidXentModels', 'total', s.total, s.models);
    const loss = this.alloc(s.models, 'sigmoidXentModels');
    const dlogits = s.grad ? this.alloc(logits.length, 'sigmoidXentModels dlogits') : null;
    // Absent outputs still bind a writable buffer each (bindings may not alias a written buffer).
    const dx = dlogits ?? this.alloc(1, 'unused dlogits');
    const total = s.total ? (s.total as GpuStorage) : this.alloc(1, 'unused total');
    const flags = (s.grad ? 1 : 0) | (s.total ? 2 : 0);
    this.rt.dispatch('xent', 'fused', {}, packParams([logits.length, flags, L, { f: s.reduction === 'mean' ? 1 / L : 1 }]),
      [this.b(logits, 'sigmoidXentModels'), this.b(labels, 'sigmoidXentModels'), this.b(weights, 'sigmoidXentModels'), this.bind(loss), this.bind(dx), this.b(total, 'sigmoidXentModels total')], s.models);
    if (!dlogits) this.release(dx);
    if (!s.total) this.release(total);
    return { loss, dlogits };
  }

  dropout(x: Storage, spec: DropoutSpec): Storage {
    checkDropout(spec);
    const out = this.alloc(x.length, 'dropout');
    const params = packParams([x.length, { f: spec.keep }, spec.seed, spec.step, spec.stream, 0, 0, 0]);
    this.rt.dispatch('dropout', 'main', { WG }, params, [this.b(x, 'dropout'), this.bind(out)], Math.ceil(x.length / 4 / WG));
    return out;
  }

  /** Raw Philox-4x32-10 words for counters (c0+i, c1, c2, c3) under key (k0, k1): the generator's known-answer test. */
  async philoxWords(n: number, ctr: [number, number, number, number], key: [number, number]): Promise<Uint32Array> {
    const out = this.alloc(n * 4, 'philox');
    this.rt.dispatch('dropout', 'raw', { WG }, packParams([n, { f: 0 }, key[0], ctr[1], ctr[2], ctr[0], ctr[3], key[1]]), [this.bind(out)], Math.ceil(n / WG));
    const [ab] = await this.rt.read([{ buffer: out.buffer, bytes: n * 16 }]);
    this.release(out);
    return new Uint32Array(ab);
  }

  dropoutModels(x: Storage, spec: ModelDropoutSpec): Storage {
    checkModelDropout(x, spec);
    const out = this.alloc(x.length, 'dropoutModels');
    const keys = this.keyTable(spec);
    // Unpadded layers draw one Philox block per four elements; padded ones one per element (see the shader).
    const unpadded = Array.from({ length: spec.models }, (_, m) => spec.keys.width[m]).every((w) => w === spec.cols);
    const threads = unpadded ? spec.models * Math.ceil((spec.rows * spec.cols) / 4) : x.length;
    this.rt.dispatch('dropout-models', unpadded ? 'unpadded' : 'main', { WG }, packParams([spec.models, spec.rows, spec.cols, spec.stream]),
      [keys, this.b(x, 'dropoutModels'), this.bind(out)], Math.ceil(threads / WG));
    return out;
  }

  dropoutModelsReluBackward(y: Storage, dy: Storage, spec: ModelDropoutSpec): Storage {
    checkModelDropout(y, spec);
    checkLength('dropoutModels relu backward', 'dy', dy, y.length);
    const out = this.alloc(y.length, 'dropoutModels relu backward');
    this.rt.dispatch('dropout-models', 'reluBackward', { WG }, packParams([spec.models, spec.rows, spec.cols, spec.stream]),
      [this.keyTable(spec), this.b(y, 'dropoutModels relu backward'), this.b(dy, 'dropoutModels relu backward'), this.bind(out)], Math.ceil(y.length / WG));
    return out;
  }

  /** Per model: seed, step, width, keep (f32 bits), uploaded once per keys object. */
  private keyTable(spec: ModelDropoutSpec): GPUBuffer {
    return this.cachedTable(spec.keys, () => {
      const words = new Uint32Array(4 * spec.models);
      const f = new Float32Array(words.buffer);
      for (let m = 0; m < spec.models; m++) {
        words[4 * m] = spec.keys.seed[m];
        words[4 * m + 1] = spec.keys.step[m];
        words[4 * m + 2] = spec.keys.width[m];
        f[4 * m + 3] = spec.keys.keep[m];
      }
      return words;
    });
  }

  optimModels(p: Storage, g: Storage, m: Storage | null, v: Storage | null, spec: ModelOptimSpec): void {
    const per = checkModelOptim(p, g, m, v, spec);
    // An arena step: each workgroup updates WG vec4s of one segment. Segments whose per-model slices are whole vec4s
    // (or any, for one model) take the one-lookup pipeline, the rest (a population's one-output bias) the per-lane
    // one — every segment, when not split (optimSplitOverride); at most OPTIM_SEGMENTS per dispatch. The table lists the segments in dispatch order after the models' rows.
    const lanes = spec.models > 1 && (spec.segments ?? []).some((sg) => (sg.length / spec.models) % 4 !== 0);
    const split = this.optimSplitOverride ?? this.info.software;
    const laneOf = (sg: { length: number }) => lanes && (!split || (sg.length / spec.models) % 4 !== 0);
    const chunks: { segs: { offset: number; length: number }[]; lane: boolean; base: number; firstWg: number[]; wgs: number }[] = [];
    for (const lane of [false, true]) {
      const group = (spec.segments ?? []).filter((sg) => laneOf(sg) === lane);
      for (let k0 = 0; k0 < group.length; k0 += OPTIM_SEGMENTS) {
        const segs = group.slice(k0, k0 + OPTIM_SEGMENTS);
        const firstWg: number[] = [];
        let wgs = 0;
        for (const sg of segs) {
          firstWg.push(wgs);
          wgs += Math.ceil(sg.length / 4 / WG);
        }
        chunks.push({ segs, lane, base: chunks.reduce((n, c) => n + c.segs.length, 0), firstWg, wgs });
      }
    }
    // Per model [lr, bc1, bc2, active]; with decay, per model [λ, 0, 0, 0]; then each segment's (offset, length,
    // per, first workgroup) as u32s. Without a nonzero λ the pipelines compile no decay (DECAY = 0).
    const decay = spec.weightDecay && Array.from({ length: spec.models }, (_, k) => spec.weightDecay![k]).some((l) => l !== 0) ? spec.weightDecay : null;
    const table = this.cachedTable(spec, () => {
      const rows = Float32Array.from(optimTable(spec));
      const t = decay ? new Float32Array(8 * spec.models) : rows;
      if (decay) {
        t.set(rows);
        for (let k = 0; k < spec.models; k++) t[4 * spec.models + 4 * k] = decay[k];
      }
      if (!spec.segments) return t;
      const words = new Uint32Array(t.length + 4 * spec.segments.length);
      words.set(new Uint32Array(t.buffer));
      words.set(chunks.flatMap((c) => c.segs.flatMap((sg, k) => [sg.offset, sg.length, sg.length / spec.models, c.firstWg[k]])), t.length);
      return words;
    });
    // Auto layouts bind only what an entry uses: sgd no moments, momentum one.
    const bufs = [table, this.b(p, spec.kind), this.b(g, spec.kind)];
    if (spec.kind !== 'sgd') bufs.push(this.b(m!, spec.kind));
    if (spec.kind === 'adam') bufs.push(this.b(v!, spec.kind));
    const head = [p.length, per, { f: spec.beta1 }, { f: spec.beta2 }, { f: spec.eps }];
    const DECAY = decay ? 1 : 0;
    if (spec.segments?.length) {
      for (const { segs, lane, base, firstWg, wgs } of chunks) {
        const starts = [...firstWg, ...new Array<number>(OPTIM_SEGMENTS - firstWg.length).fill(0xffffffff)];
        this.rt.dispatch('optim-models', `${spec.kind}Seg`, { WG, SEG_VECS: Math.ceil(segs.length / 4), LANE_MODELS: lane ? 1 : 0, DECAY },
          packParams([...head, segs.length, spec.models, base + (decay ? spec.models : 0), ...starts]), bufs, wgs);
      }
      return;
    }
    // vec4 entries when every model's slice is whole vec4s (buffers come in multiples of 16 bytes).
    const vec4 = per % 4 === 0;
    this.rt.dispatch('optim-models', vec4 ? `${spec.kind}4` : spec.kind, { WG, DECAY }, packParams([...head, 0, spec.models, 0]),
      bufs, Math.ceil(p.length / (vec4 ? 4 : 1) / WG));
  }

  /**
   * Per-step tables (dropout keys, optimizer rates) are uploaded once per spec object: every layer and parameter of
   * a step passes the same object. Two live tables (one of each kind per step); older ones return to the pool.
   */
  private tables: { key: object; buffer: GPUBuffer }[] = [];
  private cachedTable(key: ModelKeys | ModelOptimSpec, make: () => Float32Array | Uint32Array): GPUBuffer {
    const hit = this.tables.find((t) => t.key === key);
    if (hit) return hit.buffer;
    const data = make();
    const buffer = this.rt.createStorage(Math.max(16, data.byteLength), 'per-model table');
    this.rt.upload(buffer, data);
    this.tables.push({ key, buffer });
    if (this.tables.length > 4) this.rt.pool.release(this.tables.shift()!.buffer);
    return buffer;
  }

  write(s: Storage, offset: number, data: ArrayLike<number>): void {
    this.b(s, 'write');
    const g = s as GpuStorage;
    if (!Number.isInteger(offset) || offset < 0 || offset + data.length > s.length) throw new RangeError(`write: ${data.length} values at offset ${offset} do not fit a buffer of ${s.length}`);
    // Recorded work that reads s must see the old values: submit it before the queue write lands.
    this.rt.flush();
    const f = data instanceof Float32Array ? data : Float32Array.from(data);
    this.rt.device.queue.writeBuffer(g.buffer, g.offset + offset * 4, f.buffer, f.byteOffset, f.byteLength);
  }

  sgd(p: Storage, g: Storage, lr: number): void {
    checkLength('sgd', 'gradient', g, p.length);
    this.optim('sgd', p, g, null, null, [p.length, { f: lr }, { f: 0 }, { f: 0 }, { f: 0 }, { f: 1 }, { f: 1 }, 0]);
  }

  momentum(p: Storage, g: Storage, v: Storage, lr: number, mu: number): void {
    checkLength('momentum', 'gradient', g, p.length);
    checkLength('momentum', 'velocity', v, p.length);
    this.optim('momentum', p, g, v, null, [p.length, { f: lr }, { f: mu }, { f: 0 }, { f: 0 }, { f: 1 }, { f: 1 }, 0]);
  }

  adam(p: Storage, g: Storage, m: Storage, v: Storage, s: AdamSpec): void {
    for (const [n, x] of [['gradient', g], ['m', m], ['v', v]] as const) checkLength('adam', n, x, p.length);
    checkSize('adam', 't', s.t);
    const bc1 = 1 - s.beta1 ** s.t, bc2 = 1 - s.beta2 ** s.t;
    this.optim('adam', p, g, m, v, [p.length, { f: s.lr }, { f: s.beta1 }, { f: s.beta2 }, { f: s.eps }, { f: bc1 }, { f: bc2 }, 0]);
  }

  private optim(entry: string, p: Storage, g: Storage, m: Storage | null, v: Storage | null, fields: Parameters<typeof packParams>[0]): void {
    const stores = [p, g, ...(m ? [m] : []), ...(v ? [v] : [])];
    const bufs = stores.map((s) => this.b(s, entry));
    // The kernel updates whole vec4s, so the last may reach into padding: every buffer must hold it (a view's slot does).
    const vec4s = Math.ceil(p.length / 4);
    for (const s of stores as GpuStorage[]) {
      if (!s.arena && s.buffer.size < vec4s * 16) throw new RangeError(`${entry}: buffer "${s.buffer.label}" of ${s.buffer.size} bytes cannot hold ${vec4s} vec4s for ${p.length} elements`);
    }
    this.rt.dispatch('optim', entry, { WG }, packParams(fields), bufs, Math.ceil(vec4s / WG));
  }
}
