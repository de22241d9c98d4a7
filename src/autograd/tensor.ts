/**
 * A Tensor: a backend buffer with a shape (rank ≤ 3, row-major, f32) and, when it needs a gradient, the op that made
 * it — its parents and a closure mapping the output's gradient to theirs (written beside each op in ops.ts).
 * `backward()` walks that tape in reverse topological order, accumulating gradients that meet at a shared input.
 * A tape whose intermediate was disposed (by `tidy` or `dispose`) is cut: `backward()` refuses it by name rather
 * than letting the parameters behind the cut silently receive no gradient. A second backward() through the same
 * recorded ops is refused unless the first kept the tape (`{ keepTape: true }`), as PyTorch's retain_graph.
 */
import type { Backend, Storage } from '../backend/backend.ts';
import { gradEnabled, keep, noGrad, track, type Disposable } from './scope.ts';

export type BackwardFn = (grad: Tensor) => (Tensor | null)[];

/**
 * During a backward pass: the leaves whose gradient an op may write straight into their `gradTarget` — each has no
 * gradient yet and exactly one use on the tape, so nothing needs adding to what the op writes.
 */
let direct: Set<Tensor> | null = null;

/** Where an op should write leaf t's gradient, when it may write it in place (see Tensor.gradTarget). */
export function gradOut(t: Tensor): Storage | undefined {
  return direct?.has(t) ? t.gradTarget! : undefined;
}

/**
 * Every op checks its inputs with `check(op)` just before it records its output, so the last name checked is the
 * op being recorded when the caller does not pass one to `record`; consumed by each `record`, so it never goes stale.
 */
let checkedBy = '';

/** Throws unless every dimension is a finite integer ≥ 0 (a 0 makes an empty tensor); names the whole shape. */
export function checkShape(where: string, shape: readonly number[]): void {
  if (!Array.isArray(shape)) throw new TypeError(`${where}: the shape must be an array of dimensions, got ${String(shape)}`);
  const bad = shape.findIndex((d) => typeof d !== 'number' || !Number.isInteger(d) || d < 0);
  if (bad >= 0) {
    throw new RangeError(`${where}: shape [${shape.join(', ')}] has dimension ${bad} = ${String(shape[bad])}; dimensions must be integers ≥ 0`);
  }
}

export class Tensor implements Disposable {
  grad: Tensor | null = null;
  disposed = false;
  readonly size: number;
  parents: Tensor[] = [];
  backwardFn: BackwardFn | null = null;
  /** The op that made this tensor on the tape ('' for a leaf, or when the op did not say), for error messages. */
  op = '';
  /**
   * The value of every element, when known without reading it back (a seed of ones): an op's backward may take a
   * shortcut for it, as the training loss hands back the gradient it computed in its forward pass.
   */
  fill: number | null = null;
  /**
   * A parameter's gradient buffer (a view of its optimizer's gradient arena): ops write the gradient there when they
   * can (`gradOut`), so one optimizer dispatch finds every parameter's gradient in one arena.
   */
  gradTarget: Storage | null = null;
  /** A backward() has gone through this op without `keepTape`: another would count its gradient twice. */
  backwardDone = false;
  /** Releases what the op that made this tensor kept for its backward (called once, by dispose). */
  onDispose: (() => void) | null = null;

  constructor(readonly be: Backend, public storage: Storage, readonly shape: readonly number[], public requiresGrad = false, public name = '') {
    checkShape(`Tensor${name ? ` ${name}` : ''}`, shape);
    if (shape.length > 3) throw new Error(`Tensor${name ? ` ${name}` : ''}: rank ${shape.length} > 3 is not supported (shape [${shape.join(', ')}])`);
    this.size = shape.reduce((a, b) => a * b, 1);
    if (storage.length !== this.size) throw new Error(`Tensor${name ? ` ${name}` : ''}: ${storage.length} elements do not fill shape [${shape.join(', ')}]`);
    track(this);
  }

  static from(be: Backend, data: ArrayLike<number>, shape: readonly number[], requiresGrad = false): Tensor {
    checkShape('Tensor.from', shape);
    const size = shape.reduce((a, b) => a * b, 1);
    if (data.length !== size) throw new Error(`Tensor.from: ${data.length} values for shape [${shape.join(', ')}] (${size} elements)`);
    return new Tensor(be, be.upload(data), shape, requiresGrad);
  }

  /** Every element `value`, with `fill` set. */
  static full(be: Backend, shape: readonly number[], value: number): Tensor {
    checkShape('Tensor.full', shape);
    const t = new Tensor(be, be.upload(new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(value)), shape);
    t.fill = value;
    return t;
  }

  static zeros(be: Backend, shape: readonly number[], requiresGrad = false): Tensor {
    checkShape('Tensor.zeros', shape);
    return new Tensor(be, be.zeros(shape.reduce((a, b) => a * b, 1)), shape, requiresGrad);
  }

  /** Records how this tensor was made, when any parent needs a gradient and grad mode is on; `op` names it in errors. */
  record(parents: Tensor[], fn: BackwardFn, op = ''): this {
    const name = op || checkedBy;
    checkedBy = '';
    if (gradEnabled() && parents.some((p) => p.requiresGrad)) {
      this.requiresGrad = true;
      this.parents = parents;
      this.backwardFn = fn;
      this.op = name;
    }
    return this;
  }

  get isLeaf(): boolean {
    return this.backwardFn === null;
  }

  /**
   * This tensor's buffer under another shape of the same size, with no gradient link (for ops' internals): the
   * result owns the buffer and this tensor is retired without releasing it.
   */
  reshapeTo(shape: readonly number[]): Tensor {
    checkShape('reshape', shape);
    const size = shape.reduce((a, b) => a * b, 1);
    if (size !== this.size) throw new Error(`reshape: [${this.shape.join(', ')}] has ${this.size} elements, [${shape.join(', ')}] needs ${size}`);
    if (shape.length === this.shape.length && shape.every((d, i) => d === this.shape[i])) return this;
    const t = new Tensor(this.be, this.storage, shape);
    t.onDispose = this.onDispose;
    this.onDispose = null;
    this.disposed = true;
    return t;
  }

  async data(): Promise<Float32Array | Float64Array> {
    this.check('data');
    checkedBy = ''; // a read is not an op that records
    return this.be.read(this.storage);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.be.release(this.storage);
    this.onDispose?.();
    this.onDispose = null;
    // The tape links go (they would pin their buffers' owners), but `op` and `requiresGrad` stay so that a
    // backward() reaching this tensor can say what was cut.
    this.parents = [];
    this.backwardFn = null;
  }

  check(op: string): void {
    checkedBy = op;
    if (this.disposed) throw new Error(`${op}: tensor${this.name ? ` ${this.name}` : ''} [${this.shape.join(', ')}] was disposed`);
  }

  /**
   * Reverse-mode gradients of this scalar (or of `seed` · this) into every leaf that requires a gradient; a leaf
   * that already has one gets the sum, so two losses built by two forward passes accumulate (as in PyTorch). A
   * second backward() through the same recorded ops is refused unless the first one was told `{ keepTape: true }`:
   * it would add the very same gradients again, which is never what a training step means.
   */
  backward(seed?: Tensor, opts: { keepTape?: boolean } = {}): void {
    this.check('backward');
    checkedBy = '';
    if (!seed && this.size !== 1) throw new Error(`backward: the output has shape [${this.shape.join(', ')}]; pass a seed gradient or reduce it to a scalar first`);
    const order = topoSort(this);
    const spent = this.backwardDone ? this : order.find((t) => t.backwardDone);
    if (spent) throw secondBackward(this, spent);
    if (!opts.keepTape) for (const t of order) if (!t.isLeaf) t.backwardDone = true;
    const uses = new Map<Tensor, number>();
    for (const t of order) for (const p of t.parents) if (p.requiresGrad) uses.set(p, (uses.get(p) ?? 0) + 1);
    direct = new Set(order.filter((t) => t.isLeaf && t.gradTarget && !t.grad && uses.get(t) === 1));
    try {
      this.propagate(order, seed);
    } finally {
      direct = null;
    }
  }

  private propagate(order: Tensor[], seed: Tensor | undefined): void {
    noGrad(() => {
      const grads = new Map<Tensor, Tensor>();
      grads.set(this, seed ?? Tensor.full(this.be, this.shape, 1));
      for (let i = order.length - 1; i >= 0; i--) {
        const node = order[i];
        const g = grads.get(node);
        if (!g) continue;
        grads.delete(node);
        if (node.isLeaf) {
          if (node.requiresGrad) node.grad = keep(node.grad ? accumulate(node.grad, g) : g);
          continue;
        }
        const pg = node.backwardFn!(g);
        if (g !== seed && !pg.includes(g)) g.dispose();
        const handed = new Set<Tensor>();
        node.parents.forEach((p, j) => {
          let gp = pg[j];
          if (!gp) return;
          // An op may pass its gradient through unchanged to several inputs (a + b): each needs its own buffer.
          if (handed.has(gp) || gp === seed) gp = new Tensor(gp.be, gp.be.unary('scale', gp.storage, 1), gp.shape);
          handed.add(gp);
          if (!p.requiresGrad) {
            gp.dispose();
            return;
          }
          const prev = grads.get(p);
          grads.set(p, prev ? accumulate(prev, gp) : gp);
        });
      }
    });
  }
}

function accumulate(a: Tensor, b: Tensor): Tensor {
  const s = new Tensor(a.be, a.be.binary('add', a.storage, shape3(a.shape), b.storage, shape3(b.shape)), a.shape);
  a.dispose();
  b.dispose();
  return s;
}

/**
 * The op that made `node` needs its inputs' buffers (and its gradient flows into them): a disposed input means the
 * tape was cut, and the parameters behind it would silently get no gradient.
 */
function tapeCut(node: Tensor, input: Tensor, j: number): Error {
  const what = node.op ? `${node.op}'s` : 'an op\'s';
  const made = input.op ? ` (the output of ${input.op})` : '';
  return new Error(
    `backward: the tape was cut — ${what} input ${j} [${input.shape.join(', ')}]${input.name ? ` "${input.name}"` : ''}${made} was disposed ` +
      '(by tidy() or dispose()) before backward(), so nothing behind it would get a gradient; call backward() inside the tidy ' +
      'that made the loss, or keep() the tensors you need',
  );
}

function secondBackward(root: Tensor, spent: Tensor): Error {
  const at = spent === root ? 'this tensor' : `${spent.op || 'an op'} [${spent.shape.join(', ')}] on its tape`;
  return new Error(
    `backward: ${at} was already backpropagated through; a second backward() would add the same gradients to the ` +
      'parameters again. Build the loss again with a new forward pass for each step, or pass { keepTape: true } to the ' +
      'first backward() to run it twice on purpose',
  );
}

function topoSort(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  // Iterative DFS: a deep MLP's tape must not overflow the stack.
  const stack: [Tensor, number][] = [[root, 0]];
  seen.add(root);
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [t, i] = top;
    if (i < t.parents.length) {
      top[1]++;
      const p = t.parents[i];
      // An input without a gradient is not followed; if its buffer is gone, the backend says so when the op reads it.
      if (p.disposed && p.requiresGrad) throw tapeCut(t, p, i);
      if (!seen.has(p) && p.requiresGrad) {
        seen.add(p);
        stack.push([p, 0]);
      }
    } else {
      order.push(t);
      stack.pop();
    }
  }
  return order;
}

/** A shape of rank ≤ 3 as [batch, rows, cols], padded with leading 1s. */
export function shape3(s: readonly number[]): [number, number, number] {
  const p = [1, 1, 1, ...s];
  return [p[p.length - 3], p[p.length - 2], p[p.length - 1]];
}
