// shaders/xent.wgsl and shaders/dropout.wgsl against their CPU twins, plus Philox-4x32-10 known answers
// (Random123's kat_vectors) on both, so the generator itself is checked, not only the two copies of it.
import { describe, expect, it } from 'vitest';
import { philox4x32, dropoutMask } from '../src/backend/cpu/philox.ts';
import { cpu, gpu, rand, twin } from './helpers/backends.ts';

describe('sigmoid cross-entropy (xent)', () => {
  it.each([1, 7, 100, 1031])('loss and gradient on %i logits with weights', async (n) => {
    const x = rand(n, n, -8, 8), z = rand(n, n + 1).map((v) => (v > 0 ? 1 : 0)), w = rand(n, n + 2, 0, 3), g = rand(n, n + 3);
    await twin(`xent n=${n}`, [x, z, w], (be, [a, b, c]) => be.sigmoidXent(a, b, c), { atol: 2e-6, rtol: 1e-5 });
    await twin(`xent' n=${n}`, [x, z, w, g], (be, [a, b, c, d]) => be.sigmoidXentBackward(a, b, c, d), { atol: 1e-6, rtol: 1e-5 });
    // One dloss for every logit: the gradient of the summed loss.
    await twin(`xent' n=${n}, broadcast dloss`, [x, z, w, g.subarray(0, 1)], (be, [a, b, c, d]) => be.sigmoidXentBackward(a, b, c, d), { atol: 1e-6, rtol: 1e-5 });
  });

  it('stays finite and exact for |x| up to 1e4', async () => {
    const x = Float32Array.of(-1e4, -50, -20, 0, 20, 50, 1e4);
    const z = Float32Array.of(1, 1, 0, 1, 0, 1, 0);
    const w = new Float32Array(7).fill(1);
    const out = await twin('xent extremes', [x, z, w], (be, [a, b, c]) => be.sigmoidXent(a, b, c), { atol: 1e-6, rtol: 1e-6 });
    // For z=1, x=-1e4 the loss is 1e4; for x=-20, z=0 it is log(1+e^-20) ≈ 2.06e-9, which the series keeps.
    expect(out[0]).toBeCloseTo(1e4, 0);
    expect(out[2]).toBeGreaterThan(2e-9);
    expect(out[3]).toBeCloseTo(Math.LN2, 6);
    expect(out.every(Number.isFinite)).toBe(true);
  });
});

// Random123 kat_vectors, philox4x32 10 rounds: counter, key → output.
const KAT: [number[], number[], number[]][] = [
  [[0, 0, 0, 0], [0, 0], [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]],
  [[0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff], [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]],
  [[0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0], [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]],
];

describe('dropout', () => {
  it.each(KAT.map((k, i) => [i, ...k] as const))('Philox known answer %i on CPU and GPU', async (_i, ctr, key, want) => {
    expect(Array.from(philox4x32(ctr, key))).toEqual(want);
    const g = await gpu();
    const words = await g.philoxWords(1, ctr as [number, number, number, number], key as [number, number]);
    expect(Array.from(words)).toEqual(want);
  });

  it('GPU counters advance like the CPU generator for 1,000 consecutive counters', async () => {
    const g = await gpu();
    const words = await g.philoxWords(1000, [5, 6, 7, 8], [9, 10]);
    for (const i of [0, 1, 2, 499, 998, 999]) expect(Array.from(words.subarray(i * 4, i * 4 + 4))).toEqual(Array.from(philox4x32([5 + i, 6, 7, 8], [9, 10])));
  });

  it.each([[1, 0.5], [7, 0.9], [1031, 0.5], [4097, 0.25], [50_000, 0.999]])('n=%i keep=%f: the same mask and scale as the CPU twin', async (n, keep) => {
    const out = await twin(`dropout n=${n}`, [rand(n, n)], (be, [x]) => be.dropout(x, { keep, seed: 42, step: 3, stream: 1 }), { atol: 1e-6, rtol: 1e-6 });
    if (n >= 1000) {
      const kept = dropoutMask(n, keep, 42, 3, 1).reduce((s, v) => s + v, 0) / n;
      expect(Math.abs(kept - keep)).toBeLessThan(4 * Math.sqrt((keep * (1 - keep)) / n) + 1e-9);
      expect(out.filter((v) => v !== 0).length).toBe(Math.round(kept * n));
    }
  });

  it('masks differ across seed, step and stream, and repeat for the same key', async () => {
    const base = dropoutMask(4096, 0.5, 1, 1, 1);
    expect(dropoutMask(4096, 0.5, 1, 1, 1)).toEqual(base);
    for (const m of [dropoutMask(4096, 0.5, 2, 1, 1), dropoutMask(4096, 0.5, 1, 2, 1), dropoutMask(4096, 0.5, 1, 1, 2)]) {
      const same = m.reduce((s, v, i) => s + (v === base[i] ? 1 : 0), 0);
      expect(same / 4096).toBeLessThan(0.6);
    }
  });

  it('rejects keep outside (0, 1] and seeds that are not u32', () => {
    const x = cpu.upload([1, 2]);
    expect(() => cpu.dropout(x, { keep: 0, seed: 1, step: 0, stream: 0 })).toThrow('dropout: keep probability must be in (0, 1], got 0');
    expect(() => cpu.dropout(x, { keep: 0.5, seed: -1, step: 0, stream: 0 })).toThrow(/seed must be an integer in \[0, 2\^32\), got -1/);
  });
});
