// shaders/reduce.wgsl against its CPU twin, planned as for a hardware adapter (workgroup trees past 64) and as for a
// software one (serial loops only): sum and mean over each axis of [outer, axis, inner], everything, long axes that
// take the two-pass path, and more than 65,535 outputs.
import { afterEach, describe, expect, it } from 'vitest';
import { planReduce } from '../src/backend/webgpu/reduce-config.ts';
import { gpu, rand, twin } from './helpers/backends.ts';

const cases: [number, number, number][] = [
  [5, 64, 3], [4, 65, 2], // either side of the hardware plan's one-thread-per-output path
  [1, 1, 1], [1, 7, 1], [7, 1, 1], [1, 13, 29], [29, 13, 1], [3, 257, 5], [1, 100, 50], [1, 6264, 1], [2, 9001, 3], [1, 65537, 1],
];

describe.each(['hardware', 'software'] as const)('reduce, planned for a %s adapter', (plan) => {
  afterEach(async () => {
    (await gpu()).reduceOverride = null;
  });
  const use = async () => {
    (await gpu()).reduceOverride = plan;
  };

  it.each(cases)('sum over axis of [%i, %i, %i]', async (o, a, i) => {
    await use();
    await twin(`sum [${o},${a},${i}]`, [rand(o * a * i, a)], (be, [x]) => be.reduce('sum', x, o, a, i), { atol: 1e-5 * Math.sqrt(a), rtol: 1e-5 });
  });

  it.each(cases)('mean over axis of [%i, %i, %i]', async (o, a, i) => {
    await use();
    await twin(`mean [${o},${a},${i}]`, [rand(o * a * i, a + 1)], (be, [x]) => be.reduce('mean', x, o, a, i), { atol: 1e-6, rtol: 1e-5 });
  });

  it('row sums of 70,001 rows: more than 65,535 outputs (workgroups in the hardware plan)', async () => {
    await use();
    const out = await twin('sum rows', [rand(70001 * 65, 3)], (be, [x]) => be.reduce('sum', x, 70001, 65, 1), { atol: 1e-5, rtol: 1e-5 });
    expect(out.length).toBe(70001);
  });

  it('sum of everything equals the exact sum of small integers', async () => {
    await use();
    const g = await gpu();
    const n = 100_003;
    const x = g.upload(Float32Array.from({ length: n }, (_, i) => i % 7));
    const s = await g.read(g.reduce('sum', x, 1, n, 1));
    let exact = 0;
    for (let i = 0; i < n; i++) exact += i % 7;
    expect(s[0]).toBe(exact);
  });

  it('the plan: a tree only on hardware, two passes for long axes', () => {
    const entries = (o: number, a: number, i: number) => planReduce(o, a, i, plan === 'software').map((p) => `${p.entry}/${p.chunks}`);
    expect(entries(1, 100, 50)).toEqual(plan === 'software' ? ['serial/1'] : ['tree/1']);
    expect(entries(1, 65537, 1)).toEqual(plan === 'software' ? ['serial/65', 'serial/1'] : ['tree/65', 'tree/1']);
  });
});

describe('reduce errors', () => {
  it('a wrong view names the op and the shape', async () => {
    const g = await gpu();
    const x = g.upload(rand(10, 1));
    expect(() => g.reduce('mean', x, 2, 3, 2)).toThrow('mean: x [2, 3, 2] has 10 elements, expected 12');
    expect(() => g.reduce('sum', x, 0, 10, 1)).toThrow('sum: outer must be an integer ≥ 1, got 0');
  });
});
