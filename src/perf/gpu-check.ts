/**
 * Correctness on the adapter at hand, before any timing (src/perf/gpu-entry.ts runs it first on a GPU machine):
 * every matmul kernel and tile configuration the library may pick there — the large kernel's heuristic tiles, the
 * tuned winners, the tiled and blocked kernels — against the CPU backend on awkward shapes (1×1×1, primes, one past a
 * tile, transposes, a batch with a broadcast operand and per-batch bias + relu, aligned shapes on the unchecked vec4
 * path, K long enough for hundreds of double-buffered K-tiles). Why here and not only in the tests: the tests run on
 * SwiftShader, whose lockstep execution of a workgroup can hide a missing barrier or a race that a GPU exposes.
 */
import type { Backend, MatmulSpec, Storage } from '../backend/backend.ts';
import { CpuBackend } from '../backend/cpu/cpu-backend.ts';
import { LARGE_TILES, largeTilesProblem, matmulKernels, type MatmulOverride } from '../backend/webgpu/matmul-config.ts';
import { choiceLabel } from '../backend/webgpu/matmul-tune.ts';
import type { WebGpuBackend } from '../backend/webgpu/webgpu-backend.ts';
import { Rng } from '../random/rng.ts';

export interface CheckRow {
  config: string;
  shape: string;
  ok: boolean;
  /** Largest |gpu − cpu| − tolerance over the output (≤ 0 when ok). */
  worstExcess: number;
  error?: string;
}

type Case = Omit<MatmulSpec, 'bias'> & { bias?: boolean };

export const CHECK_CASES: Case[] = [
  { batch: 1, m: 1, k: 1, n: 1 },
  { batch: 1, m: 67, k: 131, n: 45 },
  { batch: 1, m: 129, k: 257, n: 130, transA: true },
  { batch: 1, m: 129, k: 257, n: 130, transB: true },
  { batch: 3, m: 67, k: 31, n: 45, batchA: false, bias: true, batchBias: true, activation: 'relu' },
  { batch: 1, m: 300, k: 516, n: 260, bias: true, activation: 'tanh' },
  { batch: 2, m: 256, k: 128, n: 256, batchB: false, transA: true, transB: true },
  { batch: 1, m: 512, k: 2048, n: 512 },
];

export function checkConfigs(g: WebGpuBackend): MatmulOverride[] {
  const dev = g.matmulDevice;
  const out: MatmulOverride[] = [{ kernel: 'tiled' }, { kernel: 'blocked' }];
  if (matmulKernels(dev).includes('subgroup')) out.push({ kernel: 'subgroup' });
  const more = [
    { TILE_M: 128, TILE_N: 128, TILE_K: 16, WPT_M: 8, WPT_N: 8 }, { TILE_M: 64, TILE_N: 128, TILE_K: 8, WPT_M: 4, WPT_N: 8 },
    { TILE_M: 128, TILE_N: 128, TILE_K: 8, WPT_M: 4, WPT_N: 8 },
  ];
  for (const t of [...LARGE_TILES, ...more]) {
    if (largeTilesProblem(t, dev) === null) out.push({ kernel: 'large', tiles: t });
  }
  for (const w of Object.values(dev.tuned ?? {})) if (w && !out.some((o) => choiceLabel(o) === choiceLabel(w))) out.push(w);
  return out;
}

function label(c: Case): string {
  const flags = [c.transA && 'Aᵀ', c.transB && 'Bᵀ', c.batchA === false && 'A shared', c.batchB === false && 'B shared', c.bias && `bias${c.batchBias ? ' per batch' : ''}`, c.activation]
    .filter(Boolean).join(', ');
  return `${c.batch > 1 ? `${c.batch}×` : ''}${c.m}x${c.k}x${c.n}${flags ? ` (${flags})` : ''}`;
}

/**
 * Runs every configuration on every case; returns one row per pair (none is skipped). A software adapter gets the
 * first six cases: the last two take minutes there in the workgroup-memory kernels.
 */
export async function checkMatmulKernels(g: WebGpuBackend, onRow?: (r: CheckRow) => void, cases: Case[] = g.info.software ? CHECK_CASES.slice(0, 6) : CHECK_CASES): Promise<CheckRow[]> {
  const cpu = new CpuBackend('f32');
  const configs = checkConfigs(g);
  const rows: CheckRow[] = [];
  const saved = g.matmulOverride;
  try {
    for (const [i, c] of cases.entries()) {
      const rng = new Rng(100 + i);
      const data = (n: number) => Float32Array.from({ length: n }, () => rng.float() * 2 - 1);
      const a = data((c.batchA === false ? 1 : c.batch) * c.m * c.k);
      const b = data((c.batchB === false ? 1 : c.batch) * c.k * c.n);
      const bias = c.bias ? data((c.batchBias ? c.batch : 1) * c.n) : null;
      const run = (be: Backend): Storage => {
        const s: MatmulSpec = { ...c, bias: bias ? be.upload(bias) : undefined };
        const ua = be.upload(a), ub = be.upload(b);
        const out = be.matmul(ua, ub, s);
        be.release(ua);
        be.release(ub);
        if (s.bias) be.release(s.bias);
        return out;
      };
      const refS = run(cpu);
      const ref = await cpu.read(refS);
      cpu.release(refS);
      const atol = 8e-5 * Math.sqrt(c.k), rtol = 1e-4;
      for (const config of configs) {
        const row: CheckRow = { config: choiceLabel(config), shape: label(c), ok: false, worstExcess: NaN };
        try {
          g.matmulOverride = config;
          const outS = run(g);
          const got = await g.read(outS);
          g.release(outS);
          let worst = -Infinity;
          for (let j = 0; j < ref.length; j++) {
            const excess = Math.abs(got[j] - ref[j]) - (atol + rtol * Math.abs(ref[j]));
            if (!(excess <= worst)) worst = Number.isNaN(excess) ? Infinity : excess;
          }
          row.worstExcess = worst;
          row.ok = got.length === ref.length && worst <= 0;
        } catch (e) {
          row.error = (e as Error).message;
        }
        rows.push(row);
        onRow?.(row);
      }
    }
  } finally {
    g.matmulOverride = saved;
  }
  return rows;
}
