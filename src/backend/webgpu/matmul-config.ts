/**
 * The one place that decides how a matmul runs, from the shapes and the device (as tfjs's BatchMatMul_impl picks
 * its variant). Three kernels share one uniform block and binding layout:
 *   tiled     shaders/matmul.wgsl           tiles in workgroup memory, a register block per thread: the GPU design
 *   blocked   shaders/matmul-blocked.wgsl   an 8 × 8 block per invocation in registers, no workgroup memory
 *   subgroup  shaders/matmul-subgroup.wgsl  blocked, with A's rows shared by the 4 lanes of a subgroup
 * On SwiftShader (2 cores, `npm run bench -- --filter matmul`), 256-1024² products ran at ~0.15-0.3 GFLOP/s tiled,
 * ~5-6 blocked, ~7-8 subgroup (vec4 loads add ~15 % on top of scalar ones). A software adapter gets the register
 * kernels; a hardware GPU keeps the tiled one, whose tile sizes are `override` constants chosen below.
 */
import type { MatmulSpec } from '../backend.ts';
import type { Constants } from '../../gpu/pipeline-cache.ts';

export type MatmulKernel = 'tiled' | 'blocked' | 'subgroup';

export interface MatmulTiles {
  TILE_M: number;
  TILE_N: number;
  TILE_K: number;
  WPT_M: number;
  WPT_N: number;
}

/** What the choice depends on besides the shapes. */
export interface MatmulDevice {
  /** A CPU emulation (SwiftShader, lavapipe, WARP): loads are gathers, barriers are costly. */
  software: boolean;
  /** The subgroup size when the device has subgroups of one fixed size, else null. */
  subgroupSize: number | null;
}

/** A forced choice, for the tests (every kernel on every shape) and the benchmark's comparisons. */
export interface MatmulOverride {
  kernel?: MatmulKernel;
  tiles?: MatmulTiles;
  /** Invocations per workgroup of the register kernels (a multiple of 4). */
  workgroupSize?: number;
}

export interface MatmulPlan {
  kernel: MatmulKernel;
  shader: string;
  entry: string;
  constants: Constants;
  /** Blocks of C along M and N (the uniforms tilesM, tilesN). */
  tilesM: number;
  tilesN: number;
  workgroups: number;
}

/** The register kernels' block of C per invocation. */
const BLOCK = 8;

/** Kernels this device can run: `subgroup` needs subgroups of exactly 4 (lanes are paired with block columns). */
export function matmulKernels(dev: MatmulDevice): MatmulKernel[] {
  return dev.subgroupSize === 4 ? ['tiled', 'blocked', 'subgroup'] : ['tiled', 'blocked'];
}

export function planMatmul(s: MatmulSpec, dev: MatmulDevice, force: MatmulOverride | null = null): MatmulPlan {
  const kernel = force?.kernel ?? (dev.software ? (dev.subgroupSize === 4 ? 'subgroup' : 'blocked') : 'tiled');
  if (!matmulKernels(dev).includes(kernel)) throw new RangeError(`matmul kernel "${kernel}" needs subgroups of size 4; this device has ${dev.subgroupSize ?? 'none'}`);
  if (kernel === 'tiled') {
    const t = force?.tiles ?? chooseMatmulTiles(s.m, s.n, s.k);
    checkTiles(t);
    const tilesM = Math.ceil(s.m / t.TILE_M), tilesN = Math.ceil(s.n / t.TILE_N);
    return { kernel, shader: 'matmul', entry: 'main', constants: { ...t }, tilesM, tilesN, workgroups: tilesM * tilesN * s.batch };
  }
  const tilesM = Math.ceil(s.m / BLOCK), tilesN = Math.ceil(s.n / BLOCK);
  // Subgroup lanes come in fours along N, so a block row is padded to a multiple of 4 blocks.
  const invocations = s.batch * tilesM * (kernel === 'subgroup' ? Math.ceil(tilesN / 4) * 4 : tilesN);
  // A workgroup runs on one CPU thread: small products are split finer so every thread gets some.
  const WG = force?.workgroupSize ?? (invocations >= 1024 ? 64 : 16);
  if (!Number.isInteger(WG) || WG < 4 || WG % 4 !== 0) throw new RangeError(`matmul workgroup size must be a multiple of 4 (subgroups of 4 must not straddle workgroups), got ${WG}`);
  const workgroups = Math.ceil(invocations / WG);
  if (kernel === 'blocked') return { kernel, shader: 'matmul-blocked', entry: 'main', constants: { WG }, tilesM, tilesN, workgroups };
  const aligned = !s.transA && !s.transB && s.k % 4 === 0 && s.n % 4 === 0;
  return { kernel, shader: 'matmul-subgroup', entry: aligned ? 'aligned' : 'general', constants: { WG }, tilesM, tilesN, workgroups };
}

export function chooseMatmulTiles(m: number, n: number, _k: number): MatmulTiles {
  // A thin output (a layer's 1-50 units, or a gradient of a few rows) wastes most of a 32-wide tile.
  const tm = m <= 8 ? 8 : m <= 16 ? 16 : 32;
  const tn = n <= 8 ? 8 : n <= 16 ? 16 : 32;
  return { TILE_M: tm, TILE_N: tn, TILE_K: 16, WPT_M: Math.min(4, tm / 8 * 2), WPT_N: Math.min(4, tn / 8 * 2) };
}

export function checkTiles(t: MatmulTiles): void {
  if (t.WPT_M > 4 || t.WPT_N > 4 || t.TILE_M % t.WPT_M || t.TILE_N % t.WPT_N) {
    throw new RangeError(`matmul tiles ${JSON.stringify(t)}: WPT must be ≤ 4 and divide its tile`);
  }
}
