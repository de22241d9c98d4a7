/**
 * The CPU backend: every kernel of the interface in plain TypeScript. In float64 it is the oracle — the ground truth
 * for finite-difference gradient checks and for the GPU's and the populations' results — and its kernels are the
 * plain loops below and in bit-matmul.ts, matmul.ts and philox.ts. In float32 it is a training backend: the ops of
 * a training step run the fast-*.ts kernels (tested against the oracle) — the sparse layer and Adam in WebAssembly
 * SIMD where the engine offers shared WebAssembly memory (wasm-heap.ts; float32 buffers then live in it) — and both
 * modes take their buffers from a pool (float-pool.ts), so a step allocates nothing once the pool holds its shapes.
 * With `threads: 2` a helper thread takes half of the big Adam and gather ranges (heap-threads.ts), same results.
 */
import {
  ShapeError, arenaOffsets, checkBinary, checkDropout, checkBitMatmul, checkBitMatmulTransposed, checkLength, checkOut, checkMatmul, checkModelDropout, checkModelOptim, checkReduce,
  checkSize, checkXent, optimTable, xentDlossMode, type AdamSpec, type Backend, type BinaryOp, type BitGradSpec, type BitMatmulSpec, type DropoutSpec,
  type MatmulSpec, type ModelDropoutSpec, type ModelOptimSpec, type ReduceOp, type Shape3, type Storage, type UnaryOp, type XentModelsSpec,
} from '../backend.ts';
import { bitCsr, type BitMatrix } from '../bit-matrix.ts';
import { CpuBitMatrix, bitMatmulCpu, bitMatmulTransposedCpu } from './bit-matmul.ts';
import type { AdapterSummary } from '../../gpu/adapter-info.ts';
import { BackendDisposedError } from '../../gpu/errors.ts';
import { binaryCpu, sigmoid, unaryDeriv, unaryFn } from './elementwise.ts';
import { matmulCpu } from './matmul.ts';
import { dropoutMask } from './philox.ts';
import { CpuStorage, type Floats } from './storage.ts';
import { FloatPool, type FloatPoolStats } from './float-pool.ts';
import { actCode, matmulFast } from './fast-matmul.ts';
import { bitMatmulFast, bitMatmulGradsFast } from './fast-bit-matmul.ts';
import { dropoutBlock, dropoutBlockSimd, dropoutModelsFast, dropoutReluBackwardFast } from './fast-dropout.ts';
import { optimModelsFast } from './fast-optim.ts';
import { wasmHeap, type WasmHeap } from './wasm-heap.ts';
import { HeapThreads, threadSupport } from './heap-threads.ts';

export class CpuBackend implements Backend {
  readonly kind = 'cpu' as const;
  readonly info: AdapterSummary = { vendor: 'shadergrad', architecture: 'cpu', device: '', description: 'CPU backend (TypeScript)', software: true, runtime: 'cpu' };
  private readonly scalars = new Map<number, CpuStorage>();
  /** Scalars: never released. Arenas: released, but not pooled (they live as long as a network). */
  private readonly scalarSet = new WeakSet<CpuStorage>();
  private readonly arenas = new WeakSet<CpuStorage>();
  /** Live buffers, for the same leak checks the GPU pool allows. */
  live = 0;
  /** float32: the training step's ops run the fast kernels (fast-*.ts); float64 runs the oracle's loops. */
  readonly fast: boolean;
  private pool: FloatPool;
  /** float32 buffers in shared WebAssembly memory, for the SIMD kernels (wasm-heap.ts); null: plain arrays. */
  private readonly heap: WasmHeap | null;

  /** Threads the float32 path computes on (1, or 2 with a helper worker: heap-threads.ts), and why where fewer than asked. */
  readonly threads: number;
  readonly threadNote: string;
  private readonly helper: HeapThreads | null = null;

  /** `threads` (default 1): 2 starts a helper thread for the big Adam and gather ranges where the environment allows (threadSupport). */
  constructor(readonly dtype: 'f32' | 'f64' = 'f32', opts: { threads?: number } = {}) {
    this.fast = dtype === 'f32';
    this.heap = this.fast ? wasmHeap() : null;
    this.pool = this.newPool();
    const want = opts.threads ?? 1;
    if (!Number.isInteger(want) || want < 1) throw new RangeError(`CpuBackend: threads must be an integer ≥ 1, got ${want}`);
    const support = threadSupport();
    if (want === 1) this.threadNote = '1 thread';
    else if (!this.heap) this.threadNote = `1 thread (asked for ${want}: ${this.fast ? 'no shared WebAssembly memory here' : 'the float64 oracle runs on one thread'})`;
    else if (!support.ok) this.threadNote = `1 thread (asked for ${want}: ${support.reason})`;
    else {
      this.helper = new HeapThreads(this.heap.module, this.heap.memory);
      this.threadNote = `2 threads (${support.reason}${want > 2 ? `; asked for ${want}, 2 is the most used` : ''})`;
    }
    this.threads = this.helper ? 2 : 1;
  }

  /** Resolves once the helper thread runs (at once with one thread); until then every range runs here, with the same results. */
  async threadsReady(): Promise<boolean> {
    return this.helper ? this.helper.whenReady() : true;
  }

  /** Ranges the helper thread computed so far (0 with one thread). */
  get helperJobs(): number {
    return this.helper?.jobsDone ?? 0;
  }

  /** Whether the sparse layer, the products and Adam run in WebAssembly SIMD here (false: JavaScript loops only). */
  get simd(): boolean {
    return this.heap !== null;
  }

  /** float32 buffers come from the WebAssembly heap where there is one, so the SIMD kernels can take them. */
  private newPool(): FloatPool {
    const heap = this.heap;
    if (heap) return new FloatPool((n) => heap.alloc(n), undefined, (b) => heap.release(b as Float32Array));
    return new FloatPool((n) => (this.dtype === 'f64' ? new Float64Array(n) : new Float32Array(n)));
  }

  /** A zeroed buffer (the oracle's kernels may leave elements unwritten). */
  private alloc(n: number): CpuStorage {
    const s = this.allocRaw(n);
    s.data.fill(0);
    return s;
  }

  /** A buffer whose every element the caller writes (pooled, so its contents are stale). */
  private allocRaw(n: number): CpuStorage {
    if (this.disposed) throw new BackendDisposedError('cpu', 'new buffer');
    this.live++;
    return new CpuStorage(this.pool.take(n));
  }

  /** Reuse of released buffers: what the pool holds, how many it ever made, and the buffers in use. */
  poolStats(): FloatPoolStats & { live: number } {
    return { ...this.pool.stats(), live: this.live };
  }

  /** `out` when given (checked), else a new buffer (fully written by the caller on the fast path). */
  private target(out: Storage | undefined, length: number, op: string): CpuStorage {
    if (!out) return this.fast ? this.allocRaw(length) : this.alloc(length);
    checkOut(op, out, length);
    this.d(out, op);
    return out as CpuStorage;
  }

  private d(s: Storage, op: string): Floats {
    if (!(s instanceof CpuStorage)) throw new TypeError(`${op}: storage belongs to another backend`);
    if (this.disposed) throw new BackendDisposedError('cpu', op);
    if (s.gone) throw new Error(`${op}: storage was released`);
    return s.data;
  }

  upload(data: ArrayLike<number>): Storage {
    const s = this.allocRaw(data.length);
    s.data.set(data);
    return s;
  }

  zeros(length: number): Storage {
    checkSize('zeros', 'length', length, 0);
    return this.alloc(length);
  }

  scalar(value: number): Storage {
    let s = this.scalars.get(value);
    if (!s) {
      s = new CpuStorage(this.dtype === 'f64' ? Float64Array.of(value) : Float32Array.of(value));
      this.scalars.set(value, s);
      this.scalarSet.add(s);
    }
    return s;
  }

  async read(s: Storage): Promise<Float32Array | Float64Array> {
    return this.d(s, 'read').slice();
  }

  async readMany(s: Storage[]): Promise<(Float32Array | Float64Array)[]> {
    return s.map((x) => this.d(x, 'read').slice());
  }

  release(s: Storage): void {
    const c = s as CpuStorage;
    if (c.released) throw new Error('release: storage released twice');
    if (c.arena || this.scalarSet.has(c)) return;
    c.released = true;
    this.live--;
    if (this.arenas.has(c) || this.disposed) this.heap?.release(c.data as Float32Array);
    else this.pool.give(c.data);
  }

  flush(): void {}

  private disposed = false;
  /** Drops the cached scalars; later operations throw BackendDisposedError (the Backend contract). Idempotent. */
  dispose(): void {
    this.disposed = true;
    this.helper?.dispose();
    this.scalars.clear();
    this.pool.drain();
  }

  arena(lengths: number[]): { whole: Storage; views: Storage[] } {
    const offsets = arenaOffsets(lengths, 4);
    const n = offsets.length ? offsets.at(-1)! + lengths.at(-1)! : 0;
    const whole = this.heap ? this.heapAlloc(n) : this.alloc(n);
    // Arenas hold parameters and their moments for a network's life: not pooled, handed back to the heap on release.
    this.arenas.add(whole);
    return { whole, views: lengths.map((n, i) => new CpuStorage(whole.data.subarray(offsets[i], offsets[i] + n), whole)) };
  }

  private heapAlloc(n: number): CpuStorage {
    if (this.disposed) throw new BackendDisposedError('cpu', 'new buffer');
    this.live++;
    return new CpuStorage(this.heap!.alloc(n));
  }

  arenaLayout(views: Storage[]): { whole: Storage; offsets: number[] } | null {
    const cs = views.filter((v): v is CpuStorage => v instanceof CpuStorage && v.arena !== null);
    if (cs.length !== views.length || cs.length === 0 || cs.some((v) => v.arena !== cs[0].arena)) return null;
    return { whole: cs[0].arena!, offsets: cs.map((v) => v.data.byteOffset / v.data.BYTES_PER_ELEMENT - cs[0].arena!.data.byteOffset / v.data.BYTES_PER_ELEMENT) };
  }

  matmul(a: Storage, b: Storage, spec: MatmulSpec): Storage {
    const out = this.target(spec.out, checkMatmul(a, b, spec), 'matmul');
    const [ad, bd, bias] = [this.d(a, 'matmul'), this.d(b, 'matmul'), spec.bias ? this.d(spec.bias, 'matmul') : null];
    if (this.fast) matmulFast(ad, bd, bias, spec, out.data, this.heap);
    else matmulCpu(ad, bd, bias, spec, out.data);
    return out;
  }

  uploadBitMatrix(offsets: Uint32Array, indices: Uint32Array, cols: number): BitMatrix {
    return new CpuBitMatrix(bitCsr(offsets.slice(), indices.slice(), cols));
  }

  releaseBitMatrix(x: BitMatrix): void {
    this.bits(x, 'releaseBitMatrix').released = true;
  }

  bitMatmul(x: BitMatrix, w: Storage, spec: BitMatmulSpec): Storage {
    const bits = this.bits(x, 'bitMatmul');
    const len = checkBitMatmul(bits, w, spec);
    const wd = this.d(w, 'bitMatmul'), bias = spec.bias ? this.d(spec.bias, 'bitMatmul') : null;
    if (!this.fast) {
      const out = this.alloc(len);
      bitMatmulCpu(bits.csr, wd, bias, spec, out.data);
      return out;
    }
    const out = this.allocRaw(len);
    bitMatmulFast(bits.csr, wd, bias, spec.models, spec.n, !!spec.batchBias, actCode(spec.activation), out.data, this.heap, this.helper);
    return out;
  }

  bitMatmulTransposed(x: BitMatrix, dz: Storage, spec: { models: number; n: number }): Storage {
    return this.bitMatmulGrads(x, dz, { ...spec, bias: false }).dW;
  }

  bitMatmulGrads(x: BitMatrix, dz: Storage, spec: BitGradSpec): { dW: Storage; db: Storage | null } {
    const bits = this.bits(x, 'bitMatmulGrads');
    const dW = this.target(spec.out?.dW, checkBitMatmulTransposed(bits, dz, spec), 'bitMatmulGrads dW');
    const dzd = this.d(dz, 'bitMatmulGrads');
    if (this.fast) {
      const db = spec.bias ? this.target(spec.out?.db, spec.models * spec.n, 'bitMatmulGrads db') : null;
      bitMatmulGradsFast(bits.csr, dzd, spec.models, spec.n, dW.data, db ? db.data : null, this.heap, this.helper);
      return { dW, db };
    }
    bitMatmulTransposedCpu(bits.csr, dzd, spec.models, spec.n, dW.data);
    if (!spec.bias) return { dW, db: null };
    const db = this.target(spec.out?.db, spec.models * spec.n, 'bitMatmulGrads db');
    columnSums(dzd, spec.models, bits.rows, spec.n, db.data);
    return { dW, db };
  }

  private bits(x: BitMatrix, op: string): CpuBitMatrix {
    if (!(x instanceof CpuBitMatrix)) throw new TypeError(`${op}: bit matrix belongs to another backend`);
    if (x.released) throw new Error(`${op}: bit matrix was released`);
    return x;
  }

  unary(op: UnaryOp, x: Storage, alpha = 1): Storage {
    const xd = this.d(x, op);
    const out = this.alloc(xd.length);
    for (let i = 0; i < xd.length; i++) out.data[i] = unaryFn(op, xd[i], alpha);
    return out;
  }

  unaryBackward(op: UnaryOp, x: Storage, y: Storage, dy: Storage, alpha = 1): Storage {
    const xd = this.d(x, op), yd = this.d(y, op), g = this.d(dy, op);
    checkLength(`${op} backward`, 'y', y, xd.length);
    checkLength(`${op} backward`, 'dy', dy, xd.length);
    const out = this.alloc(xd.length);
    for (let i = 0; i < xd.length; i++) out.data[i] = g[i] * unaryDeriv(op, xd[i], yd[i], alpha);
    return out;
  }

  binary(op: BinaryOp, a: Storage, aShape: Shape3, b: Storage, bShape: Shape3): Storage {
    const os = checkBinary(op, a, aShape, b, bShape);
    const out = this.alloc(os[0] * os[1] * os[2]);
    binaryCpu(op, this.d(a, op), aShape, this.d(b, op), bShape, os, out.data);
    return out;
  }

  reduce(op: ReduceOp, x: Storage, outer: number, axis: number, inner: number, into?: Storage): Storage {
    checkReduce(op, x, outer, axis, inner);
    const xd = this.d(x, op);
    const out = this.target(into, outer * inner, op);
    const scale = op === 'mean' ? 1 / axis : 1;
    for (let o = 0; o < outer; o++)
      for (let i = 0; i < inner; i++) {
        let s = 0;
        for (let a = 0; a < axis; a++) s += xd[(o * axis + a) * inner + i];
        out.data[o * inner + i] = s * scale;
      }
    return out;
  }

  sigmoidXent(logits: Storage, labels: Storage, weights: Storage, models = 1): Storage {
    const L = checkXent('sigmoidXent', logits, labels, weights, models);
    const x = this.d(logits, 'sigmoidXent'), z = this.d(labels, 'sigmoidXent'), w = this.d(weights, 'sigmoidXent');
    const out = this.alloc(x.length);
    for (let i = 0; i < x.length; i++) {
      const j = i % L;
      out.data[i] = w[j] * (Math.max(x[i], 0) - x[i] * z[j] + Math.log1p(Math.exp(-Math.abs(x[i]))));
    }
    return out;
  }

  sigmoidXentBackward(logits: Storage, labels: Storage, weights: Storage, dloss: Storage, models = 1): Storage {
    const L = checkXent('sigmoidXent backward', logits, labels, weights, models);
    const mode = xentDlossMode('sigmoidXent backward', logits, dloss, models);
    const x = this.d(logits, 'sigmoidXent'), z = this.d(labels, 'sigmoidXent'), w = this.d(weights, 'sigmoidXent'), g = this.d(dloss, 'sigmoidXent');
    const out = this.alloc(x.length);
    for (let i = 0; i < x.length; i++) {
      const j = i % L;
      out.data[i] = g[mode === 0 ? 0 : mode === 1 ? i : Math.floor(i / L)] * w[j] * (sigmoid(x[i]) - z[j]);
    }
    return out;
  }

  sigmoidXentModels(logits: Storage, labels: Storage, weights: Storage, spec: XentModelsSpec): { loss: Storage; dlogits: Storage | null } {
    const L = checkXent('sigmoidXentModels', logits, labels, weights, spec.models);
    const x = this.d(logits, 'sigmoidXentModels'), z = this.d(labels, 'sigmoidXentModels'), w = this.d(weights, 'sigmoidXentModels');
    const total = spec.total ? this.d(spec.total, 'sigmoidXentModels total') : null;
    if (spec.total) checkLength('sigmoidXentModels', 'total', spec.total, spec.models);
    const loss = this.allocRaw(spec.models);
    const dlogits = spec.grad ? this.allocRaw(x.length) : null;
    // The gradient's scale in the backend's precision, as the old two-kernel path held it (a stored 1/L).
    const scale = this.round(spec.reduction === 'mean' ? 1 / L : 1);
    const f32 = this.dtype === 'f32';
    for (let m = 0; m < spec.models; m++) {
      let s = 0;
      for (let j = 0; j < L; j++) {
        const v = x[m * L + j];
        // Each element's loss rounded to the backend's precision before the sum, as a stored elementwise loss is.
        const e = w[j] * (Math.max(v, 0) - v * z[j] + Math.log1p(Math.exp(-Math.abs(v))));
        s += f32 ? Math.fround(e) : e;
        if (dlogits) dlogits.data[m * L + j] = scale * w[j] * (sigmoid(v) - z[j]);
      }
      loss.data[m] = s * (spec.reduction === 'mean' ? 1 / L : 1);
      if (total) total[m] += loss.data[m];
    }
    return { loss, dlogits };
  }

  private round(v: number): number {
    return this.dtype === 'f64' ? v : Math.fround(v);
  }

  dropout(x: Storage, spec: DropoutSpec): Storage {
    checkDropout(spec);
    const xd = this.d(x, 'dropout');
    if (this.fast) {
      const out = this.allocRaw(xd.length);
      if (this.heap) dropoutBlockSimd(this.heap, xd, out.data, 0, 1, xd.length, xd.length, spec.keep, spec.seed, spec.step, spec.stream);
      else dropoutBlock(xd, out.data, 0, 1, xd.length, xd.length, spec.keep, spec.seed, spec.step, spec.stream);
      return out;
    }
    const mask = dropoutMask(xd.length, spec.keep, spec.seed, spec.step, spec.stream);
    const out = this.alloc(xd.length);
    for (let i = 0; i < xd.length; i++) out.data[i] = mask[i] ? xd[i] / spec.keep : 0;
    return out;
  }

  dropoutModels(x: Storage, spec: ModelDropoutSpec): Storage {
    checkModelDropout(x, spec);
    const xd = this.d(x, 'dropoutModels');
    const { models, rows, cols, keys } = spec;
    if (this.fast) {
      const out = this.allocRaw(xd.length);
      dropoutModelsFast(xd, out.data, models, rows, cols, keys, spec.stream, this.heap);
      return out;
    }
    const out = this.alloc(xd.length);
    for (let m = 0; m < models; m++) {
      const width = keys.width[m], keep = keys.keep[m];
      const mask = dropoutMask(rows * width, keep, keys.seed[m], keys.step[m], spec.stream);
      for (let r = 0; r < rows; r++)
        for (let c = 0; c < width; c++) {
          const i = (m * rows + r) * cols + c;
          out.data[i] = mask[r * width + c] ? xd[i] / keep : 0;
        }
    }
    return out;
  }

  dropoutModelsReluBackward(y: Storage, dy: Storage, spec: ModelDropoutSpec): Storage {
    checkModelDropout(y, spec);
    checkLength('dropoutModels relu backward', 'dy', dy, y.length);
    const yd = this.d(y, 'dropoutModels relu backward'), g = this.d(dy, 'dropoutModels relu backward');
    const per = spec.rows * spec.cols;
    if (this.fast) {
      const out = this.allocRaw(yd.length);
      dropoutReluBackwardFast(yd, g, out.data, spec.models, per, spec.keys.keep, this.heap);
      return out;
    }
    const out = this.alloc(yd.length);
    for (let i = 0; i < yd.length; i++) out.data[i] = yd[i] > 0 ? g[i] / spec.keys.keep[Math.floor(i / per)] : 0;
    return out;
  }

  optimModels(p: Storage, g: Storage, m: Storage | null, v: Storage | null, spec: ModelOptimSpec): void {
    const per = checkModelOptim(p, g, m, v, spec);
    checkWeightDecay(spec);
    const pd = this.d(p, spec.kind), gd = this.d(g, spec.kind);
    const md = m ? this.d(m, spec.kind) : null, vd = v ? this.d(v, spec.kind) : null;
    if (this.fast) return optimModelsFast(pd, gd, md, vd, spec, per, this.heap, this.helper);
    const table = optimTable(spec);
    const { beta1, beta2, eps } = spec;
    for (const seg of spec.segments ?? [{ offset: 0, length: p.length }]) {
      const segPer = spec.segments ? seg.length / spec.models : per;
      for (let k = 0; k < spec.models; k++) {
        const [lr, bc1, bc2, active] = table.subarray(4 * k, 4 * k + 4);
        if (!active) continue;
        const wd = spec.weightDecay?.[k] ?? 0;
        for (let i = seg.offset + k * segPer; i < seg.offset + (k + 1) * segPer; i++) {
          // L2 weight decay: the gradient of λ/2·‖p‖² joins g before anything else sees it.
          const gi = wd === 0 ? gd[i] : gd[i] + wd * pd[i];
          if (spec.kind === 'sgd') pd[i] -= lr * gi;
          else if (spec.kind === 'momentum') {
            md![i] = beta1 * md![i] + gi;
            pd[i] -= lr * md![i];
          } else {
            md![i] = beta1 * md![i] + (1 - beta1) * gi;
            vd![i] = beta2 * vd![i] + (1 - beta2) * gi * gi;
            pd[i] -= (lr * (md![i] / bc1)) / (Math.sqrt(vd![i] / bc2) + eps);
          }
        }
      }
    }
  }

  write(s: Storage, offset: number, data: ArrayLike<number>): void {
    const d = this.d(s, 'write');
    if (!Number.isInteger(offset) || offset < 0 || offset + data.length > d.length) throw new RangeError(`write: ${data.length} values at offset ${offset} do not fit a buffer of ${d.length}`);
    d.set(data, offset);
  }

  sgd(p: Storage, g: Storage, lr: number): void {
    const pd = this.d(p, 'sgd'), gd = this.d(g, 'sgd');
    checkLength('sgd', 'gradient', g, pd.length);
    for (let i = 0; i < pd.length; i++) pd[i] -= lr * gd[i];
  }

  momentum(p: Storage, g: Storage, v: Storage, lr: number, mu: number): void {
    const pd = this.d(p, 'momentum'), gd = this.d(g, 'momentum'), vd = this.d(v, 'momentum');
    checkLength('momentum', 'gradient', g, pd.length);
    checkLength('momentum', 'velocity', v, pd.length);
    for (let i = 0; i < pd.length; i++) {
      vd[i] = mu * vd[i] + gd[i];
      pd[i] -= lr * vd[i];
    }
  }

  adam(p: Storage, g: Storage, m: Storage, v: Storage, s: AdamSpec): void {
    const pd = this.d(p, 'adam'), gd = this.d(g, 'adam'), md = this.d(m, 'adam'), vd = this.d(v, 'adam');
    for (const [n, x] of [['gradient', g], ['m', m], ['v', v]] as const) checkLength('adam', n, x, pd.length);
    checkSize('adam', 't', s.t);
    const bc1 = 1 - s.beta1 ** s.t, bc2 = 1 - s.beta2 ** s.t;
    for (let i = 0; i < pd.length; i++) {
      md[i] = s.beta1 * md[i] + (1 - s.beta1) * gd[i];
      vd[i] = s.beta2 * vd[i] + (1 - s.beta2) * gd[i] * gd[i];
      pd[i] -= (s.lr * (md[i] / bc1)) / (Math.sqrt(vd[i] / bc2) + s.eps);
    }
  }
}


/** out[m, c] = Σ_r dz[m, r, c], rows ascending (the bias gradient). */
function columnSums(dz: Floats, models: number, rows: number, n: number, out: Floats): void {
  for (let m = 0; m < models; m++)
    for (let c = 0; c < n; c++) {
      let s = 0;
      for (let r = 0; r < rows; r++) s += dz[(m * rows + r) * n + c];
      out[m * n + c] = s;
    }
}

/** Weight decay, when given: one finite λ ≥ 0 per model. */
function checkWeightDecay(s: ModelOptimSpec): void {
  const wd = s.weightDecay;
  if (!wd) return;
  const op = `${s.kind} (per model)`;
  if (wd.length < s.models) throw new ShapeError(`${op}: ${wd.length} weight decays for ${s.models} models`);
  for (let m = 0; m < s.models; m++) {
    if (!(wd[m] >= 0) || !Number.isFinite(wd[m])) throw new RangeError(`${op}: weight decay of model ${m} must be a finite number ≥ 0, got ${wd[m]}`);
  }
}
