/**
 * Seeded host-side random numbers (weight init, shuffling, splits, the forest's bootstraps): xoshiro128** seeded
 * through splitmix32. A stream number gives independent sequences for one seed — each tree of a forest draws from
 * (seed, tree index), so a forest is the same whichever thread grows which tree. `Math.random` cannot be seeded,
 * and the browser build must not depend on node:crypto. The GPU side uses Philox (shaders/dropout.wgsl).
 */
export class Rng {
  /** xoshiro128 state as signed 32-bit words: a typed array keeps V8 from boxing the values ≥ 2^30. */
  private readonly s = new Int32Array(4);

  constructor(seed: number, stream = 0) {
    // Hash seed and stream separately before combining, so nearby seeds and nearby streams are unrelated.
    let x = mix32(mix32(seed >>> 0) ^ mix32((stream >>> 0) + 0x6a09e667));
    for (let i = 0; i < 4; i++) this.s[i] = x = mix32((x + 0x9e3779b9) >>> 0);
    if ((this.s[0] | this.s[1] | this.s[2] | this.s[3]) === 0) this.s[3] = 1; // the all-zero state is a fixed point
  }

  /** Uniform 32-bit unsigned integer (xoshiro128**). */
  uint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.uint32() * 2.3283064365386963e-10; // 2^-32
  }

  /** Uniform integer in [0, n); the bias of n/2^32 is far below anything the forest could notice. */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** Standard normal (Box-Muller). */
  normal(): number {
    let u = 0;
    while (u === 0) u = this.float();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.float());
  }

  /** In-place Fisher-Yates shuffle. */
  shuffle<T extends { length: number; [i: number]: unknown }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }
}

/** A uniformly random permutation of 0..n-1. */
export function permutation(n: number, rng: Rng): Uint32Array {
  return rng.shuffle(Uint32Array.from({ length: n }, (_, i) => i));
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** The splitmix32 / murmur3 finaliser: a bijection on 32-bit integers with good avalanche. */
function mix32(z: number): number {
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}
