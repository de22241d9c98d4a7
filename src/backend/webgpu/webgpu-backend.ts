/**
 * The WebGPU backend: each kernel of the interface is one or two dispatches of a shader in shaders/, recorded into
 * the runtime's open batch. Nothing here waits for the GPU except `read`/`readMany`.
 */
import {
  checkBinary, checkBitMatmul, checkBitMatmulTransposed, checkLength, checkMatmul, checkModelDropout, checkModelOptim, checkReduce,
  checkSize, checkXent, optimTable, xentDlossMode, type AdamSpec, type Backend, type BinaryOp, type BitMatmulSpec, type DropoutSpec,
  type MatmulSpec, type ModelDropoutSpec, type ModelKeys, type ModelOptimSpec, type ReduceOp, type Shape3, type Storage, type UnaryOp,
} from '../backend.ts';
import { bitCsr, type BitMatrix } from '../bit-matrix.ts';
import { checkDropout } from '../cpu/cpu-backend.ts';
import type { AdapterSummary } from '../../gpu/adapter-info.ts';
import { requestGpu, type DeviceOptions } from '../../gpu/device.ts';
import { GpuRuntime } from '../../gpu/runtime.ts';
import { loadShadersFromDisk } from '../../gpu/shader-source.ts';
import { planMatmul, type MatmulDevice, type MatmulOverride } from './matmul-config.ts';
import { planReduce } from './reduce-config.ts';
import { packParams } from './params.ts';

/** A bit matrix on the device: one u32 buffer [offsets | indices | tOffsets | tIndices] (shaders/bit-matmul.wgsl). */
export class GpuBitMatrix implements BitMatrix {
  released = false;
  constructor(readonly buffer: GPUBuffer, readonly rows: number, readonly cols: number, readonly nnz: number) {}
}

export class GpuStorage implements Storage {
  released = false;
  /** Cached constants: release() leaves them alone. */
  pinned = false;
  constructor(readonly buffer: GPUBuffer, readonly length: number) {}
}

const UNARY_CODE: Record<UnaryOp, number> = { relu: 0, sigmoid: 1, tanh: 2, exp: 3, log: 4, neg: 5, abs: 6, square: 7, sqrt: 8, scale: 9 };
const BINARY_CODE: Record<BinaryOp, number> = { add: 0, sub: 1, mul: 2, div: 3, maximum: 4, greaterEqual: 5 };
const ACT_CODE = { none: 0, relu: 1, sigmoid: 2, tanh: 3 } as const;
const WG = 64;

export class WebGpuBackend implements Backend {
  readonly kind = 'webgpu' as const;
  private readonly scalars = new Map<number, GpuStorage>();
  /** Forces a matmul kernel (and tiles) for the tests and the benchmark's comparisons; null = planMatmul's choice. */
  matmulOverride: MatmulOverride | null = null;
  /** What the matmul choice depends on besides the shapes. */
  readonly matmulDevice: MatmulDevice;
  /** Plans reductions as for a hardware or a software adapter (the tests run both plans); null = this adapter. */
  reduceOverride: 'hardware' | 'software' | null = null;

  constructor(readonly rt: GpuRuntime) {
    const lim = rt.device.limits;
    this.matmulDevice = {
      software: rt.info.software, subgroupSize: rt.ctx.subgroupSize,
      maxWorkgroupStorage: lim.maxComputeWorkgroupStorageSize, maxInvocations: Math.min(lim.maxComputeInvocationsPerWorkgroup, lim.maxComputeWorkgroupSizeX, lim.maxComputeWorkgroupSizeY),
    };
  }

  static async create(opts: DeviceOptions = {}): Promise<WebGpuBackend> {
    const node = typeof process !== 'undefined' && !!process.versions?.node;
    if (node) await loadShadersFromDisk();
    const be = new WebGpuBackend(new GpuRuntime(await requestGpu(opts)));
    // Matmul winners measured on this adapter by `shadergrad bench --tune` (a file in the cache folder), if any.
    if (node) be.matmulDevice.tuned = await (await import('./matmul-tune.ts')).readTuned(be.info);
    return be;
  }

  get info(): AdapterSummary {
    return this.rt.info;
  }

  private b(s: Storage, op: string): GPUBuffer {
    if (!(s instanceof GpuStorage)) throw new TypeError(`${op}: storage belongs to another backend`);
    if (s.released) throw new Error(`${op}: storage was released`);
    return s.buffer;
  }

  private alloc(length: number, label: string): GpuStorage {
    const bytes = length * 4;
    if (bytes > this.rt.maxStorageBytes) {
      throw new RangeError(`${label}: output of ${length} floats (${bytes} bytes) exceeds the device's storage binding limit of ${this.rt.maxStorageBytes} bytes`);
    }
    return new GpuStorage(this.rt.createStorage(bytes, label), length);
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
    const bufs = list.map((s) => ({ buffer: this.b(s, 'read'), bytes: s.length * 4 }));
    return (await this.rt.read(bufs)).map((ab) => new Float32Array(ab));
  }

  release(s: Storage): void {
    const g = s as GpuStorage;
    if (g.released) throw new Error('release: storage released twice');
    if (g.pinned) return;
    g.released = true;
    this.rt.pool.release(g.buffer);
  }

  flush(): void {
    this.rt.flush();
  }

  matmul(a: Storage, b: Storage, s: MatmulSpec): Storage {
    const len = checkMatmul(a, b, s);
    const plan = planMatmul(s, this.matmulDevice, this.matmulOverride);
    const out = this.alloc(len, 'matmul');
    const params = packParams([
      s.m, s.n, s.k, s.batch,
      s.transA ? 1 : 0, s.transB ? 1 : 0, s.batchA === false ? 0 : s.m * s.k, s.batchB === false ? 0 : s.k * s.n,
      s.batchBias ? s.n : 0, s.bias ? 1 : 0, ACT_CODE[s.activation ?? 'none'], plan.tilesN,
      plan.tilesM, 0, 0, 0,
    ]);
    const bias = s.bias ? this.b(s.bias, 'matmul bias') : this.rt.dummy;
    this.rt.dispatch(plan.shader, plan.entry, plan.constants, params, [this.b(a, 'matmul'), this.b(b, 'matmul'), bias, out.buffer], plan.workgroups);
    return out;
  }

  uploadBitMatrix(offsets: Uint32Array, indices: Uint32Array, cols: number): BitMatrix {
    const c = bitCsr(offsets, indices, cols);
    const words = new Uint32Array(2 * c.indices.length + c.rows + c.cols + 2);
    words.set(c.offsets, 0);
    words.set(c.indices, c.rows + 1);
    words.set(c.tOffsets, c.rows + 1 + c.indices.length);
    words.set(c.tIndices, c.rows + c.cols + 2 + c.indices.length);
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
      [bits.buffer, this.b(w, 'bitMatmul'), bias, out.buffer], Math.ceil((s.models * bits.rows * groups) / WG));
    return out;
  }

  bitMatmulTransposed(x: BitMatrix, dz: Storage, s: { models: number; n: number }): Storage {
    const bits = this.bits(x, 'bitMatmulTransposed');
    const len = checkBitMatmulTransposed(bits, dz, s);
    const out = this.alloc(len, 'bitMatmulTransposed');
    this.rt.dispatch('bit-matmul', 'transposed', { WG }, this.bitParams(bits, s.models, s.n, [0, 0, 0, 0]),
      [bits.buffer, this.b(dz, 'bitMatmulTransposed'), out.buffer], Math.ceil((s.models * bits.cols * Math.ceil(s.n / 8)) / WG));
    return out;
  }

  private bitParams(x: GpuBitMatrix, models: number, n: number, rest: number[]): ArrayBuffer {
    // groups: invocations per row (or column) of the output, 8 outputs each.
    return packParams([x.rows, x.cols, n, models, x.rows + 1, x.rows + 1 + x.nnz, x.rows + x.cols + 2 + x.nnz, Math.ceil(n / 8), ...rest]);
  }

  private bits(x: BitMatrix, op: string): GpuBitMatrix {
    if (!(x instanceof GpuBitMatrix)) throw new TypeError(`${op}: bit matrix belongs to another backend`);
    if (x.released) throw new Error(`${op}: bit matrix was released`);
    return x;
  }

  unary(op: UnaryOp, x: Storage, alpha = 1): Storage {
    const out = this.alloc(x.length, op);
    this.rt.dispatch('unary', 'forward', { OP: UNARY_CODE[op], WG }, packParams([x.length, { f: alpha }]), [this.b(x, op), out.buffer], Math.ceil(x.length / WG));
    return out;
  }

  unaryBackward(op: UnaryOp, x: Storage, y: Storage, dy: Storage, alpha = 1): Storage {
    checkLength(`${op} backward`, 'y', y, x.length);
    checkLength(`${op} backward`, 'dy', dy, x.length);
    const out = this.alloc(x.length, `${op} backward`);
    this.rt.dispatch('unary', 'backward', { OP: UNARY_CODE[op], WG }, packParams([x.length, { f: alpha }]),
      [this.b(x, op), this.b(y, op), this.b(dy, op), out.buffer], Math.ceil(x.length / WG));
    return out;
  }

  binary(op: BinaryOp, a: Storage, as: Shape3, b: Storage, bs: Shape3): Storage {
    const os = checkBinary(op, a, as, b, bs);
    const n = os[0] * os[1] * os[2];
    const out = this.alloc(n, op);
    const strides = (s: Shape3) => [s[0] === 1 ? 0 : s[1] * s[2], s[1] === 1 ? 0 : s[2], s[2] === 1 ? 0 : 1];
    const params = packParams([os[0], os[1], os[2], n, ...strides(as), 0, ...strides(bs), 0]);
    this.rt.dispatch('binary', 'main', { OP: BINARY_CODE[op], WG }, params, [this.b(a, op), this.b(b, op), out.buffer], Math.ceil(n / WG));
    return out;
  }

  reduce(op: ReduceOp, x: Storage, outer: number, axis: number, inner: number): Storage {
    checkReduce(op, x, outer, axis, inner);
    const passes = planReduce(outer, axis, inner, this.reduceOverride ? this.reduceOverride === 'software' : this.info.software);
    let src = this.b(x, op);
    let part: GpuStorage | null = null;
    for (let i = 0; i < passes.length; i++) {
      const pass = passes[i];
      const last = i === passes.length - 1;
      const outs = outer * pass.chunks * inner;
      const out = this.alloc(outs, last ? op : `${op} pass ${i + 1}`);
      const params = packParams([outer, pass.axis, inner, pass.chunkLen, pass.chunks, { f: last && op === 'mean' ? 1 / axis : 1 }]);
      this.rt.dispatch('reduce', pass.entry, { WG }, params, [src, out.buffer], pass.entry === 'serial' ? Math.ceil(outs / WG) : outs);
      if (part) this.release(part);
      if (last) return out;
      part = out;
      src = out.buffer;
    }
    throw new Error('reduce: no pass planned');
  }

  sigmoidXent(logits: Storage, labels: Storage, weights: Storage, models = 1): Storage {
    const L = checkXent('sigmoidXent', logits, labels, weights, models);
    const out = this.alloc(logits.length, 'sigmoidXent');
    this.rt.dispatch('xent', 'forward', { WG }, packParams([logits.length, 0, L, 0]),
      [this.b(logits, 'sigmoidXent'), this.b(labels, 'sigmoidXent'), this.b(weights, 'sigmoidXent'), out.buffer], Math.ceil(logits.length / WG));
    return out;
  }

  sigmoidXentBackward(logits: Storage, labels: Storage, weights: Storage, dloss: Storage, models = 1): Storage {
    const L = checkXent('sigmoidXent backward', logits, labels, weights, models);
    const mode = xentDlossMode('sigmoidXent backward', logits, dloss, models);
    const out = this.alloc(logits.length, 'sigmoidXent backward');
    this.rt.dispatch('xent', 'backward', { WG }, packParams([logits.length, mode, L, 0]),
      [this.b(logits, 'xent'), this.b(labels, 'xent'), this.b(weights, 'xent'), this.b(dloss, 'xent'), out.buffer], Math.ceil(logits.length / WG));
    return out;
  }

  dropout(x: Storage, spec: DropoutSpec): Storage {
    checkDropout(spec);
    const out = this.alloc(x.length, 'dropout');
    const params = packParams([x.length, { f: spec.keep }, spec.seed, spec.step, spec.stream, 0, 0, 0]);
    this.rt.dispatch('dropout', 'main', { WG }, params, [this.b(x, 'dropout'), out.buffer], Math.ceil(x.length / 4 / WG));
    return out;
  }

  /** Raw Philox-4x32-10 words for counters (c0+i, c1, c2, c3) under key (k0, k1): the generator's known-answer test. */
  async philoxWords(n: number, ctr: [number, number, number, number], key: [number, number]): Promise<Uint32Array> {
    const out = this.alloc(n * 4, 'philox');
    this.rt.dispatch('dropout', 'raw', { WG }, packParams([n, { f: 0 }, key[0], ctr[1], ctr[2], ctr[0], ctr[3], key[1]]), [out.buffer], Math.ceil(n / WG));
    const [ab] = await this.rt.read([{ buffer: out.buffer, bytes: n * 16 }]);
    this.release(out);
    return new Uint32Array(ab);
  }

  dropoutModels(x: Storage, spec: ModelDropoutSpec): Storage {
    checkModelDropout(x, spec);
    const out = this.alloc(x.length, 'dropoutModels');
    const keys = this.cachedTable(spec.keys, () => {
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
    // Unpadded layers draw one Philox block per four elements; padded ones one per element (see the shader).
    const unpadded = Array.from({ length: spec.models }, (_, m) => spec.keys.width[m]).every((w) => w === spec.cols);
    const threads = unpadded ? spec.models * Math.ceil((spec.rows * spec.cols) / 4) : x.length;
    this.rt.dispatch('dropout-models', unpadded ? 'unpadded' : 'main', { WG }, packParams([spec.models, spec.rows, spec.cols, spec.stream]),
      [keys, this.b(x, 'dropoutModels'), out.buffer], Math.ceil(threads / WG));
    return out;
  }

  optimModels(p: Storage, g: Storage, m: Storage | null, v: Storage | null, spec: ModelOptimSpec): void {
    const per = checkModelOptim(p, g, m, v, spec);
    const table = this.cachedTable(spec, () => Float32Array.from(optimTable(spec)));
    // Auto layouts bind only what an entry uses: sgd no moments, momentum one.
    const bufs = [table, this.b(p, spec.kind), this.b(g, spec.kind)];
    if (spec.kind !== 'sgd') bufs.push(this.b(m!, spec.kind));
    if (spec.kind === 'adam') bufs.push(this.b(v!, spec.kind));
    // vec4 entries when every model's slice is whole vec4s (buffers come in multiples of 16 bytes).
    const vec4 = per % 4 === 0;
    this.rt.dispatch('optim-models', vec4 ? `${spec.kind}4` : spec.kind, { WG }, packParams([p.length, per, { f: spec.beta1 }, { f: spec.beta2 }, { f: spec.eps }, 0, 0, 0]),
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
    const buf = this.b(s, 'write');
    if (!Number.isInteger(offset) || offset < 0 || offset + data.length > s.length) throw new RangeError(`write: ${data.length} values at offset ${offset} do not fit a buffer of ${s.length}`);
    // Recorded work that reads s must see the old values: submit it before the queue write lands.
    this.rt.flush();
    const f = data instanceof Float32Array ? data : Float32Array.from(data);
    this.rt.device.queue.writeBuffer(buf, offset * 4, f.buffer, f.byteOffset, f.byteLength);
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
    const bufs = [this.b(p, entry), this.b(g, entry)];
    if (m) bufs.push(this.b(m, entry));
    if (v) bufs.push(this.b(v, entry));
    // The kernel updates whole vec4s, so the last may reach into padding: every buffer must hold it.
    const vec4s = Math.ceil(p.length / 4);
    for (const buf of bufs) if (buf.size < vec4s * 16) throw new RangeError(`${entry}: buffer "${buf.label}" of ${buf.size} bytes cannot hold ${vec4s} vec4s for ${p.length} elements`);
    this.rt.dispatch('optim', entry, { WG }, packParams(fields), bufs, Math.ceil(vec4s / WG));
  }
}
