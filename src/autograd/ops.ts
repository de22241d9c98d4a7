/**
 * The differentiable ops. Each builds its output with backend kernels and, right beside it, the closure that maps
 * the output's gradient to its inputs' (micrograd's layout). Shapes are rank ≤ 3; broadcasting aligns trailing axes,
 * and a broadcast input's gradient is summed back over the axes it was stretched along.
 */
import type { Activation, Backend, BinaryOp, ModelDropoutSpec, ModelKeys, Storage, UnaryOp } from '../backend/backend.ts';
import { ShapeError } from '../backend/backend.ts';
import { gradEnabled } from './scope.ts';
import { Tensor, gradOut, shape3 } from './tensor.ts';

function out(like: Tensor, storage: Tensor['storage'], shape: readonly number[]): Tensor {
  return new Tensor(like.be, storage, shape);
}

function sameBackend(op: string, ...ts: Tensor[]): void {
  for (const t of ts) {
    t.check(op);
    if (t.be !== ts[0].be) throw new Error(`${op}: tensors live on different backends (${ts[0].be.kind} and ${t.be.kind})`);
  }
}

// ---- elementwise unary ----

export function unary(op: UnaryOp, x: Tensor, alpha = 1): Tensor {
  sameBackend(op, x);
  const y = out(x, x.be.unary(op, x.storage, alpha), x.shape);
  return y.record([x], (g) => [out(x, x.be.unaryBackward(op, x.storage, y.storage, g.storage, alpha), x.shape)]);
}

export const relu = (x: Tensor) => unary('relu', x);
export const sigmoid = (x: Tensor) => unary('sigmoid', x);
export const tanh = (x: Tensor) => unary('tanh', x);
export const exp = (x: Tensor) => unary('exp', x);
export const log = (x: Tensor) => unary('log', x);
export const neg = (x: Tensor) => unary('neg', x);
export const abs = (x: Tensor) => unary('abs', x);
export const square = (x: Tensor) => unary('square', x);
export const sqrt = (x: Tensor) => unary('sqrt', x);
export const scale = (x: Tensor, alpha: number) => unary('scale', x, alpha);

// ---- broadcasting binary ----

/** Sums g (shape `from`) over the axes where `to` has size 1, giving a tensor of shape `to`. */
export function unbroadcast(g: Tensor, to: readonly number[]): Tensor {
  const [tb, tr, tc] = shape3(to);
  let cur = g;
  let [b, r, c] = shape3(g.shape);
  const step = (next: Tensor) => {
    if (cur !== g) cur.dispose();
    cur = next;
  };
  if (tb === 1 && b > 1) { step(out(g, g.be.reduce('sum', cur.storage, 1, b, r * c), [r, c])); b = 1; }
  if (tr === 1 && r > 1) { step(out(g, g.be.reduce('sum', cur.storage, b, r, c), [b, c])); r = 1; }
  if (tc === 1 && c > 1) { step(out(g, g.be.reduce('sum', cur.storage, b * r, c, 1), [b, r])); c = 1; }
  return cur === g ? g : cur.reshapeTo(to);
}

export function broadcastShapes(op: string, a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const res: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1, y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new ShapeError(`${op}: shapes [${a.join(', ')}] and [${b.join(', ')}] cannot broadcast`);
    res.push(Math.max(x, y));
  }
  return res;
}

function binaryRaw(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  const shape = broadcastShapes(op, a.shape, b.shape);
  return out(a, a.be.binary(op, a.storage, shape3(a.shape), b.storage, shape3(b.shape)), shape);
}

export function add(a: Tensor, b: Tensor): Tensor {
  sameBackend('add', a, b);
  const y = binaryRaw('add', a, b);
  return y.record([a, b], (g) => [unbroadcast(g, a.shape), unbroadcast(g, b.shape)]);
}

export function sub(a: Tensor, b: Tensor): Tensor {
  sameBackend('sub', a, b);
  const y = binaryRaw('sub', a, b);
  return y.record([a, b], (g) => {
    const ng = out(g, g.be.unary('neg', g.storage), g.shape);
    const gb = unbroadcast(ng, b.shape);
    if (gb !== ng) ng.dispose();
    return [unbroadcast(g, a.shape), gb];
  });
}

/** g ⊙ other, summed back to `target`'s shape. */
function gradTimes(g: Tensor, other: Tensor, target: Tensor): Tensor {
  const full = binaryRaw('mul', g, other);
  const r = unbroadcast(full, target.shape);
  if (r !== full) full.dispose();
  return r;
}

export function mul(a: Tensor, b: Tensor): Tensor {
  sameBackend('mul', a, b);
  const y = binaryRaw('mul', a, b);
  return y.record([a, b], (g) => [a.requiresGrad ? gradTimes(g, b, a) : null, b.requiresGrad ? gradTimes(g, a, b) : null]);
}

export function div(a: Tensor, b: Tensor): Tensor {
  sameBackend('div', a, b);
  const y = binaryRaw('div', a, b);
  return y.record([a, b], (g) => {
    const ga = a.requiresGrad ? (() => { const q = binaryRaw('div', g, b); const r = unbroadcast(q, a.shape); if (r !== q) q.dispose(); return r; })() : null;
    let gb: Tensor | null = null;
    if (b.requiresGrad) {
      // d(a/b)/db = −y / b
      const t = binaryRaw('div', y, b);
      const u = binaryRaw('mul', g, t);
      const v = out(u, u.be.unary('neg', u.storage), u.shape);
      gb = unbroadcast(v, b.shape);
      for (const x of [t, u]) x.dispose();
      if (gb !== v) v.dispose();
    }
    return [ga, gb];
  });
}

export function maximum(a: Tensor, b: Tensor): Tensor {
  sameBackend('maximum', a, b);
  const y = binaryRaw('maximum', a, b);
  return y.record([a, b], (g) => {
    // The gradient goes to a where a ≥ b (ties to a), else to b: the same rule as the forward's select.
    const ma = binaryRaw('greaterEqual', a, b);
    const ga = gradTimes(g, ma, a);
    const gm = binaryRaw('mul', g, ma);
    const rest = binaryRaw('sub', g, gm);
    const gb = unbroadcast(rest, b.shape);
    for (const x of [ma, gm]) x.dispose();
    if (gb !== rest) rest.dispose();
    return [ga, gb];
  });
}

// ---- reductions ----

/** Sum (or mean) over `axis` (negative counts from the end), or over everything when axis is undefined. */
export function sum(x: Tensor, axis?: number, mean = false): Tensor {
  sameBackend(mean ? 'mean' : 'sum', x);
  const op = mean ? 'mean' : 'sum';
  let outer: number, len: number, inner: number, shape: number[];
  if (axis === undefined) {
    [outer, len, inner, shape] = [1, x.size, 1, []];
  } else {
    const ax = axis < 0 ? x.shape.length + axis : axis;
    if (ax < 0 || ax >= x.shape.length) throw new ShapeError(`${op}: axis ${axis} is out of range for shape [${x.shape.join(', ')}]`);
    outer = x.shape.slice(0, ax).reduce((a, b) => a * b, 1);
    len = x.shape[ax];
    inner = x.shape.slice(ax + 1).reduce((a, b) => a * b, 1);
    shape = [...x.shape.slice(0, ax), ...x.shape.slice(ax + 1)];
  }
  const y = out(x, x.be.reduce(op, x.storage, outer, len, inner), shape);
  return y.record([x], (g) => {
    // Broadcast g back over the reduced axis: g as [outer, 1, inner] times a [1, len, 1] column of 1 (or 1/len).
    const col = x.be.upload(new Float32Array(len).fill(mean ? 1 / len : 1));
    const gx = out(x, x.be.binary('mul', g.storage, [outer, 1, inner], col, [1, len, 1]), x.shape);
    x.be.release(col);
    return [gx];
  });
}

export const mean = (x: Tensor, axis?: number) => sum(x, axis, true);

/** A differentiable reshape (same buffer order). */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  sameBackend('reshape', x);
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== x.size) throw new ShapeError(`reshape: [${x.shape.join(', ')}] has ${x.size} elements, [${shape.join(', ')}] needs ${size}`);
  const y = out(x, x.be.unary('scale', x.storage, 1), shape);
  return y.record([x], (g) => [out(g, g.be.unary('scale', g.storage, 1), x.shape)]);
}

// ---- matrix products ----

export interface LinearOptions {
  activation?: Activation;
  /**
   * Per-model dropout after the activation (the output must be [models, rows, n]): its own dispatch forward, but
   * after relu the two backward passes are one kernel (Backend.dropoutModelsReluBackward).
   */
  dropout?: { keys: ModelKeys; stream: number };
}

/**
 * The activation (and dropout) of a fused layer: forward applies the dropout to the kernel's output `z` (act already
 * applied) and returns the layer's output plus the map from its gradient to dz, the gradient before the activation.
 */
export function layerEpilogue(be: Backend, z: Storage, shape: readonly number[], opts: LinearOptions): { y: Storage; dz: (g: Tensor) => Tensor; dispose: () => void } {
  const act = opts.activation ?? 'none';
  const unit = (yStore: Storage, g: Tensor) => (act === 'none' ? g : new Tensor(be, be.unaryBackward(act, yStore, yStore, g.storage), g.shape));
  if (!opts.dropout) return { y: z, dz: (g) => unit(z, g), dispose: () => {} };
  if (shape.length !== 3) throw new ShapeError(`dropout in a layer needs a [models, rows, n] output, got [${shape.join(', ')}]`);
  const spec: ModelDropoutSpec = { models: shape[0], rows: shape[1], cols: shape[2], stream: opts.dropout.stream, keys: opts.dropout.keys };
  const y = be.dropoutModels(z, spec);
  // relu's derivative comes from y itself; other activations need z for theirs, so it is kept until disposed.
  const keepZ = act !== 'relu' && act !== 'none';
  if (!keepZ) be.release(z);
  let released = !keepZ;
  return {
    y,
    dz: (g) => {
      if (act === 'relu') return new Tensor(be, be.dropoutModelsReluBackward(y, g.storage, spec), g.shape);
      const gd = new Tensor(be, be.dropoutModels(g.storage, spec), g.shape);
      if (act === 'none') return gd;
      const d = unit(z, gd);
      gd.dispose();
      return d;
    },
    dispose: () => {
      if (!released) be.release(z);
      released = true;
    },
  };
}

/**
 * y = act(x·W + b), fused into one matmul dispatch. x is [m, k] or [B, m, k]; W is [k, n] or [B, k, n] (B models
 * at once, sharing x when x is 2-D); b is [n] or [B, 1, n] (or absent).
 */
export function linear(x: Tensor, W: Tensor, b: Tensor | null, opts: LinearOptions = {}): Tensor {
  sameBackend('linear', x, W, ...(b ? [b] : []));
  const act = opts.activation ?? 'none';
  const xb = x.shape.length === 3, wb = W.shape.length === 3;
  if (x.shape.length < 2 || W.shape.length < 2) throw new ShapeError(`linear: x [${x.shape.join(', ')}] and W [${W.shape.join(', ')}] must be rank 2 or 3`);
  const [m, k] = x.shape.slice(-2);
  const [k2, n] = W.shape.slice(-2);
  const batch = xb ? x.shape[0] : wb ? W.shape[0] : 1;
  if (k !== k2 || (xb && wb && x.shape[0] !== W.shape[0])) {
    throw new ShapeError(`linear: x [${x.shape.join(', ')}] · W [${W.shape.join(', ')}]: inner sizes ${k} and ${k2}${xb && wb ? `, batches ${x.shape[0]} and ${W.shape[0]}` : ''} must match`);
  }
  const bb = b !== null && b.shape.length === 3;
  if (b && b.size !== (bb ? batch : 1) * n) throw new ShapeError(`linear: bias [${b.shape.join(', ')}] does not match ${bb ? `[${batch}, 1, ${n}]` : `[${n}]`}`);
  const spec = { batch, m, k, n, batchA: xb, batchB: wb };
  const shape = xb || wb ? [batch, m, n] : [m, n];
  const epi = layerEpilogue(x.be, x.be.matmul(x.storage, W.storage, { ...spec, bias: b?.storage, batchBias: bb, activation: act }), shape, opts);
  const y = out(x, epi.y, shape);
  const parents = b ? [x, W, b] : [x, W];
  if (!(gradEnabled() && parents.some((p) => p.requiresGrad))) epi.dispose();
  else y.onDispose = epi.dispose;
  return y.record(parents, (g) => {
    // dz = g ⊙ act'(z) (after the dropout's backward); relu', sigmoid' and tanh' are functions of the activation's output.
    const dz = epi.dz(g);
    const grads: (Tensor | null)[] = [null, null, null];
    if (x.requiresGrad) {
      // dx = dz · Wᵀ, summed over models when x was shared by them.
      const dx = out(x, x.be.matmul(dz.storage, W.storage, { batch, m, k: n, n: k, transB: true, batchA: xb || wb, batchB: wb }), xb || wb ? [batch, m, k] : [m, k]);
      grads[0] = xb || !wb ? dx : unbroadcast(dx, x.shape);
      if (grads[0] !== dx) dx.dispose();
    }
    if (W.requiresGrad) {
      // dW = xᵀ · dz, summed over the batch when W was shared.
      const into = wb || !xb ? gradOut(W) : undefined;
      const dw = out(W, W.be.matmul(x.storage, dz.storage, { batch, m: k, k: m, n, transA: true, batchA: xb, batchB: xb || wb, out: into }), xb || wb ? [batch, k, n] : [k, n]);
      grads[1] = wb || !xb ? dw : unbroadcast(dw, W.shape);
      if (grads[1] !== dw) dw.dispose();
    }
    if (b?.requiresGrad) {
      // db = column sums of dz, per model when b is per model.
      const db = out(b, b.be.reduce('sum', dz.storage, bb ? batch : 1, bb ? m : batch * m, n, gradOut(b)), b.shape);
      grads[2] = db;
    }
    if (dz !== g) dz.dispose();
    return b ? grads : grads.slice(0, 2);
  });
}

/** C = A·B for rank-2 or rank-3 (batched) tensors. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  return linear(a, b, null);
}

// ---- loss and regularization ----

/**
 * Weighted sigmoid cross-entropy from logits (stable for any logit), elementwise; labels and weights are data
 * (no gradient). Reduce with `sum` or `mean`, or use `sigmoidCrossEntropy`.
 */
export function sigmoidXentElementwise(logits: Tensor, labels: Tensor, weights: Tensor): Tensor {
  sameBackend('sigmoidCrossEntropy', logits, labels, weights);
  for (const [n, t] of [['labels', labels], ['weights', weights]] as const) {
    if (t.size !== logits.size) throw new ShapeError(`sigmoidCrossEntropy: ${n} [${t.shape.join(', ')}] do not match logits [${logits.shape.join(', ')}]`);
  }
  const y = out(logits, logits.be.sigmoidXent(logits.storage, labels.storage, weights.storage), logits.shape);
  return y.record([logits], (g) => [out(g, g.be.sigmoidXentBackward(logits.storage, labels.storage, weights.storage, g.storage), logits.shape)]);
}

/**
 * The sum (or mean) of sigmoidXentElementwise as one op: its backward hands the scalar gradient straight to the
 * kernel, which broadcasts it — no column of ones uploaded and multiplied each step, as `sum`'s backward would.
 */
export function sigmoidCrossEntropy(logits: Tensor, labels: Tensor, weights: Tensor, reduction: 'sum' | 'mean' = 'sum'): Tensor {
  sameBackend('sigmoidCrossEntropy', logits, labels, weights);
  for (const [n, t] of [['labels', labels], ['weights', weights]] as const) {
    if (t.size !== logits.size) throw new ShapeError(`sigmoidCrossEntropy: ${n} [${t.shape.join(', ')}] do not match logits [${logits.shape.join(', ')}]`);
  }
  const be = logits.be;
  const e = be.sigmoidXent(logits.storage, labels.storage, weights.storage);
  const y = out(logits, be.reduce(reduction, e, 1, logits.size, 1), []);
  be.release(e);
  return y.record([logits], (g) => {
    const dl = reduction === 'mean' ? be.unary('scale', g.storage, 1 / logits.size) : g.storage;
    const dx = out(g, be.sigmoidXentBackward(logits.storage, labels.storage, weights.storage, dl), logits.shape);
    if (dl !== g.storage) be.release(dl);
    return [dx];
  });
}

/** Plain binary cross-entropy on probabilities p: −mean(z·log p + (1−z)·log(1−p)), with p clamped to [ε, 1−ε]. */
export function binaryCrossEntropy(p: Tensor, labels: Tensor, eps = 1e-7): Tensor {
  const be = p.be;
  const lo = new Tensor(be, be.scalar(eps), [1]);
  const one = new Tensor(be, be.scalar(1), [1]);
  const pc = maximum(p, lo);
  const q = maximum(sub(one, p), lo);
  const pos = mul(labels, log(pc));
  const negTerm = mul(sub(one, labels), log(q));
  return neg(mean(add(pos, negTerm)));
}

export interface DropoutKey {
  seed: number;
  step: number;
  stream: number;
}

/** Inverted dropout with keep probability `keep`; the mask is a function of the key, recomputed for backward. */
export function dropout(x: Tensor, keep: number, key: DropoutKey): Tensor {
  sameBackend('dropout', x);
  if (keep === 1) return x;
  const spec = { keep, ...key };
  const y = out(x, x.be.dropout(x.storage, spec), x.shape);
  return y.record([x], (g) => [out(g, g.be.dropout(g.storage, spec), x.shape)]);
}


// ---- the model axis (populations) ----

/**
 * Dropout for a population: x is [models, rows, cols]; model m keeps with keys.keep[m] and draws its own mask from
 * (seed[m], step[m], stream) over its first width[m] columns — its solo run's mask — and zeroes the padding.
 */
export function dropoutModels(x: Tensor, keys: ModelKeys, stream: number): Tensor {
  sameBackend('dropoutModels', x);
  if (x.shape.length !== 3) throw new ShapeError(`dropoutModels: x [${x.shape.join(', ')}] must be [models, rows, cols]`);
  const [models, rows, cols] = x.shape;
  const spec = { models, rows, cols, stream, keys };
  const y = out(x, x.be.dropoutModels(x.storage, spec), x.shape);
  return y.record([x], (g) => [out(g, g.be.dropoutModels(g.storage, spec), x.shape)], 'dropoutModels');
}

/**
 * One weighted sigmoid cross-entropy per model: logits [models, rows, K], labels and weights [rows, K] shared by all.
 * Returns [models]: each model's sum (or mean over its rows × K — never divided by the number of models), so a
 * member's loss and gradient are its solo run's. One dispatch computes the losses and, when a gradient will be
 * needed, dlogits for a unit gradient of each loss — what `backward(Tensor.full(…, 1))` hands back, so a training
 * step's loss costs no backward dispatch; any other gradient scales it per model in the backward kernel.
 * `total` ([models], kept by the caller) has the losses added into it in place: an epoch's running sum, no readback.
 */
export function sigmoidCrossEntropyModels(logits: Tensor, labels: Tensor, weights: Tensor, reduction: 'sum' | 'mean' = 'sum', opts: { total?: Tensor } = {}): Tensor {
  sameBackend('sigmoidCrossEntropyModels', logits, labels, weights, ...(opts.total ? [opts.total] : []));
  const models = logits.shape.length === 3 ? logits.shape[0] : 1;
  const L = logits.size / models;
  for (const [n, t] of [['labels', labels], ['weights', weights]] as const) {
    if (t.size !== L) throw new ShapeError(`sigmoidCrossEntropyModels: ${n} [${t.shape.join(', ')}] do not match one model's logits [${logits.shape.slice(-2).join(', ')}]`);
  }
  if (opts.total && opts.total.size !== models) throw new ShapeError(`sigmoidCrossEntropyModels: total [${opts.total.shape.join(', ')}] must hold one value per model (${models})`);
  const be = logits.be;
  const grad = gradEnabled() && logits.requiresGrad;
  const r = be.sigmoidXentModels(logits.storage, labels.storage, weights.storage, { models, reduction, grad, total: opts.total?.storage });
  const y = out(logits, r.loss, [models]);
  // A tensor, so the step's scope frees it when backward never runs.
  const unitGrad = r.dlogits ? out(logits, r.dlogits, logits.shape) : null;
  return y.record([logits], (g) => {
    if (unitGrad && !unitGrad.disposed && g.fill === 1) return [unitGrad];
    unitGrad?.dispose();
    const dl = reduction === 'mean' ? be.unary('scale', g.storage, 1 / L) : g.storage;
    const dx = out(g, be.sigmoidXentBackward(logits.storage, labels.storage, weights.storage, dl, models), logits.shape);
    if (dl !== g.storage) be.release(dl);
    return [dx];
  }, 'sigmoidCrossEntropyModels');
}
