/**
 * Philox-4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11): a counter-based RNG, so the
 * dropout mask of element e at step s is a pure function of (seed, s, stream, e) and is never stored. This is the
 * CPU twin of the WGSL version in shaders/dropout.wgsl; both use only 32-bit integer arithmetic.
 */
const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/** High 32 bits of the 64-bit product a·b, from 16-bit halves (as the shader must, having no u64). */
function mulhi(a: number, b: number): number {
  const aL = a & 0xffff, aH = a >>> 16, bL = b & 0xffff, bH = b >>> 16;
  const ll = aL * bL, lh = aL * bH, hl = aH * bL, hh = aH * bH;
  const mid = (ll >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  return (hh + (lh >>> 16) + (hl >>> 16) + Math.floor(mid / 65536)) >>> 0;
}

export function philox4x32(ctr: readonly number[], key: readonly number[], out = new Uint32Array(4)): Uint32Array {
  let c0 = ctr[0] >>> 0, c1 = ctr[1] >>> 0, c2 = ctr[2] >>> 0, c3 = ctr[3] >>> 0;
  let k0 = key[0] >>> 0, k1 = key[1] >>> 0;
  for (let r = 0; r < 10; r++) {
    const hi0 = mulhi(M0, c0), lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulhi(M1, c2), lo1 = Math.imul(M1, c2) >>> 0;
    c0 = (hi1 ^ c1 ^ k0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ k1) >>> 0;
    c3 = lo0;
    k0 = (k0 + W0) >>> 0;
    k1 = (k1 + W1) >>> 0;
  }
  out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
  return out;
}

/** The dropout mask: element e keeps with probability `keep`, from word e%4 of Philox((e/4, step, stream, 0), (seed, 0)). */
export function dropoutMask(n: number, keep: number, seed: number, step: number, stream: number): Uint8Array {
  const mask = new Uint8Array(n);
  const words = new Uint32Array(4);
  for (let g = 0; g * 4 < n; g++) {
    philox4x32([g, step, stream, 0], [seed, 0], words);
    for (let j = 0; j < 4 && g * 4 + j < n; j++) {
      // 24 high bits → a float in [0, 1) that f32 holds exactly, so the shader's comparison matches bit for bit.
      mask[g * 4 + j] = (words[j] >>> 8) * 2 ** -24 < keep ? 1 : 0;
    }
  }
  return mask;
}
