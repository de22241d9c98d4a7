/**
 * Weight initialisers, seeded. 'normal' is the book's choice (tf.random_normal, std 1, for W and b alike); Glorot
 * (uniform, for tanh/sigmoid) and He (normal, for ReLU) scale with the fan so deep nets start well-conditioned.
 */
import { Rng } from '../random/rng.ts';

export type Init = 'normal' | 'glorot' | 'he' | 'zeros';

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
    case 'zeros':
      break;
  }
  return a;
}

/** The book draws biases from N(0, 1) too; the fan-scaled schemes start biases at zero. */
export function initBias(init: Init, count: number, rng: Rng): Float32Array {
  return init === 'normal' ? initWeights('normal', 1, 1, count, rng) : new Float32Array(count);
}
