/**
 * The matmul tuning file: where `shadergrad bench --tune` keeps its winners per adapter, and how WebGpuBackend reads
 * them back. Apart from the tuner (matmul-tune.ts) so the backend can read the file without importing the tuner,
 * which needs the backend. Node-only parts load node: modules dynamically, so browser bundles can include it.
 */
import type { AdapterSummary } from '../../gpu/adapter-info.ts';
import { MATMUL_CLASSES, type MatmulClass, type MatmulKernel, type MatmulOverride, type MatmulTiles, type TunedMatmul } from './matmul-config.ts';

export const TUNE_VERSION = 1;

/** One timed (or dropped) candidate on one class. */
export interface TuneRow {
  class: MatmulClass;
  candidate: string;
  choice: MatmulOverride;
  /** Sum over the class's representative shapes of the median ms per product; null when dropped. */
  ms: number | null;
  /** GFLOP/s over the representative shapes together; null when dropped. */
  gflops: number | null;
  note?: string;
}

export interface TuneFile {
  version: number;
  key: string;
  adapter: AdapterSummary;
  created: string;
  seconds: number;
  /** The representative shapes timed per class (m×k×n, Aᵀ/Bᵀ marks a transpose). */
  shapes: Partial<Record<MatmulClass, string[]>>;
  winners: TunedMatmul;
  rows: TuneRow[];
  /** Classes not tuned, and why (budget ran out, too slow on a software adapter). */
  skipped: Partial<Record<MatmulClass, string>>;
}

/** `<vendor>-<architecture>-<device>-<driver>`, each lower-cased to [a-z0-9.] runs joined by `_` ('unknown' if empty). */
export function tuneKey(a: Pick<AdapterSummary, 'vendor' | 'architecture' | 'device' | 'description'>): string {
  const part = (s: string) => s.toLowerCase().replace(/[^a-z0-9.]+/g, '_').replace(/^[_.]+|_+$/g, '').slice(0, 60) || 'unknown';
  // Dawn puts the driver (name and version) in the adapter's description.
  return [a.vendor, a.architecture, a.device, a.description].map(part).join('-');
}

type Env = Record<string, string | undefined>;

/** The tuning cache folder: SHADERGRAD_TUNE_DIR, else $XDG_CACHE_HOME/shadergrad/tune, else ~/.cache/shadergrad/tune. */
export async function tuneDir(env: Env = process.env): Promise<string> {
  if (env.SHADERGRAD_TUNE_DIR) return env.SHADERGRAD_TUNE_DIR;
  const { join } = await import('node:path');
  const { cacheFolder } = await import('../../cache-folder.ts');
  return join(cacheFolder(env), 'tune');
}

export async function tunePath(a: AdapterSummary, env: Env = process.env): Promise<string> {
  const { join } = await import('node:path');
  return join(await tuneDir(env), `${tuneKey(a)}.json`);
}

/** Writes the file where readTuned finds it for this adapter; returns its path. */
export async function writeTuneFile(file: TuneFile, env: Env = process.env): Promise<string> {
  const { mkdirSync, renameSync, writeFileSync } = await import('node:fs');
  const { dirname } = await import('node:path');
  const path = await tunePath(file.adapter, env);
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(file, null, 2)}\n`);
  renameSync(tmp, path);
  readCache.delete(path);
  return path;
}

const KERNELS: MatmulKernel[] = ['tiled', 'large', 'blocked', 'subgroup'];

/** The winners of a tuning file's text, checked; throws naming what is wrong. */
export function parseTuneFile(text: string, key: string): TunedMatmul {
  let j: Partial<TuneFile>;
  try {
    j = JSON.parse(text) as Partial<TuneFile>;
  } catch (e) {
    throw new Error(`not JSON (${(e as Error).message})`);
  }
  if (j.version !== TUNE_VERSION) throw new Error(`version ${String(j.version)}, this shadergrad reads version ${TUNE_VERSION}: run \`shadergrad bench --tune\` again`);
  if (j.key !== key) throw new Error(`made for adapter "${String(j.key)}", this one is "${key}"`);
  const out: TunedMatmul = {};
  for (const [cls, c] of Object.entries(j.winners ?? {})) {
    if (!(MATMUL_CLASSES as readonly string[]).includes(cls)) throw new Error(`unknown shape class "${cls}" (known: ${MATMUL_CLASSES.join(', ')})`);
    if (!c || typeof c !== 'object' || !KERNELS.includes(c.kernel as MatmulKernel)) throw new Error(`class ${cls}: unknown kernel ${JSON.stringify(c?.kernel)}`);
    const choice: MatmulOverride = { kernel: c.kernel };
    if (c.tiles !== undefined) {
      const t = c.tiles as unknown as Record<string, unknown>;
      for (const f of ['TILE_M', 'TILE_N', 'TILE_K', 'WPT_M', 'WPT_N']) {
        if (!Number.isInteger(t[f]) || (t[f] as number) <= 0) throw new Error(`class ${cls}: tiles.${f} must be a positive integer, got ${JSON.stringify(t[f])}`);
      }
      choice.tiles = tilesOf(t as Record<string, number>);
    }
    if (c.workgroupSize !== undefined) {
      if (!Number.isInteger(c.workgroupSize) || c.workgroupSize % 4 !== 0) throw new Error(`class ${cls}: workgroupSize must be a multiple of 4, got ${JSON.stringify(c.workgroupSize)}`);
      choice.workgroupSize = c.workgroupSize;
    }
    out[cls as MatmulClass] = choice;
  }
  return out;
}

const readCache = new Map<string, TunedMatmul | null>();

/**
 * This adapter's tuned winners, or null when there is no file (or SHADERGRAD_MATMUL_TUNE=off). Read once per path
 * per process. A file that cannot be used is reported on stderr, naming the file and the problem, and ignored: a
 * stale cache must not stop the library from running.
 */
export async function readTuned(a: AdapterSummary, env: Env = process.env): Promise<TunedMatmul | null> {
  if (/^(off|0|false|no)$/i.test(env.SHADERGRAD_MATMUL_TUNE ?? '')) return null;
  const path = await tunePath(a, env);
  if (readCache.has(path)) return readCache.get(path)!;
  const { existsSync, readFileSync } = await import('node:fs');
  let tuned: TunedMatmul | null = null;
  if (existsSync(path)) {
    try {
      tuned = parseTuneFile(readFileSync(path, 'utf8'), tuneKey(a));
    } catch (e) {
      process.stderr.write(`shadergrad: ignoring the matmul tuning cache ${path}: ${(e as Error).message}\n`);
    }
  }
  readCache.set(path, tuned);
  return tuned;
}


export function tilesOf(c: Record<string, number>): MatmulTiles {
  return { TILE_M: c.TILE_M, TILE_N: c.TILE_N, TILE_K: c.TILE_K, WPT_M: c.WPT_M, WPT_N: c.WPT_N };
}
