/**
 * Dropout with the book's keep-probability semantics (keep_prob = 0.5 keeps half). Each training forward uses the
 * next step of a Philox stream keyed by (seed, layer), so a run is reproducible and the mask is never stored.
 */
import { dropout } from '../autograd/ops.ts';
import type { Tensor } from '../autograd/tensor.ts';
import type { Module } from './module.ts';

export class Dropout implements Module {
  private training = false;
  /** Training forwards so far: the Philox counter's step word. */
  step = 0;

  constructor(readonly keep: number, readonly seed: number, readonly stream: number) {
    if (!(keep > 0 && keep <= 1)) throw new RangeError(`Dropout: keep probability must be in (0, 1], got ${keep}`);
  }

  forward(x: Tensor): Tensor {
    if (!this.training || this.keep === 1) return x;
    return dropout(x, this.keep, { seed: this.seed >>> 0, step: this.step++, stream: this.stream });
  }

  parameters(): Tensor[] {
    return [];
  }

  train(on = true): this {
    this.training = on;
    return this;
  }

  dispose(): void {}
}
