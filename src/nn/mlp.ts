/**
 * A fully connected network: nLayers hidden layers of nHidden units (each feeding the next), dropout after each,
 * and a linear output of logits. The book's chapter-5 code fed every hidden layer from the input, so only the last
 * reached the output; here layers stack as the text describes.
 */
import type { Tensor } from '../autograd/tensor.ts';
import type { Activation, Backend } from '../backend/backend.ts';
import { Rng } from '../random/rng.ts';
import { Dropout } from './dropout.ts';
import { outputLayerInit, type Init } from './init.ts';
import { Linear } from './linear.ts';
import type { Module } from './module.ts';

export interface MlpConfig {
  inputs: number;
  nHidden: number;
  nLayers: number;
  outputs: number;
  activation?: Activation;
  /** Keep probability of the dropout after each hidden layer (1 = none). */
  keepProb?: number;
  init?: Init;
  seed?: number;
  /** Independent copies trained at once. */
  models?: number;
}

export class Mlp implements Module {
  readonly layers: Module[] = [];

  constructor(be: Backend, readonly cfg: MlpConfig) {
    if (!Number.isInteger(cfg.nLayers) || cfg.nLayers < 0) throw new RangeError(`Mlp: nLayers must be an integer ≥ 0, got ${cfg.nLayers}`);
    const seed = cfg.seed ?? 0;
    const rng = new Rng(seed);
    let width = cfg.inputs;
    for (let l = 0; l < cfg.nLayers; l++) {
      this.layers.push(new Linear(be, { inputs: width, outputs: cfg.nHidden, activation: cfg.activation ?? 'relu', init: cfg.init, models: cfg.models }, rng));
      if ((cfg.keepProb ?? 1) < 1) this.layers.push(new Dropout(cfg.keepProb!, seed, l));
      width = cfg.nHidden;
    }
    this.layers.push(new Linear(be, { inputs: width, outputs: cfg.outputs, init: outputLayerInit(cfg.init), models: cfg.models }, rng));
  }

  forward(x: Tensor): Tensor {
    return this.layers.reduce((h, layer) => layer.forward(h), x);
  }

  parameters(): Tensor[] {
    return this.layers.flatMap((l) => l.parameters());
  }

  train(on = true): this {
    for (const l of this.layers) l.train(on);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  dispose(): void {
    for (const l of this.layers) l.dispose();
  }
}
