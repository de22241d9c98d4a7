/**
 * Tox21 as DeepChem's 2017 `load_tox21` served it, and any molecule CSV laid out like it: file → table → ECFP4
 * features (cached) → split → balancing weights, with a report that accounts for every row of the file
 * (rows = featurized + failed). This is the one entry point the forest and the network study call. Node-only
 * (file, cache and threads); the pieces it composes are pure and exported from their own files.
 */
import { parseCsv } from './csv.ts';
import { contentHash, cacheKey, ecfpCachePath, readEcfpCache, readScaffoldCache, scaffoldCachePath, writeEcfpCache, writeScaffoldCache } from './feature-cache.ts';
import { readDataFile } from './data-file.ts';
import { defaultCacheDir, resolveTox21File, type SourceKind } from './data-source.ts';
import { ECFP4_1024, type EcfpParams, type EcfpResult } from './ecfp.ts';
import { assembleDataset, type DatasetSummary, type MoleculeDataset } from './molecule-dataset.ts';
import { readMoleculeTable } from './molecule-table.ts';
import { defaultThreads, runMoleculeJobThreaded } from './molecule-threads.ts';
import { rdkitPackageVersion } from './rdkit-node.ts';
import type { DataSplit, SplitKind } from './splits.ts';
import type { WeightScheme } from './weights.ts';

export type { DataSplit, SplitKind, WeightScheme };
export type { DatasetSummary, MoleculeDataset, RowFailure, TaskReport } from './molecule-dataset.ts';
export { subsetDataset } from './molecule-dataset.ts';

/** The dataset's summary plus where the file and its features came from, and how long each step took. */
export interface LoadReport extends DatasetSummary {
  sourceKind: SourceKind;
  /** Features came from the on-disk cache. */
  cached: boolean;
  cacheFile: string | null;
  /** Why the cache could not be written, if it could not. */
  cacheNote?: string;
  /** Threads that featurized (0 when cached). */
  threads: number;
  threadNote?: string;
  seconds: { read: number; featurize: number; split: number; total: number };
}

export interface LoadOptions {
  /** Path of a CSV or gzip CSV; otherwise SHADERGRAD_TOX21, the cache, or a download. */
  data?: string;
  split?: SplitKind;
  /** Seed of the random split (default 0). */
  seed?: number;
  /** Task columns to use, by header name (default: every 0/1/empty column). */
  tasks?: string[];
  weights?: WeightScheme;
  /** Where the download and the feature cache live (default $XDG_CACHE_HOME/shadergrad or ~/.cache/shadergrad). */
  cacheDir?: string;
  /** Threads for a cold featurization, the calling one included (default: cores, at most 4). */
  threads?: number;
  /** Skip reading and writing the feature cache. */
  noCache?: boolean;
  featurizer?: EcfpParams;
  /** Injected by tests so they never touch the network. */
  fetch?: typeof fetch;
}

export async function loadTox21(opts: LoadOptions = {}): Promise<{ dataset: MoleculeDataset; split: DataSplit; report: LoadReport }> {
  const t0 = performance.now();
  const cacheDir = opts.cacheDir ?? defaultCacheDir();
  const params = opts.featurizer ?? ECFP4_1024;
  const splitKind = opts.split ?? 'index';
  const scheme = opts.weights ?? 'deepchem2017';
  const threads = opts.threads ?? defaultThreads();

  const { path, from } = await resolveTox21File({ data: opts.data, cacheDir, fetch: opts.fetch });
  const file = readDataFile(path);
  const table = readMoleculeTable(parseCsv(file.text, path), path, { tasks: opts.tasks });
  const hash = contentHash(file.bytes);
  const rdkit = rdkitPackageVersion();
  const t1 = performance.now();

  // Features: the cache, else RDKit on `threads` threads (then cached).
  const ecfpKey = cacheKey(hash, 'ecfp', params, rdkit);
  const ecfpPath = ecfpCachePath(cacheDir, params, ecfpKey);
  let ecfp: EcfpResult | null = opts.noCache ? null : readEcfpCache(ecfpPath, ecfpKey);
  const cached = ecfp !== null;
  let usedThreads = 0;
  let threadNote: string | undefined;
  let cacheNote: string | undefined;
  if (ecfp === null) {
    const run = await runMoleculeJobThreaded({ kind: 'ecfp', params }, table.smiles, threads);
    ecfp = run.result;
    usedThreads = run.threads;
    threadNote = run.note;
    if (!opts.noCache) cacheNote = tryWrite(() => writeEcfpCache(ecfpPath, ecfpKey, ecfp!));
  }
  const t2 = performance.now();

  const scaffolds = splitKind === 'scaffold' ? await scaffoldsOf(table.smiles, hash, rdkit, cacheDir, threads, opts.noCache) : undefined;
  const { dataset, split, summary } = assembleDataset(table, ecfp, { split: splitKind, seed: opts.seed, weights: scheme, featurizer: params, rdkit, scaffolds });
  const t3 = performance.now();

  const report: LoadReport = {
    ...summary,
    sourceKind: from,
    cached,
    cacheFile: opts.noCache ? null : ecfpPath,
    cacheNote,
    threads: usedThreads,
    threadNote,
    seconds: { read: (t1 - t0) / 1000, featurize: (t2 - t1) / 1000, split: (t3 - t2) / 1000, total: (performance.now() - t0) / 1000 },
  };
  return { dataset, split, report };
}

async function scaffoldsOf(
  smiles: string[],
  hash: string,
  rdkit: string,
  cacheDir: string,
  threads: number,
  noCache = false,
): Promise<(string | null)[]> {
  const key = cacheKey(hash, 'murcko', null, rdkit);
  const path = scaffoldCachePath(cacheDir, key);
  const hit = noCache ? null : readScaffoldCache(path, key, smiles.length);
  if (hit) return hit;
  const { result } = await runMoleculeJobThreaded({ kind: 'scaffold' }, smiles, threads);
  if (!noCache) tryWrite(() => writeScaffoldCache(path, key, result.scaffolds));
  return result.scaffolds;
}

/** A cache that cannot be written (read-only home, full disk) slows the next run; it must not fail this one. */
function tryWrite(write: () => void): string | undefined {
  try {
    write();
    return undefined;
  } catch (e) {
    return `could not write the cache: ${(e as Error).message}`;
  }
}
