/**
 * The chapter's fully connected network on fingerprint bits: nLayers hidden ReLU layers of nHidden units, each
 * followed by dropout, feeding one logit per task. Inputs arrive as set-bit rows (SparseBits); the first layer is
 * where their sparsity pays, so the input path is kept in this one place.
 */
import { Tensor } from '../autograd/tensor.ts';
import type { Backend } from '../backend/backend.ts';
import { toDense, type SparseBits } from '../data/sparse-bits.ts';
import { Mlp } from '../nn/mlp.ts';
import type { FcnHyperparams, TrainingMode } from './hyperparams.ts';

export class Tox21Net {
  readonly mlp: Mlp;

  constructor(readonly be: Backend, readonly inputs: number, readonly outputs: number, h: FcnHyperparams, mode: TrainingMode, seed: number) {
    this.mlp = new Mlp(be, {
      inputs,
      nHidden: h.nHidden,
      nLayers: h.nLayers,
      outputs,
      activation: 'relu',
      keepProb: h.keepProb,
      // The book draws W and b from N(0, 1) (tf.random_normal); He suits ReLU layers.
      init: mode === 'book' ? 'normal' : 'he',
      seed,
    });
  }

  /** Logits [rows, outputs] for a batch of bit rows. */
  forward(bits: SparseBits): Tensor {
    const rows = bits.offsets.length - 1;
    return this.mlp.forward(Tensor.from(this.be, toDense(bits), [rows, bits.nBits]));
  }

  parameters(): Tensor[] {
    return this.mlp.parameters();
  }

  train(on = true): this {
    this.mlp.train(on);
    return this;
  }

  dispose(): void {
    this.mlp.dispose();
  }
}
