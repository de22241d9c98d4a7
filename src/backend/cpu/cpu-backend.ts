/**
 * The CPU backend: every kernel of the interface in plain TypeScript. In float32 it mirrors the GPU (the tests'
 * oracle and the fallback without an adapter); in float64 it is the ground truth for finite-difference gradient checks.
 */
import {
  arenaOffsets, checkBinary, checkDropout, checkBitMatmul, checkBitMatmulTransposed, checkLength, checkOut, checkMatmul, checkModelDropout, checkModelOptim, checkReduce,
  checkSize, checkXent, optimTable, xentDlossMode, type AdamSpec, type Backend, type BinaryOp, type BitGradSpec, type BitMatmulSpec, type DropoutSpec,
  type MatmulSpec, type ModelDropoutSpec, type ModelOptimSpec, type ReduceOp, type Shape3, type Storage, type UnaryOp, type XentModelsSpec,
} from '../backend.ts';
import { bitCsr, type BitMatrix } from '../bit-matrix.ts';
import { CpuBitMatrix, bitMatmulCpu, bitMatmulTransposedCpu } from './bit-matmul.ts';
import type { AdapterSummary } from '../../gpu/adapter-info.ts';
import { binaryCpu, sigmoid, unaryDeriv, unaryFn } from './elementwise.ts';
import { matmulCpu } from './matmul.ts';
import { dropoutMask } from './philox.ts';
import { CpuStorage, type Floats } from './storage.ts';

export class CpuBackend implements Backend {
  readonly kind = 'cpu' as const;
  readonly info: AdapterSummary = { vendor: 'shadergrad', architecture: 'cpu', device: '', description: 'CPU backend (TypeScript)', software: true, runtime: 'cpu' };
  private readonly scalars = new Map<number, CpuStorage>();
  /** Live buffers, for the same leak checks the GPU pool allows. */
  live = 0;

  constructor(readonly dtype: 'f32' | 'f64' = 'f32') {}

  private alloc(n: number): CpuStorage {
    this.live++;
    return new CpuStorage(this.dtype === 'f64' ? new Float64Array(n) : new Float32Array(n));
  }

  /** `out` when given (checked), else a new buffer. */
  private target(out: Storage | undefined, length: number, op: string): CpuStorage {
    if (!out) return this.alloc(length);
    checkOut(op, out, length);
    this.d(out, op);
    return out as CpuStorage;
  }

  private d(s: Storage, op: string): Floats {
    if (!(s instanceof CpuStorage)) throw new TypeError(`${op}: storage belongs to another backend`);
    if (s.gone) throw new Error(`${op}: storage was released`);
    return s.data;
  }

  upload(data: ArrayLike<number>): Storage {
    const s = this.alloc(data.length);
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
    if (c.arena || [...this.scalars.values()].includes(c)) return;
    c.released = true;
    this.live--;
  }

  flush(): void {}

  arena(lengths: number[]): { whole: Storage; views: Storage[] } {
    const offsets = arenaOffsets(lengths, 4);
    const whole = this.alloc(offsets.length ? offsets.at(-1)! + lengths.at(-1)! : 0);
    return { whole, views: lengths.map((n, i) => new CpuStorage(whole.data.subarray(offsets[i], offsets[i] + n), whole)) };
  }

  arenaLayout(views: Storage[]): { whole: Storage; offsets: number[] } | null {
    const cs = views.filter((v): v is CpuStorage => v instanceof CpuStorage && v.arena !== null);
    if (cs.length !== views.length || cs.length === 0 || cs.some((v) => v.arena !== cs[0].arena)) return null;
    return { whole: cs[0].arena!, offsets: cs.map((v) => v.data.byteOffset / v.data.BYTES_PER_ELEMENT - cs[0].arena!.data.byteOffset / v.data.BYTES_PER_ELEMENT) };
  }

  matmul(a: Storage, b: Storage, spec: MatmulSpec): Storage {
    const out = this.target(spec.out, checkMatmul(a, b, spec), 'matmul');
    matmulCpu(this.d(a, 'matmul'), this.d(b, 'matmul'), spec.bias ? this.d(spec.bias, 'matmul') : null, spec, out.data);
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
    const out = this.alloc(checkBitMatmul(bits, w, spec));
    bitMatmulCpu(bits.csr, this.d(w, 'bitMatmul'), spec.bias ? this.d(spec.bias, 'bitMatmul') : null, spec, out.data);
    return out;
  }

  bitMatmulTransposed(x: BitMatrix, dz: Storage, spec: { models: number; n: number }): Storage {
    return this.bitMatmulGrads(x, dz, { ...spec, bias: false }).dW;
  }

  bitMatmulGrads(x: BitMatrix, dz: Storage, spec: BitGradSpec): { dW: Storage; db: Storage | null } {
    const bits = this.bits(x, 'bitMatmulGrads');
    const dW = this.target(spec.out?.dW, checkBitMatmulTransposed(bits, dz, spec), 'bitMatmulGrads dW');
    const dzd = this.d(dz, 'bitMatmulGrads');
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
    const loss = this.alloc(spec.models);
    const dlogits = spec.grad ? this.alloc(x.length) : null;
    // The gradient's scale in the backend's precision, as the old two-kernel path held it (a stored 1/L).
    const scale = this.round(spec.reduction === 'mean' ? 1 / L : 1);
    const e = this.dtype === 'f64' ? new Float64Array(L) : new Float32Array(L);
    for (let m = 0; m < spec.models; m++) {
      for (let j = 0; j < L; j++) {
        const v = x[m * L + j];
        e[j] = w[j] * (Math.max(v, 0) - v * z[j] + Math.log1p(Math.exp(-Math.abs(v))));
        if (dlogits) dlogits.data[m * L + j] = scale * w[j] * (sigmoid(v) - z[j]);
      }
      let s = 0;
      for (let j = 0; j < L; j++) s += e[j];
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
    const mask = dropoutMask(xd.length, spec.keep, spec.seed, spec.step, spec.stream);
    const out = this.alloc(xd.length);
    for (let i = 0; i < xd.length; i++) out.data[i] = mask[i] ? xd[i] / spec.keep : 0;
    return out;
  }

  dropoutModels(x: Storage, spec: ModelDropoutSpec): Storage {
    checkModelDropout(x, spec);
    const xd = this.d(x, 'dropoutModels');
    const { models, rows, cols, keys } = spec;
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
    const out = this.alloc(yd.length);
    const per = spec.rows * spec.cols;
    for (let i = 0; i < yd.length; i++) out.data[i] = yd[i] > 0 ? g[i] / spec.keys.keep[Math.floor(i / per)] : 0;
    return out;
  }

  optimModels(p: Storage, g: Storage, m: Storage | null, v: Storage | null, spec: ModelOptimSpec): void {
    const per = checkModelOptim(p, g, m, v, spec);
    const table = optimTable(spec);
    const pd = this.d(p, spec.kind), gd = this.d(g, spec.kind);
    const md = m ? this.d(m, spec.kind) : null, vd = v ? this.d(v, spec.kind) : null;
    const { beta1, beta2, eps } = spec;
    for (const seg of spec.segments ?? [{ offset: 0, length: p.length }]) {
      const segPer = spec.segments ? seg.length / spec.models : per;
      for (let k = 0; k < spec.models; k++) {
        const [lr, bc1, bc2, active] = table.subarray(4 * k, 4 * k + 4);
        if (!active) continue;
        for (let i = seg.offset + k * segPer; i < seg.offset + (k + 1) * segPer; i++) {
          if (spec.kind === 'sgd') pd[i] -= lr * gd[i];
          else if (spec.kind === 'momentum') {
            md![i] = beta1 * md![i] + gd[i];
            pd[i] -= lr * md![i];
          } else {
            md![i] = beta1 * md![i] + (1 - beta1) * gd[i];
            vd![i] = beta2 * vd![i] + (1 - beta2) * gd[i] * gd[i];
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
