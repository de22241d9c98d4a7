/**
 * The optimizer of a population: every parameter tensor has a leading model axis [models, …], and each model has its
 * own learning rate, its own step count (Adam's bias correction) and can be frozen — a pruned, finished or failed
 * trial keeps its weights and moments while the others train on in the same dispatches. A slot can be reset for a
 * new member (moments zeroed, step count back to 0), which is how a pruned trial's slot is refilled.
 * When the parameters are the views of one arena in order (PopulationMlp allocates them so), their gradients and
 * moments get arenas laid out alike and the ops write each gradient into its place (Tensor.gradTarget): one
 * `optimModels` dispatch then updates every parameter of every model. Otherwise one dispatch per parameter tensor,
 * all sharing one per-step table (src/backend: ModelOptimSpec).
 */
import { keep } from '../autograd/scope.ts';
import { Tensor } from '../autograd/tensor.ts';
import type { ModelOptimSpec, Storage } from '../backend/backend.ts';
import { copySlots } from '../nn/population-mlp.ts';
import { missingGradientGuard, type MissingGradPolicy } from './missing-grad.ts';

export interface ModelOptimizerOptions {
  kind?: ModelOptimSpec['kind'];
  /** One learning rate per model. */
  lr: ArrayLike<number>;
  /** Adam's β1 (TensorFlow's default 0.9) or momentum's μ. */
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** What a parameter without a gradient at `step()` does: throw (default), warn once, or pass. */
  missingGradients?: MissingGradPolicy;
  /** One L2 weight decay λ ≥ 0 per model (default 0 for all): the step uses g + λ·p (ModelOptimSpec.weightDecay). */
  weightDecay?: ArrayLike<number>;
}

export class ModelOptimizer {
  readonly kind: ModelOptimSpec['kind'];
  readonly lr: Float64Array;
  /** Each model's weight decay λ (0: none). */
  readonly weightDecay: Float64Array;
  /** Steps taken by each model (its Adam t). */
  readonly steps: Uint32Array;
  /** Whether each model still trains. */
  readonly active: Uint8Array;
  private readonly slots: Tensor[][];
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly eps: number;
  private readonly guard: (params: readonly Tensor[]) => void;
  /** The arenas of the one-dispatch step (parameters, gradients, moments) and the tensors' places in them. */
  private readonly flat: { p: Storage; g: Storage; m: Storage | null; v: Storage | null; segments: { offset: number; length: number }[] } | null = null;
  private readonly owned: Storage[] = [];

  constructor(readonly params: Tensor[], readonly models: number, private readonly opts: ModelOptimizerOptions) {
    this.kind = opts.kind ?? 'adam';
    if (opts.lr.length !== models) throw new RangeError(`ModelOptimizer: ${opts.lr.length} learning rates for ${models} models`);
    for (const p of params) {
      if (!p.requiresGrad) throw new Error(`ModelOptimizer: parameter ${p.name || `[${p.shape.join(', ')}]`} does not require a gradient`);
      if (p.shape[0] !== models || p.shape.length < 2) throw new RangeError(`ModelOptimizer: parameter ${p.name} [${p.shape.join(', ')}] needs a leading model axis of ${models}`);
    }
    this.lr = Float64Array.from(opts.lr);
    for (let m = 0; m < models; m++) if (!(this.lr[m] > 0) || !Number.isFinite(this.lr[m])) throw new RangeError(`ModelOptimizer: learning rate of model ${m} must be a positive number, got ${this.lr[m]}`);
    if (opts.weightDecay && opts.weightDecay.length !== models) throw new RangeError(`ModelOptimizer: ${opts.weightDecay.length} weight decays for ${models} models`);
    this.weightDecay = opts.weightDecay ? Float64Array.from(opts.weightDecay) : new Float64Array(models);
    this.weightDecay.forEach((l, m) => checkDecay(l, m));
    this.steps = new Uint32Array(models);
    this.active = new Uint8Array(models).fill(1);
    this.beta1 = opts.beta1 ?? (this.kind === 'momentum' ? 0.9 : 0.9);
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    const nSlots = this.kind === 'adam' ? 2 : this.kind === 'momentum' ? 1 : 0;
    const be = params[0]?.be;
    const layout = be?.arenaLayout(params.map((p) => p.storage));
    const lengths = params.map((p) => p.size);
    const grads = layout ? be.arena(lengths) : null;
    // Only when the parameters fill their arena in order does a gradient arena built from their sizes line up with it.
    const lined = grads && layout!.whole.length === grads.whole.length && be.arenaLayout(grads.views)!.offsets.every((o, i) => o === layout!.offsets[i]);
    if (grads && lined) {
      const moments = Array.from({ length: nSlots }, () => be.arena(lengths));
      this.owned.push(grads.whole, ...moments.map((a) => a.whole));
      params.forEach((p, i) => (p.gradTarget = grads.views[i]));
      this.slots = params.map((p, i) => moments.map((a) => keep(new Tensor(be, a.views[i], p.shape))));
      this.flat = { p: layout!.whole, g: grads.whole, m: moments[0]?.whole ?? null, v: moments[1]?.whole ?? null, segments: lengths.map((length, i) => ({ offset: layout!.offsets[i], length })) };
    } else {
      if (grads) be.release(grads.whole);
      this.slots = params.map((p) => Array.from({ length: nSlots }, () => keep(Tensor.zeros(p.be, p.shape))));
    }
    this.guard = missingGradientGuard(opts.missingGradients ?? 'error');
  }

  /** One update of every active model, in one dispatch per parameter tensor. */
  step(): void {
    this.guard(this.params);
    const t = new Uint32Array(this.models);
    for (let m = 0; m < this.models; m++) if (this.active[m]) t[m] = ++this.steps[m];
    if (!t.some((v) => v > 0)) return;
    const spec: ModelOptimSpec = { kind: this.kind, models: this.models, lr: this.lr, t, beta1: this.beta1, beta2: this.beta2, eps: this.eps };
    // Without a nonzero λ the spec carries none: the step is the undecayed one.
    if (this.weightDecay.some((l) => l !== 0)) spec.weightDecay = this.weightDecay;
    const f = this.flat;
    if (f && this.params.every((p) => p.grad?.storage === p.gradTarget)) {
      for (const p of this.params) p.check('optimizer step');
      this.params[0].be.optimModels(f.p, f.g, f.m, f.v, { ...spec, segments: f.segments });
      return;
    }
    this.params.forEach((p, i) => {
      if (!p.grad) return;
      p.check('optimizer step');
      const [m, v] = this.slots[i];
      p.be.optimModels(p.storage, p.grad.storage, m?.storage ?? null, v?.storage ?? null, spec);
    });
  }

  zeroGrad(): void {
    for (const p of this.params) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  freeze(m: number): void {
    this.active[m] = 0;
  }

  /**
   * The optimizer of a repacked network (PopulationMlp.repacked: slots `keep`, then `add` new members): the kept
   * models' learning rates, step counts, frozen flags and moments carried over, the new ones starting at step 0 with
   * zero moments. `params` are the new network's; this optimizer is left as it was (dispose it).
   */
  async repacked(params: Tensor[], keep: readonly number[], add: readonly { lr: number; weightDecay?: number }[] = []): Promise<ModelOptimizer> {
    const lr = [...keep.map((m) => this.lr[m]), ...add.map((a) => a.lr)];
    const weightDecay = [...keep.map((m) => this.weightDecay[m]), ...add.map((a) => a.weightDecay ?? 0)];
    const next = new ModelOptimizer(params, lr.length, { ...this.opts, lr, weightDecay });
    keep.forEach((m, i) => {
      next.steps[i] = this.steps[m];
      next.active[i] = this.active[m];
    });
    const moments = this.slots[0]?.length ?? 0;
    for (let k = 0; k < moments; k++) await copySlots(params[0].be, this.slots.map((s) => s[k]), next.slots.map((s) => s[k]), keep);
    return next;
  }

  /**
   * Slot m starts over for a new member: its learning rate, step 0, zero moments, and its weight decay when given
   * (else the slot keeps its λ). Its weights are the caller's.
   */
  reset(m: number, lr: number, weightDecay?: number): void {
    if (!(lr > 0) || !Number.isFinite(lr)) throw new RangeError(`ModelOptimizer: learning rate must be a positive number, got ${lr}`);
    if (weightDecay !== undefined) checkDecay(weightDecay, m);
    this.lr[m] = lr;
    if (weightDecay !== undefined) this.weightDecay[m] = weightDecay;
    this.steps[m] = 0;
    this.active[m] = 1;
    for (const slots of this.slots) {
      for (const s of slots) {
        const per = s.size / this.models;
        s.be.write(s.storage, m * per, new Float32Array(per));
      }
    }
  }

  dispose(): void {
    for (const s of this.slots.flat()) s.dispose();
    this.slots.length = 0;
    if (this.flat) for (const p of this.params) p.gradTarget = null;
    for (const a of this.owned.splice(0)) this.params[0].be.release(a);
  }
}

function checkDecay(l: number, m: number): void {
  if (!(l >= 0) || !Number.isFinite(l)) throw new RangeError(`ModelOptimizer: weight decay of model ${m} must be a finite number ≥ 0, got ${l}`);
}
