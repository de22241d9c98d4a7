// The three older matmul kernels (shaders/matmul.wgsl tiled, matmul-blocked.wgsl, matmul-subgroup.wgsl) against their
// CPU twin (the large kernel has its own file, kernels-matmul-large.test.ts): transposes, batches, broadcast operands,
// bias + activation epilogue, shapes that are 1, prime, or not multiples of any tile or block, the subgroup kernel's
// aligned (vec4) path, and more than 65,535 workgroups.
import { afterEach, describe, expect, it } from 'vitest';
import type { Activation, MatmulSpec } from '../src/backend/backend.ts';
import { matmulKernels, planMatmul, type MatmulKernel } from '../src/backend/webgpu/matmul-config.ts';
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

const KERNELS: MatmulKernel[] = ['tiled', 'blocked', 'subgroup'];

describe.each(KERNELS)('matmul, %s kernel', (kernel) => {
  async function use(): Promise<boolean> {
    const g = await gpu();
    if (!matmulKernels(g.matmulDevice).includes(kernel)) {
      // Without subgroups of 4 the kernel must refuse, naming what it needs.
      expect(() => planMatmul({ batch: 1, m: 1, k: 1, n: 1 }, g.matmulDevice, { kernel })).toThrow(/needs subgroups of size 4/);
      expect(/swiftshader/i.test(JSON.stringify(g.info))).toBe(false);
      return false;
    }
    g.matmulOverride = { kernel };
    return true;
  }
  afterEach(async () => {
    (await gpu()).matmulOverride = null;
  });

  it.each(shapes)('C = A·B for m=%i k=%i n=%i', async (m, k, n) => {
    if (await use()) await check({ batch: 1, m, k, n });
  });

  it.each([[false, true], [true, false], [true, true]])('transA=%s transB=%s on 7×13×29 and 33×17×65', async (transA, transB) => {
    if (!(await use())) return;
    await check({ batch: 1, m: 7, k: 13, n: 29, transA, transB });
    await check({ batch: 1, m: 33, k: 17, n: 65, transA, transB });
  });

  it.each(['relu', 'sigmoid', 'tanh'] as Activation[])('bias + %s epilogue', async (activation) => {
    if (await use()) await check({ batch: 1, m: 19, k: 23, n: 11, bias: cpu.zeros(1), activation });
  });

  it('batched products with per-batch bias, one operand broadcast', async () => {
    if (!(await use())) return;
    await check({ batch: 5, m: 9, k: 31, n: 3, bias: cpu.zeros(1), batchBias: true, activation: 'relu' });
    await check({ batch: 4, m: 6, k: 10, n: 7, batchA: false });
    await check({ batch: 3, m: 6, k: 10, n: 7, batchB: false, transB: true });
  });

  it('K and N multiples of 4 (the subgroup kernel reads rows as vec4): edges, batches, bias', async () => {
    if (!(await use())) return;
    await check({ batch: 1, m: 1, k: 4, n: 4 });
    await check({ batch: 1, m: 13, k: 12, n: 20, bias: cpu.zeros(1), activation: 'relu' });
    await check({ batch: 3, m: 10, k: 36, n: 44, batchA: false, bias: cpu.zeros(1), batchBias: true });
    await check({ batch: 2, m: 9, k: 8, n: 12, batchB: false });
  });

  it('a batch of 70,001 1×1 products', async () => {
    if (!(await use())) return;
    const out = await check({ batch: 70001, m: 1, k: 2, n: 1 });
    expect(out.length).toBe(70001);
  });

  it('more than 65,535 workgroups (ids folded into x and y)', async () => {
    if (!(await use())) return;
    const g = await gpu();
    // The register kernels put up to 64 blocks in a workgroup; forced down to 4 (each subgroup lane owns a block,
    // padded to 4 per block row), 66,000 (subgroup) or 263,000 (blocked) blocks get past 65,535.
    const spec = { batch: kernel === 'blocked' ? 263_000 : 66_000, m: 1, k: 3, n: 5 };
    if (kernel !== 'tiled') g.matmulOverride = { kernel, workgroupSize: 4 };
    expect(planMatmul(spec, g.matmulDevice, g.matmulOverride).workgroups).toBeGreaterThan(65_535);
    await check(spec);
  });

  it('the book layer: 100×1024 by 1024×50, bias and relu', async () => {
    if (await use()) await check({ batch: 1, m: 100, k: 1024, n: 50, bias: cpu.zeros(1), activation: 'relu' });
  });
});

describe('matmul choice and errors', () => {
  it('a software adapter gets a register kernel, with vec4 rows only when aligned', async () => {
    const dev = { software: true, subgroupSize: 4 };
    expect(planMatmul({ batch: 1, m: 64, k: 64, n: 64 }, dev).entry).toBe('aligned');
    expect(planMatmul({ batch: 1, m: 64, k: 64, n: 50 }, dev).entry).toBe('general');
    expect(planMatmul({ batch: 1, m: 64, k: 64, n: 64, transA: true }, dev).entry).toBe('general');
    expect(planMatmul({ batch: 1, m: 64, k: 64, n: 64 }, { software: true, subgroupSize: null }).kernel).toBe('blocked');
    // A hardware GPU: the tiled kernel for thin outputs, the large one (shaders/matmul-large.wgsl) from 64 × 64.
    expect(planMatmul({ batch: 1, m: 100, k: 1024, n: 50 }, { software: false, subgroupSize: 32 }).kernel).toBe('tiled');
    expect(planMatmul({ batch: 1, m: 64, k: 64, n: 64 }, { software: false, subgroupSize: 32 }).kernel).toBe('large');
    expect(() => planMatmul({ batch: 1, m: 1, k: 1, n: 1 }, dev, { kernel: 'blocked', workgroupSize: 6 })).toThrow(/multiple of 4/);
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
