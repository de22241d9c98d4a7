// shaders/matmul.wgsl against its CPU twin: transposes, batches, broadcast operands, bias + activation epilogue,
// shapes that are 1, prime, or not multiples of any tile, and a batch past 65,535 workgroups.
import { describe, expect, it } from 'vitest';
import type { Activation, MatmulSpec } from '../src/backend/backend.ts';
import { cpu, gpu, rand, twin } from './helpers/backends.ts';

function tolFor(k: number) {
  return { atol: 2e-5 * Math.sqrt(k) * 4, rtol: 1e-4 };
}

async function check(spec: MatmulSpec, seed = 1) {
  const aLen = (spec.batchA === false ? 1 : spec.batch) * spec.m * spec.k;
  const bLen = (spec.batchB === false ? 1 : spec.batch) * spec.k * spec.n;
  const inputs = [rand(aLen, seed), rand(bLen, seed + 1)];
  if (spec.bias) inputs.push(rand((spec.batchBias ? spec.batch : 1) * spec.n, seed + 2));
  return twin(`matmul ${JSON.stringify({ ...spec, bias: !!spec.bias })}`, inputs, (be, [a, b, bias]) => be.matmul(a, b, { ...spec, bias }), tolFor(spec.k));
}

const shapes: [number, number, number][] = [
  [1, 1, 1], [1, 7, 1], [7, 1, 1], [1, 1, 9], [1, 13, 29], [29, 13, 1], [7, 13, 29], [33, 17, 65], [64, 64, 64], [100, 129, 50], [3, 257, 5],
];

describe('matmul', () => {
  it.each(shapes)('C = A·B for m=%i k=%i n=%i', async (m, k, n) => {
    await check({ batch: 1, m, k, n });
  });

  it.each([[false, true], [true, false], [true, true]])('transA=%s transB=%s on 7×13×29 and 33×17×65', async (transA, transB) => {
    await check({ batch: 1, m: 7, k: 13, n: 29, transA, transB });
    await check({ batch: 1, m: 33, k: 17, n: 65, transA, transB });
  });

  it.each(['relu', 'sigmoid', 'tanh'] as Activation[])('bias + %s epilogue', async (activation) => {
    await check({ batch: 1, m: 19, k: 23, n: 11, bias: cpu.zeros(1), activation });
  });

  it('batched products with per-batch bias, one operand broadcast', async () => {
    await check({ batch: 5, m: 9, k: 31, n: 3, bias: cpu.zeros(1), batchBias: true, activation: 'relu' });
    await check({ batch: 4, m: 6, k: 10, n: 7, batchA: false });
    await check({ batch: 3, m: 6, k: 10, n: 7, batchB: false, transB: true });
  });

  it('a batch of 70,001 1×1 products needs more than 65,535 workgroups', async () => {
    const out = await check({ batch: 70001, m: 1, k: 2, n: 1 });
    expect(out.length).toBe(70001);
  });

  it('the book layer: 100×1024 by 1024×50, bias and relu', async () => {
    await check({ batch: 1, m: 100, k: 1024, n: 50, bias: cpu.zeros(1), activation: 'relu' });
  });

  it('a shape mismatch names the op and both shapes', async () => {
    const g = await gpu();
    const a = g.upload(rand(6, 1)), b = g.upload(rand(10, 2));
    expect(() => g.matmul(a, b, { batch: 1, m: 2, k: 3, n: 4 })).toThrow(/matmul: A has 6 elements and B 10; the spec needs A 1×2×3 = 6 and B 1×3×4 = 12/);
    expect(() => g.matmul(a, b, { batch: 1, m: 2, k: NaN, n: 4 })).toThrow(/matmul: k must be an integer ≥ 1, got NaN/);
    expect(() => cpu.matmul(cpu.upload([1]), cpu.upload([1]), { batch: 1, m: 1, k: 1, n: 1, bias: cpu.upload([1, 2]) })).toThrow(/bias has 2 elements, expected 1/);
    g.release(a);
    g.release(b);
  });
});
