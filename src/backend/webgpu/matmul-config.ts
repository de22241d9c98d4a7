/**
 * The one place that decides how a matmul runs, from the shapes and the device (as tfjs's BatchMatMul_impl picks
 * its variant). Four kernels share one uniform block and binding layout:
 *   tiled     shaders/matmul.wgsl           32 × 32 tiles in workgroup memory, ≤ 4 × 4 per thread: thin outputs on GPUs
 *   large     shaders/matmul-large.wgsl     64-128² tiles, 8 × 8 per thread, vec4, double-buffered: the GPU design
 *   blocked   shaders/matmul-blocked.wgsl   an 8 × 8 block per invocation in registers, no workgroup memory
 *   subgroup  shaders/matmul-subgroup.wgsl  blocked, with A's rows shared by the 4 lanes of a subgroup
 * On SwiftShader (2 cores, `npm run bench -- --filter matmul`), 256-1024² products ran at ~0.15-0.3 GFLOP/s tiled,
 * ~5-6 blocked, ~7-8 subgroup (vec4 loads add ~15 % on top of scalar ones): a software adapter gets the register
 * kernels. On an NVIDIA H200 the tiled kernel reached 7.3 TFLOP/s at 8192² against tfjs-webgpu's 18.4, and the same
 * kernel with 128 × 128 tiles 16.2 at 2048² (../shared/gpu/README.md): a hardware GPU gets the large kernel whenever
 * the output is at least 64 × 64, with the largest tile that still yields enough workgroups to fill the chip, and the
 * tiled kernel for thin outputs (a layer's 1-50 units) where a 64-wide tile would be mostly padding.
 * Measured winners (`shadergrad bench --tune`, src/backend/webgpu/matmul-tune.ts) replace that heuristic per shape
 * class when the device carries them (`MatmulDevice.tuned`); a forced choice (tests, benchmark) replaces both.
 * Tile sizes are `override` constants of the shaders, checked here against the device's limits.
 */
import type { MatmulSpec } from '../backend.ts';
import type { Constants } from '../../gpu/pipeline-cache.ts';

export type MatmulKernel = 'tiled' | 'blocked' | 'subgroup' | 'large';

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
  /** maxComputeWorkgroupStorageSize in bytes; WebGPU's default (16,384) when absent. */
  maxWorkgroupStorage?: number;
  /** maxComputeInvocationsPerWorkgroup; WebGPU's default (256) when absent. */
  maxInvocations?: number;
  /** Choices measured on this adapter per shape class (matmul-tune.ts); preferred to the heuristic when present. */
  tuned?: TunedMatmul | null;
}

/**
 * Shape classes the tuner measures and planMatmul looks winners up by: thin outputs (min(m, n) < 64: a layer's few
 * units, a tall-skinny product), shallow products (k < 64), then by work batch·m·n·k: small (< 2²⁸, up to ~645³),
 * medium (< 2³², 1024³ and the study's large layers), large (2048³ and up).
 */
export const MATMUL_CLASSES = ['thin', 'shallow', 'small', 'medium', 'large'] as const;
export type MatmulClass = (typeof MATMUL_CLASSES)[number];

/** A measured winner per shape class; classes without one use the heuristic. */
export type TunedMatmul = Partial<Record<MatmulClass, MatmulOverride>>;

export function matmulClass(s: Pick<MatmulSpec, 'batch' | 'm' | 'k' | 'n'>): MatmulClass {
  if (Math.min(s.m, s.n) < 64) return 'thin';
  if (s.k < 64) return 'shallow';
  const work = s.batch * s.m * s.n * s.k;
  return work < 2 ** 28 ? 'small' : work < 2 ** 32 ? 'medium' : 'large';
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
  return dev.subgroupSize === 4 ? ['tiled', 'large', 'blocked', 'subgroup'] : ['tiled', 'large', 'blocked'];
}

/** The heuristic's kernel for a shape on a device (no tuning, nothing forced). */
export function defaultMatmulKernel(s: Pick<MatmulSpec, 'm' | 'n'>, dev: MatmulDevice): MatmulKernel {
  if (dev.software) return dev.subgroupSize === 4 ? 'subgroup' : 'blocked';
  return Math.min(s.m, s.n) < 64 ? 'tiled' : 'large';
}

/**
 * The plan for one product: `force` (tests, benchmark) if given, else the tuned winner of the shape's class if the
 * device carries one, else the heuristic. A tuned winner this device cannot run (its limits changed since the tuning,
 * or the cache was edited) is skipped for the heuristic rather than failing every product.
 */
export function planMatmul(s: MatmulSpec, dev: MatmulDevice, force: MatmulOverride | null = null): MatmulPlan {
  if (!force && dev.tuned) {
    const won = dev.tuned[matmulClass(s)];
    if (won) {
      try {
        return planWith(s, dev, won);
      } catch {
        // fall through to the heuristic
      }
    }
  }
  return planWith(s, dev, force);
}

function planWith(s: MatmulSpec, dev: MatmulDevice, force: MatmulOverride | null): MatmulPlan {
  const kernel = force?.kernel ?? defaultMatmulKernel(s, dev);
  if (!matmulKernels(dev).includes(kernel)) {
    throw new RangeError(kernel === 'subgroup' ? `matmul kernel "${kernel}" needs subgroups of size 4; this device has ${dev.subgroupSize ?? 'none'}` : `unknown matmul kernel "${kernel}" (known: ${matmulKernels(dev).join(', ')})`);
  }
  if (kernel === 'large') {
    const t = force?.tiles ?? chooseLargeTiles(s, dev);
    checkLargeTiles(t, dev);
    const tilesM = Math.ceil(s.m / t.TILE_M), tilesN = Math.ceil(s.n / t.TILE_N);
    // vec4 loads need every row that is read as vec4 to start on a multiple of 4 (see the shader's header).
    const vec4 = s.k % 4 === 0 && s.n % 4 === 0 && (!s.transA || s.m % 4 === 0);
    const aligned = vec4 && s.m % t.TILE_M === 0 && s.n % t.TILE_N === 0 && s.k % t.TILE_K === 0;
    return {
      kernel, shader: 'matmul-large', entry: vec4 ? 'vectorized' : 'general',
      constants: vec4 ? { ...t, CHECKED: aligned ? 0 : 1 } : { ...t }, tilesM, tilesN, workgroups: tilesM * tilesN * s.batch,
    };
  }
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

/**
 * The large kernel's tiles, in the heuristic's order of preference: 128 × 128 with 8 × 8 per thread (256 threads,
 * 16 KiB of workgroup memory double-buffered), then halves of it, then 64 × 64 with 4 × 4 per thread (256 threads).
 * The first one giving at least LARGE_MIN_WORKGROUPS workgroups wins: ~2 per multiprocessor on the largest GPUs
 * (an H200 has 132), so big tiles never leave half the chip idle at 1024².
 */
export const LARGE_TILES: readonly MatmulTiles[] = [
  { TILE_M: 128, TILE_N: 128, TILE_K: 8, WPT_M: 8, WPT_N: 8 },
  { TILE_M: 128, TILE_N: 64, TILE_K: 8, WPT_M: 8, WPT_N: 8 },
  { TILE_M: 64, TILE_N: 128, TILE_K: 8, WPT_M: 8, WPT_N: 8 },
  { TILE_M: 64, TILE_N: 64, TILE_K: 8, WPT_M: 4, WPT_N: 4 },
];
const LARGE_MIN_WORKGROUPS = 256;

export function chooseLargeTiles(s: Pick<MatmulSpec, 'batch' | 'm' | 'n'>, dev: MatmulDevice): MatmulTiles {
  const fits = LARGE_TILES.filter((t) => largeTilesProblem(t, dev) === null);
  if (fits.length === 0) throw new RangeError(`no large-kernel tile fits this device: ${largeTilesProblem(LARGE_TILES[LARGE_TILES.length - 1], dev)}`);
  return fits.find((t) => Math.ceil(s.m / t.TILE_M) * Math.ceil(s.n / t.TILE_N) * s.batch >= LARGE_MIN_WORKGROUPS) ?? fits[fits.length - 1];
}

/** Staging registers (vec4s) per thread for a K-tile of A or B in the large kernel (MAX_LOADS in the shader). */
const LARGE_MAX_LOADS = 8;

/** vec4s one thread stages per K-tile of a TILE × TILE_K operand: 4 × 4 blocks along k, or single vec4s (shader). */
function stagedVec4s(tile: number, tk: number, threads: number): number {
  return Math.max(4 * Math.ceil((tile * tk) / 16 / threads), Math.ceil((tile * tk) / 4 / threads));
}

/** Why these tiles cannot run the large kernel on this device, or null if they can. */
export function largeTilesProblem(t: MatmulTiles, dev: MatmulDevice): string | null {
  const { TILE_M: tm, TILE_N: tn, TILE_K: tk, WPT_M: wm, WPT_N: wn } = t;
  if (![tm, tn, tk, wm, wn].every((v) => Number.isInteger(v) && v > 0)) return `tile sizes must be positive integers`;
  if ((wm !== 4 && wm !== 8) || (wn !== 4 && wn !== 8)) return `WPT_M and WPT_N must be 4 or 8 (one or two vec4s), got ${wm} and ${wn}`;
  if (tm % wm || tn % wn) return `WPT_M must divide TILE_M and WPT_N TILE_N, got ${tm}/${wm} and ${tn}/${wn}`;
  if (tk % 4) return `TILE_K must be a multiple of 4 (vec4 loads run along k), got ${tk}`;
  const threads = (tm / wm) * (tn / wn);
  const maxInv = dev.maxInvocations ?? 256;
  if (threads > maxInv) return `${threads} invocations per workgroup exceed the device's ${maxInv}`;
  const loads = Math.max(stagedVec4s(tm, tk, threads), stagedVec4s(tn, tk, threads));
  if (loads > LARGE_MAX_LOADS) return `each invocation would stage ${loads} vec4s of a K-tile, more than ${LARGE_MAX_LOADS}: use a smaller TILE_K or more invocations`;
  const bytes = 2 * (tm + tn) * tk * 4;
  const maxBytes = dev.maxWorkgroupStorage ?? 16384;
  if (bytes > maxBytes) return `${bytes} bytes of workgroup memory (two K-tiles of A and B) exceed the device's ${maxBytes}`;
  return null;
}

export function checkLargeTiles(t: MatmulTiles, dev: MatmulDevice): void {
  const why = largeTilesProblem(t, dev);
  if (why) throw new RangeError(`matmul large-kernel tiles ${JSON.stringify(t)}: ${why}`);
}

export function checkTiles(t: MatmulTiles): void {
  if (t.WPT_M > 4 || t.WPT_N > 4 || t.TILE_M % t.WPT_M || t.TILE_N % t.WPT_N) {
    throw new RangeError(`matmul tiles ${JSON.stringify(t)}: WPT must be ≤ 4 and divide its tile`);
  }
}
