/**
 * Optimizers update parameters in place with the WGSL step kernels (shaders/optim.wgsl); their state (velocity,
 * Adam's moments) lives on the device beside the parameters, so a step never reads back. With weight decay the
 * step is the per-model kernel's (shaders/optim-models.wgsl) for one model, which holds the decay path; its
 * arithmetic is otherwise the same.
 */
import { keep } from '../autograd/scope.ts';
import { Tensor } from '../autograd/tensor.ts';
import type { ModelOptimSpec } from '../backend/backend.ts';
import { missingGradientGuard, type MissingGradPolicy } from './missing-grad.ts';

export interface OptimizerOptions {
  /**
   * A parameter without a gradient at `step()` is a model that silently does not train: warn once (default), throw,
   * or ignore (for parameters that are frozen on purpose).
   */
  missingGradients?: MissingGradPolicy;
  /**
   * L2 weight decay λ ≥ 0 (default 0): each step uses g + λ·p in place of g, before momentum or Adam's moments see
   * it — torch.optim's `weight_decay` (a loss term λ/2·‖p‖² on every parameter, biases included), not AdamW's
   * decoupled decay.
   */
  weightDecay?: number;
}

export abstract class Optimizer {
  protected state = new Map<Tensor, Tensor[]>();
  steps = 0;
  readonly weightDecay: number;
  private readonly checkMissing: (params: readonly Tensor[]) => void;
  private stepSpec: { step: number; spec: ModelOptimSpec } | null = null;

  constructor(readonly params: Tensor[], opts: OptimizerOptions = {}) {
    for (const p of params) if (!p.requiresGrad) throw new Error(`optimizer: parameter ${p.name || `[${p.shape.join(', ')}]`} does not require a gradient`);
    this.checkMissing = missingGradientGuard(opts.missingGradients ?? 'warn');
    this.weightDecay = opts.weightDecay ?? 0;
    if (!(this.weightDecay >= 0) || !Number.isFinite(this.weightDecay)) throw new RangeError(`optimizer: weightDecay must be a finite number ≥ 0, got ${opts.weightDecay}`);
  }

  /**
   * This step as a one-model per-model step with decay: one spec object per step, shared by every parameter, so a
   * backend uploads its table once.
   */
  protected decayedStep(kind: ModelOptimSpec['kind'], lr: number, beta1 = 0, beta2 = 0, eps = 0): ModelOptimSpec {
    if (this.stepSpec?.step !== this.steps) {
      this.stepSpec = { step: this.steps, spec: { kind, models: 1, lr: [lr], t: [this.steps], beta1, beta2, eps, weightDecay: [this.weightDecay] } };
    }
    return this.stepSpec.spec;
  }

  /** Applies one update to every parameter that has a gradient (and says so, once, of those without). */
  step(): void {
    this.checkMissing(this.params);
    this.steps++;
    for (const p of this.params) {
      if (!p.grad) continue;
      p.check('optimizer step');
      this.update(p, p.grad, this.slots(p));
    }
  }

  zeroGrad(): void {
    for (const p of this.params) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  dispose(): void {
    for (const s of this.state.values()) for (const t of s) t.dispose();
    this.state.clear();
  }

  protected abstract slotCount: number;
  protected abstract update(p: Tensor, g: Tensor, slots: Tensor[]): void;

  private slots(p: Tensor): Tensor[] {
    let s = this.state.get(p);
    if (!s) {
      s = Array.from({ length: this.slotCount }, () => keep(Tensor.zeros(p.be, p.shape)));
      this.state.set(p, s);
    }
    return s;
  }
}

/** A NaN, negative or infinite rate trained garbage without a word; refused where the optimizer is made. */
function checkRate(name: string, lr: number): void {
  if (!(typeof lr === 'number' && Number.isFinite(lr) && lr > 0)) throw new RangeError(`${name}: the learning rate must be a finite number > 0, got ${String(lr)}`);
}

export class SGD extends Optimizer {
  protected slotCount = 0;
  constructor(params: Tensor[], readonly lr: number, opts: OptimizerOptions = {}) {
    super(params, opts);
    checkRate('SGD', lr);
  }
  protected update(p: Tensor, g: Tensor): void {
    if (this.weightDecay > 0) p.be.optimModels(p.storage, g.storage, null, null, this.decayedStep('sgd', this.lr));
    else p.be.sgd(p.storage, g.storage, this.lr);
  }
}

export class Momentum extends Optimizer {
  protected slotCount = 1;
  constructor(params: Tensor[], readonly lr: number, readonly momentum = 0.9, opts: OptimizerOptions = {}) {
    super(params, opts);
    checkRate('Momentum', lr);
  }
  protected update(p: Tensor, g: Tensor, [v]: Tensor[]): void {
    if (this.weightDecay > 0) p.be.optimModels(p.storage, g.storage, v.storage, null, this.decayedStep('momentum', this.lr, this.momentum));
    else p.be.momentum(p.storage, g.storage, v.storage, this.lr, this.momentum);
  }
}

export interface AdamOptions extends OptimizerOptions {
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
}

export class Adam extends Optimizer {
  protected slotCount = 2;
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  constructor(params: Tensor[], opts: AdamOptions = {}) {
    super(params, opts);
    // TensorFlow's defaults, which the book's tf.train.AdamOptimizer used.
    this.lr = opts.lr ?? 0.001;
    checkRate('Adam', this.lr);
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
  }
  protected update(p: Tensor, g: Tensor, [m, v]: Tensor[]): void {
    if (this.weightDecay > 0) return p.be.optimModels(p.storage, g.storage, m.storage, v.storage, this.decayedStep('adam', this.lr, this.beta1, this.beta2, this.eps));
    p.be.adam(p.storage, g.storage, m.storage, v.storage, { lr: this.lr, beta1: this.beta1, beta2: this.beta2, eps: this.eps, t: this.steps });
  }
}
