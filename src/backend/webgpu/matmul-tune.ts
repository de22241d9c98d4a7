/**
 * Matmul autotuning: which kernel and tiles win on *this* adapter, measured rather than guessed.
 * Why: the best tile differs by GPU (multiprocessor count, workgroup memory, register file) and by shape, and the
 * heuristic in matmul-config.ts was written from one H200 table. `shadergrad bench --tune` times a few candidate
 * configurations per shape class (matmul-config.ts's MATMUL_CLASSES) on representative shapes and stores the
 * winners in `$XDG_CACHE_HOME/shadergrad/tune/<vendor>-<architecture>-<device>-<driver>.json` (else
 * ~/.cache/shadergrad/tune/); WebGpuBackend.create() reads that file once per process in Node and planMatmul
 * prefers its winners to the heuristic. SHADERGRAD_MATMUL_TUNE=off ignores the file; SHADERGRAD_TUNE_DIR moves it.
 * Timing: products are recorded, then the submit-to-idle wall clock of the batch is measured (recording is not
 * timed), median of 3 rounds after a warm-up; the device is not opened with `timestamp-query`, so no GPU timestamps.
 * The heuristic's choice is timed first and kept unless another candidate is more than 5 % faster (noise must not
 * flip choices). A candidate whose single product takes over 10× the best so far is dropped after one, and the run
 * stops at a time budget (100 s on a GPU, 60 s on a software adapter), keeping the classes finished by then.
 * Node-only parts (the cache file) load node: modules dynamically, so browser bundles can include this module.
 */
import type { MatmulSpec } from '../backend.ts';
import type { AdapterSummary } from '../../gpu/adapter-info.ts';
import {
  LARGE_TILES, MATMUL_CLASSES, chooseMatmulTiles, largeTilesProblem, matmulKernels, planMatmul,
  type MatmulClass, type MatmulDevice, type MatmulKernel, type MatmulOverride, type MatmulTiles, type TunedMatmul,
} from './matmul-config.ts';
import type { WebGpuBackend } from './webgpu-backend.ts';
import { TUNE_VERSION, tilesOf, tuneKey, type TuneFile, type TuneRow } from './tune-file.ts';

export * from './tune-file.ts';


/** A candidate must beat the heuristic's choice by more than this factor (5 %) to replace it. */
const KEEP_HEURISTIC_WITHIN = 1.05;

type Shape = Pick<MatmulSpec, 'm' | 'k' | 'n' | 'transA' | 'transB'>;

/**
 * Representative shapes per class: the study's layer products (batch 100, 1024 bits, 50 or 2000 units, forward and
 * backward), squares, a shallow product. On a software adapter smaller ones, and no `large` class (a single
 * 2³² product takes seconds there).
 */
export function representatives(cls: MatmulClass, software: boolean): Shape[] {
  const sq = (s: number): Shape => ({ m: s, k: s, n: s });
  switch (cls) {
    case 'thin':
      return [{ m: 100, k: 1024, n: 50 }, { m: 1024, k: 100, n: 50, transA: true }];
    case 'shallow':
      return software ? [{ m: 100, k: 50, n: 1024, transB: true }] : [{ m: 100, k: 50, n: 1024, transB: true }, { m: 2048, k: 32, n: 2048 }];
    case 'small':
      return software ? [sq(256)] : [sq(512), { m: 100, k: 1024, n: 2000 }];
    case 'medium':
      return software ? [sq(768)] : [sq(1024)];
    case 'large':
      return software ? [] : [sq(4096)];
  }
}

export function shapeLabel(s: Shape): string {
  return `${s.m}x${s.k}x${s.n}${s.transA ? ' Aᵀ' : ''}${s.transB ? ' Bᵀ' : ''}`;
}

export function choiceLabel(c: MatmulOverride): string {
  if (c.kernel === 'large' || (c.kernel === 'tiled' && c.tiles)) {
    const t = c.tiles!;
    return `${c.kernel} ${t.TILE_M}x${t.TILE_N}x${t.TILE_K} ${t.WPT_M}x${t.WPT_N}/thread`;
  }
  return `${c.kernel ?? 'auto'}${c.workgroupSize ? ` wg${c.workgroupSize}` : ''}`;
}

/**
 * Candidates for a class on a device, the heuristic's own choice first (so the budget never leaves it untimed).
 * GPUs: the large kernel's tiles (and TILE_K = 16 variants where the workgroup memory allows), the tiled kernel and
 * the blocked one (no workgroup memory; 11.6 TFLOP/s at 8192² on the H200). Software adapters: the register kernels
 * at two workgroup sizes, and the large kernel only where products are small (it runs at ~0.2 GFLOP/s there).
 */
export function candidates(cls: MatmulClass, dev: MatmulDevice): MatmulOverride[] {
  const rep = representatives(cls, dev.software)[0] ?? { m: 1024, k: 1024, n: 1024 };
  const spec = { batch: 1, ...rep };
  const out: MatmulOverride[] = [];
  const add = (c: MatmulOverride) => {
    if (c.kernel && !matmulKernels(dev).includes(c.kernel)) return;
    if (c.kernel === 'large' && largeTilesProblem(c.tiles!, dev) !== null) return;
    if (!out.some((o) => choiceLabel(o) === choiceLabel(c))) out.push(c);
  };
  // The heuristic's choice, spelled out so the cache records what it was.
  const plan = planMatmul(spec, { ...dev, tuned: null });
  const heuristic: MatmulOverride = plan.kernel === 'large' || plan.kernel === 'tiled'
    ? { kernel: plan.kernel, tiles: tilesOf(plan.constants) }
    : { kernel: plan.kernel, workgroupSize: plan.constants.WG };
  add(heuristic);
  if (dev.software) {
    for (const k of ['subgroup', 'blocked'] as MatmulKernel[]) for (const wg of [16, 64]) add({ kernel: k, workgroupSize: wg });
    if (cls === 'thin' || cls === 'shallow' || cls === 'small') add({ kernel: 'large', tiles: LARGE_TILES[LARGE_TILES.length - 1] });
    return out;
  }
  const large: MatmulTiles[] = cls === 'thin' ? [LARGE_TILES[LARGE_TILES.length - 1]] : [...LARGE_TILES];
  if (cls !== 'thin') {
    large.push({ TILE_M: 128, TILE_N: 128, TILE_K: 16, WPT_M: 8, WPT_N: 8 }, { TILE_M: 128, TILE_N: 64, TILE_K: 16, WPT_M: 8, WPT_N: 8 },
      { TILE_M: 64, TILE_N: 64, TILE_K: 16, WPT_M: 4, WPT_N: 4 },
      // More invocations per workgroup (512: where the device allows) or fewer (64, 8 × 8 each).
      { TILE_M: 128, TILE_N: 128, TILE_K: 8, WPT_M: 4, WPT_N: 8 }, { TILE_M: 64, TILE_N: 64, TILE_K: 8, WPT_M: 8, WPT_N: 8 });
  }
  for (const t of large) add({ kernel: 'large', tiles: t });
  add({ kernel: 'tiled', tiles: chooseMatmulTiles(rep.m, rep.n, rep.k) });
  add({ kernel: 'blocked', workgroupSize: 64 });
  if (cls === 'thin') add({ kernel: 'blocked', workgroupSize: 16 });
  return out;
}


export interface TuneOptions {
  /** Stop starting new measurements after this long (default 100 s on a GPU, 60 s on a software adapter). */
  budgetSeconds?: number;
  /** Classes to tune (default all). */
  classes?: MatmulClass[];
  /** Wall-clock per timed batch of products, ms (default 30 on a GPU, 60 on a software adapter). */
  batchMs?: number;
  onRow?: (r: TuneRow) => void;
}

/** Times the candidates of each class on this backend's adapter; returns the winners (apply or write them). */
export async function tuneMatmul(g: WebGpuBackend, opts: TuneOptions = {}): Promise<TuneFile> {
  const dev = g.matmulDevice;
  const t0 = performance.now();
  const budgetMs = (opts.budgetSeconds ?? (dev.software ? 60 : 100)) * 1000;
  const batchMs = opts.batchMs ?? (dev.software ? 60 : 30);
  const over = () => performance.now() - t0 > budgetMs;
  const file: TuneFile = {
    version: TUNE_VERSION, key: tuneKey(g.info), adapter: g.info, created: new Date().toISOString(), seconds: 0,
    shapes: {}, winners: {}, rows: [], skipped: {},
  };
  const saved = g.matmulOverride;
  try {
    // The largest class first: the products the issue is about, and the ones a budget must not cut.
    for (const cls of [...MATMUL_CLASSES].reverse()) {
      if (opts.classes && !opts.classes.includes(cls)) continue;
      const shapes = representatives(cls, dev.software);
      if (shapes.length === 0) {
        file.skipped[cls] = 'not tuned on a software adapter: one product takes seconds there';
        continue;
      }
      if (over()) {
        file.skipped[cls] = `time budget of ${budgetMs / 1000} s spent`;
        continue;
      }
      file.shapes[cls] = shapes.map(shapeLabel);
      const flop = shapes.reduce((a, s) => a + 2 * s.m * s.k * s.n, 0);
      const inputs = shapes.map((s, i) => ({ s, a: g.upload(randomData(s.m * s.k, 2 * i + 1)), b: g.upload(randomData(s.k * s.n, 2 * i + 2)) }));
      const best: number[] = shapes.map(() => Infinity);
      const rows: TuneRow[] = [];
      try {
        for (const choice of candidates(cls, dev)) {
          if (over()) break;
          let total = 0;
          let note: string | undefined;
          // A configuration this adapter rejects (a pipeline it cannot build, a limit it did not report) is a row,
          // not the end of the tuning.
          try {
            for (let i = 0; i < inputs.length && note === undefined; i++) {
              const { s, a, b } = inputs[i];
              const spec: MatmulSpec = { batch: 1, ...s };
              g.matmulOverride = choice;
              const one = async () => {
                const out = g.matmul(a, b, spec);
                g.release(out);
                const t = performance.now();
                await g.rt.sync();
                return performance.now() - t;
              };
              await one(); // compiles the pipeline
              const single = await one();
              if (single > 10 * best[i]) {
                note = `dropped: one ${shapeLabel(s)} product took ${single.toFixed(2)} ms, over 10× the best (${best[i].toFixed(2)} ms)`;
                break;
              }
              const outBytes = s.m * s.n * 4;
              const reps = Math.max(1, Math.min(200, Math.round(batchMs / Math.max(single, 0.005)), Math.floor(2 ** 30 / outBytes)));
              const ms: number[] = [];
              for (let r = 0; r < 3; r++) {
                for (let j = 0; j < reps; j++) g.release(g.matmul(a, b, spec));
                const t = performance.now();
                await g.rt.sync();
                ms.push((performance.now() - t) / reps);
              }
              ms.sort((x, y) => x - y);
              best[i] = Math.min(best[i], ms[1]);
              total += ms[1];
            }
          } catch (e) {
            note = `failed: ${(e as Error).message.split('\n')[0]}`;
          }
          const row: TuneRow = note === undefined
            ? { class: cls, candidate: choiceLabel(choice), choice, ms: total, gflops: flop / (total * 1e6) }
            : { class: cls, candidate: choiceLabel(choice), choice, ms: null, gflops: null, note };
          rows.push(row);
          file.rows.push(row);
          opts.onRow?.(row);
        }
      } finally {
        g.matmulOverride = saved;
        for (const { a, b } of inputs) {
          g.release(a);
          g.release(b);
        }
      }
      const timed = rows.filter((r) => r.ms !== null);
      if (timed.length === 0) {
        file.skipped[cls] = `time budget of ${budgetMs / 1000} s spent`;
        continue;
      }
      // The heuristic's choice (timed first) stays unless another is clearly faster: noise must not flip choices.
      const fastest = timed.reduce((x, y) => (y.ms! < x.ms! ? y : x));
      const heuristic = rows[0].ms !== null ? rows[0] : null;
      file.winners[cls] = (heuristic && heuristic.ms! <= fastest.ms! * KEEP_HEURISTIC_WITHIN ? heuristic : fastest).choice;
    }
  } finally {
    g.matmulOverride = saved;
  }
  file.seconds = (performance.now() - t0) / 1000;
  return file;
}

function randomData(n: number, seed: number): Float32Array {
  // A cheap LCG: the values only need to be ordinary floats, not good random numbers.
  const out = new Float32Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = x / 2 ** 31 - 1;
  }
  return out;
}

/** One line per timed candidate, for the CLI's progress output. */
export function tuneRowLine(r: TuneRow): string {
  const v = r.ms === null ? (r.note ?? 'dropped') : `${r.ms.toFixed(3)} ms  ${r.gflops!.toFixed(1)} GFLOP/s`;
  return `tune ${r.class.padEnd(8)} ${r.candidate.padEnd(32)} ${v}`;
}

/** The winners as lines, with the heuristic's choice for comparison. */
export function tuneSummary(file: TuneFile): string[] {
  const lines: string[] = [];
  for (const cls of MATMUL_CLASSES) {
    const w = file.winners[cls];
    if (!w) {
      lines.push(`${cls}: not tuned (${file.skipped[cls] ?? 'no candidate timed'})`);
      continue;
    }
    const rows = file.rows.filter((r) => r.class === cls && r.ms !== null);
    const won = rows.find((r) => r.candidate === choiceLabel(w))!;
    const heur = file.rows.find((r) => r.class === cls);
    const vs = !heur || heur === won ? ' (the heuristic\'s choice, kept unless another is > 5 % faster)'
      : heur.ms === null ? `; the heuristic's ${heur.candidate}: ${heur.note}` : `, ${(heur.ms / won.ms!).toFixed(2)}× the heuristic's ${heur.candidate}`;
    lines.push(`${cls}: ${choiceLabel(w)} ${won.gflops!.toFixed(1)} GFLOP/s on ${file.shapes[cls]?.join(', ')}${vs}`);
  }
  return lines;
}
