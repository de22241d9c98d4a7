/**
 * Seeded random numbers for the forest: xoshiro128** seeded through splitmix32. Each tree draws from its own
 * stream, seeded from (forest seed, tree index), so a forest is the same whichever thread grows which tree.
 * `Math.random` cannot be seeded, and the browser build must not depend on node:crypto.
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
