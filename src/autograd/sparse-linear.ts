/**
 * The sparse first layer: y = act(X·W + b) for X a batch of bit rows (ECFP fingerprints, ~3 % of bits set), computed
 * as sums of rows of W (Backend.bitMatmul) — ~30 of 1,024 rows per example instead of a dense 1,024-long product.
 * X is data, never differentiated; W's gradient Xᵀ·dz gathers rows of dz through the transpose built on the host
 * (deterministic: no atomics), b's is the column sums of dz. Shapes follow `linear` in ops.ts: W [k, n] or
 * [M, k, n] (M models sharing X), b [n] or [M, 1, n].
 */
import type { BitMatrix } from '../backend/bit-matrix.ts';
import { ShapeError, type Backend } from '../backend/backend.ts';
import type { SparseBits } from '../data/sparse-bits.ts';
import type { LinearOptions } from './ops.ts';
import { track, type Disposable } from './scope.ts';
import { Tensor } from './tensor.ts';

/** Bit rows uploaded to a backend (with their transpose). Scoped like a tensor: `tidy` releases them. */
export class BitRows implements Disposable {
  disposed = false;

  constructor(readonly be: Backend, readonly matrix: BitMatrix) {
    track(this);
  }

  /** Uploads host-side set-bit rows (Uint16 column indices, widened to u32 for the device). */
  static from(be: Backend, bits: SparseBits): BitRows {
    return new BitRows(be, be.uploadBitMatrix(bits.offsets, Uint32Array.from(bits.indices), bits.nBits));
  }

  get rows(): number {
    return this.matrix.rows;
  }

  get cols(): number {
    return this.matrix.cols;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.be.releaseBitMatrix(this.matrix);
  }
}

export function sparseLinear(x: BitRows, W: Tensor, b: Tensor | null, opts: LinearOptions = {}): Tensor {
  for (const t of b ? [W, b] : [W]) {
    t.check('sparseLinear');
    if (t.be !== x.be) throw new Error(`sparseLinear: the bit rows and ${t === W ? 'W' : 'b'} live on different backends (${x.be.kind} and ${t.be.kind})`);
  }
  if (x.disposed) throw new Error(`sparseLinear: bit rows [${x.rows}, ${x.cols}] were disposed`);
  const act = opts.activation ?? 'none';
  const wb = W.shape.length === 3;
  if (W.shape.length < 2) throw new ShapeError(`sparseLinear: W [${W.shape.join(', ')}] must be rank 2 or 3`);
  const [k, n] = W.shape.slice(-2);
  const models = wb ? W.shape[0] : 1;
  if (k !== x.cols) throw new ShapeError(`sparseLinear: bit rows [${x.rows}, ${x.cols}] · W [${W.shape.join(', ')}]: inner sizes ${x.cols} and ${k} must match`);
  const bb = b !== null && b.shape.length === 3;
  if (b && b.size !== (bb ? models : 1) * n) throw new ShapeError(`sparseLinear: bias [${b.shape.join(', ')}] does not match ${bb ? `[${models}, 1, ${n}]` : `[${n}]`}`);
  const be = W.be;
  const shape = wb ? [models, x.rows, n] : [x.rows, n];
  const y = new Tensor(be, be.bitMatmul(x.matrix, W.storage, { models, n, bias: b?.storage, batchBias: bb, activation: act }), shape);
  return y.record(b ? [W, b] : [W], (g) => {
    // dz = g ⊙ act'(z), from y as in `linear`.
    const dz = act === 'none' ? g : new Tensor(be, be.unaryBackward(act, y.storage, y.storage, g.storage), g.shape);
    const grads: (Tensor | null)[] = [null, null];
    if (W.requiresGrad) grads[0] = new Tensor(be, be.bitMatmulTransposed(x.matrix, dz.storage, { models, n }), W.shape);
    if (b?.requiresGrad) {
      // Column sums of dz: per model when b is per model, else over every model's rows.
      grads[1] = new Tensor(be, bb ? be.reduce('sum', dz.storage, models, x.rows, n) : be.reduce('sum', dz.storage, 1, models * x.rows, n), b.shape);
    }
    if (dz !== g) dz.dispose();
    return b ? grads : grads.slice(0, 1);
  });
}
