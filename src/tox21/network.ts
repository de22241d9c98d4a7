/**
 * The chapter's fully connected network on fingerprint bits: nLayers hidden ReLU layers of nHidden units, each
 * followed by dropout, feeding one logit per task. Inputs arrive as set-bit rows (SparseBits); the first layer is
 * where their sparsity pays, so the input path is kept in this one place.
 */
import { BitRows, sparseLinear } from '../autograd/sparse-linear.ts';
import type { Tensor } from '../autograd/tensor.ts';
import type { Backend } from '../backend/backend.ts';
import type { SparseBits } from '../data/sparse-bits.ts';
import { Linear } from '../nn/linear.ts';
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

  /**
   * Logits [rows, outputs] for a batch of bit rows. The first layer sums the rows of W picked by each example's set
   * bits (sparseLinear) instead of multiplying a dense 0/1 matrix: ~30 of 1,024 rows per example.
   */
  forward(bits: SparseBits): Tensor {
    const [first, ...rest] = this.mlp.layers;
    if (!(first instanceof Linear)) throw new Error('Tox21Net: the first layer must be Linear');
    const h = sparseLinear(BitRows.from(this.be, bits), first.W, first.b, { activation: first.activation });
    return rest.reduce((x, layer) => layer.forward(x), h);
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
