// The hardware-GPU matmul (shaders/matmul-large.wgsl) against its CPU twin, forced on this adapter through the
// backend's matmulOverride: both entry points (`general`: scalar checked loads for any shape; `vectorized`: vec4
// loads, with bounds checks or, for shapes that are multiples of the tiles, without), every tile shape the heuristic
// or the tuner may pick, transposes, batches with either operand broadcast, shared and per-batch bias with each
// activation, and sizes that are 1, prime, or one past a tile. Plus the choice itself: which kernel, entry point and
// override constants planMatmul gives a hardware or software device, and the errors for tiles a device cannot run.
import { afterEach, describe, expect, it } from 'vitest';
import type { Activation, MatmulSpec } from '../src/backend/backend.ts';
import { LARGE_TILES, chooseLargeTiles, planMatmul, type MatmulDevice, type MatmulTiles } from '../src/backend/webgpu/matmul-config.ts';
import { cpu, gpu, rand, twin } from './helpers/backends.ts';

const T128: MatmulTiles = LARGE_TILES[0]; // 128 × 128 × 8, 8 × 8 per thread
const T64: MatmulTiles = { TILE_M: 64, TILE_N: 64, TILE_K: 8, WPT_M: 4, WPT_N: 4 };
// Not square, 8 × 4 per thread, TILE_K = 16 (two vec4s of k per staged unit): one compile covers all three.
const MIXED: MatmulTiles = { TILE_M: 128, TILE_N: 64, TILE_K: 16, WPT_M: 8, WPT_N: 4 };
// 16 invocations per workgroup, one vec4 of k per K-tile: SwiftShader runs 66,000 such workgroups in seconds.
const T16: MatmulTiles = { TILE_M: 16, TILE_N: 16, TILE_K: 4, WPT_M: 4, WPT_N: 4 };

async function check(spec: MatmulSpec, tiles: MatmulTiles, entry?: 'general' | 'vectorized', checked?: boolean, seed = 1) {
  const g = await gpu();
  g.matmulOverride = { kernel: 'large', tiles };
  const plan = planMatmul(spec, g.matmulDevice, g.matmulOverride);
  expect(plan.shader).toBe('matmul-large');
  if (entry) expect(plan.entry, JSON.stringify(spec)).toBe(entry);
  if (checked !== undefined) expect(plan.constants.CHECKED, JSON.stringify(spec)).toBe(checked ? 1 : 0);
  const aLen = (spec.batchA === false ? 1 : spec.batch) * spec.m * spec.k;
  const bLen = (spec.batchB === false ? 1 : spec.batch) * spec.k * spec.n;
  const inputs = [rand(aLen, seed), rand(bLen, seed + 1)];
  if (spec.bias) inputs.push(rand((spec.batchBias ? spec.batch : 1) * spec.n, seed + 2));
  const tol = { atol: 8e-5 * Math.sqrt(spec.k), rtol: 1e-4 };
  return twin(`large ${JSON.stringify({ ...spec, bias: !!spec.bias, tiles })}`, inputs, (be, [a, b, bias]) => be.matmul(a, b, { ...spec, bias }), tol);
}

afterEach(async () => {
  (await gpu()).matmulOverride = null;
});

describe('matmul, large kernel: awkward shapes (general entry, scalar checked loads)', () => {
  it.each([[1, 1, 1], [1, 7, 1], [7, 1, 1], [67, 131, 45], [129, 257, 130], [3, 5, 129]])('m=%i k=%i n=%i, 128×128 and 64×64 tiles', async (m, k, n) => {
    await check({ batch: 1, m, k, n }, T128, 'general');
    await check({ batch: 1, m, k, n }, T64, 'general');
  });

  it.each([[false, true], [true, false], [true, true]])('transA=%s transB=%s on 67×131×45 and 129×257×130', async (transA, transB) => {
    await check({ batch: 1, m: 67, k: 131, n: 45, transA, transB }, T128, 'general');
    await check({ batch: 1, m: 129, k: 257, n: 130, transA, transB }, MIXED, 'general');
  });

  it('batch 3 with A broadcast, B broadcast (transposed), per-batch bias + relu', async () => {
    await check({ batch: 3, m: 67, k: 31, n: 45, batchA: false }, T64, 'general');
    await check({ batch: 3, m: 67, k: 31, n: 45, batchB: false, transB: true }, MIXED, 'general');
    await check({ batch: 3, m: 33, k: 17, n: 65, bias: cpu.zeros(1), batchBias: true, activation: 'relu' }, T128, 'general');
  });

  it.each(['relu', 'sigmoid', 'tanh'] as Activation[])('shared bias + %s epilogue', async (activation) => {
    await check({ batch: 1, m: 19, k: 23, n: 11, bias: cpu.zeros(1), activation }, T64, 'general');
  });
});

describe('matmul, large kernel: vec4 loads (K and N multiples of 4)', () => {
  it('bounds-checked: edges of every tile shape, transposes', async () => {
    await check({ batch: 1, m: 67, k: 132, n: 44 }, T128, 'vectorized', true);
    await check({ batch: 1, m: 129, k: 260, n: 132 }, MIXED, 'vectorized', true);
    await check({ batch: 1, m: 1, k: 4, n: 4 }, MIXED, 'vectorized', true);
    await check({ batch: 1, m: 68, k: 36, n: 132, transA: true }, T64, 'vectorized', true);
    await check({ batch: 1, m: 67, k: 36, n: 132, transB: true }, T128, 'vectorized', true);
    await check({ batch: 1, m: 68, k: 36, n: 132, transA: true, transB: true }, MIXED, 'vectorized', true);
    // A transposed with M not a multiple of 4: its rows cannot be read as vec4.
    await check({ batch: 1, m: 67, k: 36, n: 132, transA: true }, T64, 'general');
  });

  it('batches: broadcast operands, per-batch bias, activation', async () => {
    await check({ batch: 3, m: 70, k: 40, n: 68, batchA: false, bias: cpu.zeros(1), batchBias: true, activation: 'sigmoid' }, T64, 'vectorized', true);
    await check({ batch: 3, m: 70, k: 40, n: 68, batchB: false, transB: true, bias: cpu.zeros(1), activation: 'tanh' }, T128, 'vectorized', true);
  });

  it('aligned shapes run without bounds checks (CHECKED = false)', async () => {
    await check({ batch: 1, m: 128, k: 64, n: 128 }, T128, 'vectorized', false);
    await check({ batch: 1, m: 256, k: 128, n: 64 }, T64, 'vectorized', false);
    await check({ batch: 1, m: 256, k: 64, n: 128 }, MIXED, 'vectorized', false);
    await check({ batch: 1, m: 128, k: 64, n: 128, transA: true, transB: true }, MIXED, 'vectorized', false);
    await check({ batch: 2, m: 128, k: 32, n: 128, batchA: false, bias: cpu.zeros(1), batchBias: true, activation: 'relu' }, T128, 'vectorized', false);
    // K one K-tile short of aligned keeps the checks.
    await check({ batch: 1, m: 128, k: 68, n: 128 }, T128, 'vectorized', true);
  });

  it('the study layers: 100×1024×2000 forward, dW = Xᵀ·dz, dX = dz·Wᵀ', async () => {
    await check({ batch: 1, m: 100, k: 1024, n: 200 }, T64, 'vectorized', true);
    await check({ batch: 1, m: 1024, k: 100, n: 200, transA: true }, T128, 'vectorized', true);
    await check({ batch: 1, m: 100, k: 200, n: 1024, transB: true }, T128, 'vectorized', true);
  });

  it('more than 65,535 workgroups (ids folded into x and y)', async () => {
    const g = await gpu();
    const spec = { batch: 66_000, m: 1, k: 4, n: 4 };
    expect(planMatmul(spec, g.matmulDevice, { kernel: 'large', tiles: T16 }).workgroups).toBeGreaterThan(65_535);
    await check(spec, T16, 'vectorized', true);
  });
});

describe('matmul, large kernel: the choice', () => {
  const gpuDev: MatmulDevice = { software: false, subgroupSize: 32, maxWorkgroupStorage: 49152, maxInvocations: 1024 };

  it('a hardware GPU gets the large kernel from 64 × 64 outputs, the tiled one for thinner ones', () => {
    expect(planMatmul({ batch: 1, m: 8192, k: 8192, n: 8192 }, gpuDev)).toMatchObject({ kernel: 'large', entry: 'vectorized', constants: { ...T128, CHECKED: 0 } });
    expect(planMatmul({ batch: 1, m: 1000, k: 1000, n: 1000 }, gpuDev)).toMatchObject({ kernel: 'large', entry: 'vectorized', constants: { CHECKED: 1 } });
    expect(planMatmul({ batch: 1, m: 999, k: 999, n: 999 }, gpuDev)).toMatchObject({ kernel: 'large', entry: 'general' });
    expect(planMatmul({ batch: 1, m: 100, k: 1024, n: 50 }, gpuDev).kernel).toBe('tiled');
    expect(planMatmul({ batch: 1, m: 1024, k: 100, n: 50, transA: true }, gpuDev).kernel).toBe('tiled');
  });

  it('tiles shrink until the product gives enough workgroups to fill a large GPU', () => {
    expect(chooseLargeTiles({ batch: 1, m: 2048, n: 2048 }, gpuDev)).toEqual(T128);
    expect(chooseLargeTiles({ batch: 1, m: 1024, n: 1024 }, gpuDev)).toEqual(LARGE_TILES[3]);
    expect(chooseLargeTiles({ batch: 4, m: 1024, n: 1024 }, gpuDev)).toEqual(T128);
    expect(chooseLargeTiles({ batch: 1, m: 2048, n: 1024 }, gpuDev)).toEqual(LARGE_TILES[1]);
  });

  it('a software adapter keeps the register kernels at every size', () => {
    for (const s of [64, 256, 1024, 8192]) {
      expect(planMatmul({ batch: 1, m: s, k: s, n: s }, { software: true, subgroupSize: 4 }).kernel).toBe('subgroup');
      expect(planMatmul({ batch: 1, m: s, k: s, n: s }, { software: true, subgroupSize: null }).kernel).toBe('blocked');
    }
  });

  it('tiles a device cannot run are refused, naming the limit', () => {
    const small: MatmulDevice = { software: false, subgroupSize: null };
    const big = { TILE_M: 128, TILE_N: 128, TILE_K: 16, WPT_M: 8, WPT_N: 8 };
    expect(() => planMatmul({ batch: 1, m: 256, k: 256, n: 256 }, small, { kernel: 'large', tiles: big })).toThrow(/32768 bytes of workgroup memory .* exceed the device's 16384/);
    expect(planMatmul({ batch: 1, m: 256, k: 256, n: 256 }, gpuDev, { kernel: 'large', tiles: big }).kernel).toBe('large');
    expect(() => planMatmul({ batch: 1, m: 256, k: 256, n: 256 }, small, { kernel: 'large', tiles: { ...T128, WPT_M: 4, WPT_N: 4 } })).toThrow(/1024 invocations per workgroup exceed the device's 256/);
    expect(() => planMatmul({ batch: 1, m: 256, k: 256, n: 256 }, gpuDev, { kernel: 'large', tiles: { ...T128, WPT_M: 6 } })).toThrow(/WPT_M and WPT_N must be 4 or 8/);
    expect(() => planMatmul({ batch: 1, m: 256, k: 256, n: 256 }, gpuDev, { kernel: 'large', tiles: { ...T128, TILE_K: 6 } })).toThrow(/TILE_K must be a multiple of 4/);
    expect(() => planMatmul({ batch: 1, m: 256, k: 256, n: 256 }, gpuDev, { kernel: 'large', tiles: { ...T64, TILE_K: 256 } })).toThrow(/would stage 16 vec4s of a K-tile/);
  });
});
