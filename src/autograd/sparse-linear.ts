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
import { layerEpilogue, type LinearOptions } from './ops.ts';
import { gradEnabled, track, type Disposable } from './scope.ts';
import { Tensor, gradOut } from './tensor.ts';

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
  const epi = layerEpilogue(be, be.bitMatmul(x.matrix, W.storage, { models, n, bias: b?.storage, batchBias: bb, activation: act }), shape, opts);
  const y = new Tensor(be, epi.y, shape);
  const parents = b ? [W, b] : [W];
  if (!(gradEnabled() && parents.some((p) => p.requiresGrad))) epi.dispose();
  else y.onDispose = epi.dispose;
  return y.record(parents, (g) => {
    // dz = g ⊙ act'(z) (after the dropout's backward), as in `linear`.
    const dz = epi.dz(g);
    const grads: (Tensor | null)[] = [null, null];
    // dW and a per-model bias's gradient (column sums of dz per model) come from one dispatch; a bias shared by
    // several models sums every model's rows instead.
    const fused = b?.requiresGrad && (bb || models === 1);
    if (W.requiresGrad || fused) {
      const r = be.bitMatmulGrads(x.matrix, dz.storage, { models, n, bias: !!fused, out: { dW: W.requiresGrad ? gradOut(W) : undefined, db: fused ? gradOut(b!) : undefined } });
      if (W.requiresGrad) grads[0] = new Tensor(be, r.dW, W.shape);
      else be.release(r.dW);
      if (r.db) grads[1] = new Tensor(be, r.db, b!.shape);
    }
    if (b?.requiresGrad && !fused) grads[1] = new Tensor(be, be.reduce('sum', dz.storage, 1, models * x.rows, n, gradOut(b)), b.shape);
    if (dz !== g) dz.dispose();
    return b ? grads : grads.slice(0, 1);
  });
}
