/**
 * Weight initialisers, seeded. 'normal' is the book's choice (tf.random_normal, std 1, for W and b alike); Glorot
 * (uniform, for tanh/sigmoid) and He (normal, for ReLU) scale with the fan so deep nets start well-conditioned.
 * 'deepchem' is DeepChem's MultitaskClassifier (deepchem/models/fcnet.py, weight_init_stddevs=0.02,
 * bias_init_consts=1.0): hidden weights N(0, 0.02²) (torch.nn.init.normal_; the older Keras model truncated at 2σ),
 * hidden biases 1 — so every ReLU starts active — and the output layer Glorot-uniform with zero bias
 * (xavier_uniform_; outputLayerInit says so).
 */
import { Rng } from '../random/rng.ts';

export type Init = 'normal' | 'glorot' | 'he' | 'zeros' | 'deepchem';

/** DeepChem's MultitaskClassifier defaults. */
export const DEEPCHEM_WEIGHT_STD = 0.02;
export const DEEPCHEM_BIAS = 1;

export function initWeights(init: Init, fanIn: number, fanOut: number, count: number, rng: Rng): Float32Array {
  const a = new Float32Array(count);
  switch (init) {
    case 'normal':
      for (let i = 0; i < count; i++) a[i] = rng.normal();
      break;
    case 'glorot': {
      const lim = Math.sqrt(6 / (fanIn + fanOut));
      for (let i = 0; i < count; i++) a[i] = (2 * rng.float() - 1) * lim;
      break;
    }
    case 'he': {
      const std = Math.sqrt(2 / fanIn);
      for (let i = 0; i < count; i++) a[i] = std * rng.normal();
      break;
    }
    case 'deepchem':
      for (let i = 0; i < count; i++) a[i] = DEEPCHEM_WEIGHT_STD * rng.normal();
      break;
    case 'zeros':
      break;
  }
  return a;
}

/** The book draws biases from N(0, 1) too; DeepChem starts them at 1; the fan-scaled schemes at zero. */
export function initBias(init: Init, count: number, rng: Rng): Float32Array {
  if (init === 'deepchem') return new Float32Array(count).fill(DEEPCHEM_BIAS);
  return init === 'normal' ? initWeights('normal', 1, 1, count, rng) : new Float32Array(count);
}

/** The init of a network's output layer: DeepChem's classifier draws it Glorot-uniform with zero bias; others as the hidden layers. */
export function outputLayerInit<T extends Init | undefined>(init: T): T | 'glorot' {
  return init === 'deepchem' ? 'glorot' : init;
}
