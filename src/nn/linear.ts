/** A fully connected layer y = act(x·W + b), one fused matmul; `models` > 1 holds that many independent copies. */
import { linear } from '../autograd/ops.ts';
import { keep } from '../autograd/scope.ts';
import { Tensor } from '../autograd/tensor.ts';
import type { Activation, Backend } from '../backend/backend.ts';
import type { Rng } from '../random/rng.ts';
import { initBias, initWeights, type Init } from './init.ts';
import type { Module } from './module.ts';

export interface LinearConfig {
  inputs: number;
  outputs: number;
  activation?: Activation;
  init?: Init;
  /** Independent copies trained at once (W is [models, in, out]); 1 gives plain 2-D weights. */
  models?: number;
}

export class Linear implements Module {
  readonly W: Tensor;
  readonly b: Tensor;
  readonly activation: Activation;

  constructor(be: Backend, cfg: LinearConfig, rng: Rng) {
    const models = cfg.models ?? 1;
    const init = cfg.init ?? 'glorot';
    for (const [k, v] of [['inputs', cfg.inputs], ['outputs', cfg.outputs], ['models', models]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`Linear: ${k} must be a positive integer, got ${v}`);
    }
    this.activation = cfg.activation ?? 'none';
    const wShape = models === 1 ? [cfg.inputs, cfg.outputs] : [models, cfg.inputs, cfg.outputs];
    const bShape = models === 1 ? [cfg.outputs] : [models, 1, cfg.outputs];
    this.W = keep(Tensor.from(be, initWeights(init, cfg.inputs, cfg.outputs, models * cfg.inputs * cfg.outputs, rng), wShape, true));
    this.b = keep(Tensor.from(be, initBias(init, models * cfg.outputs, rng), bShape, true));
    this.W.name = 'W';
    this.b.name = 'b';
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.W, this.b, { activation: this.activation });
  }

  parameters(): Tensor[] {
    return [this.W, this.b];
  }

  train(): this {
    return this;
  }

  dispose(): void {
    for (const p of this.parameters()) {
      p.grad?.dispose();
      p.dispose();
    }
  }
}
