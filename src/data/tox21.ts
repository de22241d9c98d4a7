/**
 * Tox21 as DeepChem's 2017 `load_tox21` served it, and any molecule CSV laid out like it: file → table → ECFP4
 * features (cached) → split → balancing weights, with a report that accounts for every row of the file
 * (rows = featurized + failed). This is the one entry point the forest and the network study call. Node-only
 * (file, cache and threads); the pieces it composes are pure and exported from their own files. Featurizing either
 * accounts for every row (a molecule RDKit cannot read or that crashed it fails alone, with its reason) or fails
 * the load in one line; only a complete result is cached, and a damaged cache file is recomputed with a note.
 */
import { parseCsv } from './csv.ts';
import { contentHash, cacheKey, ecfpCachePath, readEcfpCache, readScaffoldCache, scaffoldCachePath, writeEcfpCache, writeScaffoldCache } from './feature-cache.ts';
import { DataFileError, clipText } from './data-error.ts';
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
  /** The field separator, sniffed from the first line (csv.ts). */
  delimiter: ',' | '\t';
  /** Features came from the on-disk cache. */
  cached: boolean;
  cacheFile: string | null;
  /** Why the cache could not be written, or why a cache file there was not used, if so. */
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
  /** The SMILES column's header name (default: the column named "smiles" in any case, or the one containing it). */
  smilesColumn?: string;
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
  const csv = parseCsv(file.text, path);
  const table = readMoleculeTable(csv, path, { tasks: opts.tasks, smilesColumn: opts.smilesColumn });
  const hash = contentHash(file.bytes);
  const rdkit = rdkitPackageVersion();
  const t1 = performance.now();

  // Features: the cache, else RDKit on `threads` threads (then cached). A SMILES column chosen by name is part of
  // the key: the same file read through another column is other molecules.
  const ecfpKey = cacheKey(hash, 'ecfp', opts.smilesColumn ? { ...params, column: table.smilesColumn } : params, rdkit);
  const ecfpPath = ecfpCachePath(cacheDir, params, ecfpKey);
  const notes: string[] = [];
  const note = (line: string) => void notes.push(line);
  let ecfp: EcfpResult | null = opts.noCache ? null : readEcfpCache(ecfpPath, ecfpKey, note);
  const cached = ecfp !== null;
  let usedThreads = 0;
  let threadNote: string | undefined;
  if (ecfp === null) {
    const run = await featurize(path, () => runMoleculeJobThreaded({ kind: 'ecfp', params }, table.smiles, threads));
    ecfp = run.result;
    usedThreads = run.threads;
    threadNote = run.note;
    if (!opts.noCache) tryWrite(note, () => writeEcfpCache(ecfpPath, ecfpKey, ecfp!));
  }
  const t2 = performance.now();

  const scaffoldKey = cacheKey(hash, 'murcko', opts.smilesColumn ? { column: table.smilesColumn } : null, rdkit);
  const scaffolds = splitKind === 'scaffold' ? await scaffoldsOf(path, table.smiles, scaffoldKey, cacheDir, threads, note, opts.noCache) : undefined;
  const { dataset, split, summary } = assembleDataset(table, ecfp, { split: splitKind, seed: opts.seed, weights: scheme, featurizer: params, rdkit, scaffolds });
  const t3 = performance.now();

  const report: LoadReport = {
    ...summary,
    sourceKind: from,
    delimiter: csv.delimiter,
    cached,
    cacheFile: opts.noCache ? null : ecfpPath,
    cacheNote: notes.length ? notes.join('; ') : undefined,
    threads: usedThreads,
    threadNote,
    seconds: { read: (t1 - t0) / 1000, featurize: (t2 - t1) / 1000, split: (t3 - t2) / 1000, total: (performance.now() - t0) / 1000 },
  };
  return { dataset, split, report };
}

async function scaffoldsOf(
  file: string,
  smiles: string[],
  key: string,
  cacheDir: string,
  threads: number,
  note: (line: string) => void,
  noCache = false,
): Promise<(string | null)[]> {
  const path = scaffoldCachePath(cacheDir, key);
  const hit = noCache ? null : readScaffoldCache(path, key, smiles.length, note);
  if (hit) return hit;
  const { result } = await featurize(file, () => runMoleculeJobThreaded({ kind: 'scaffold' }, smiles, threads));
  if (!noCache) tryWrite(note, () => writeScaffoldCache(path, key, result.scaffolds));
  return result.scaffolds;
}

/**
 * A run that could not account for every row (a worker lost mid-chunk, RDKit crashed with no fresh instance to be
 * had) fails the load in one line naming the file, and nothing of it is cached.
 */
async function featurize<R>(file: string, run: () => Promise<R>): Promise<R> {
  try {
    return await run();
  } catch (e) {
    const first = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    throw Object.assign(new DataFileError({ file }, `featurizing stopped: ${clipText(first, 200)}; nothing was cached`), { cause: e });
  }
}

/** A cache that cannot be written (read-only home, full disk) slows the next run; it must not fail this one. */
function tryWrite(note: (line: string) => void, write: () => void): void {
  try {
    write();
  } catch (e) {
    note(`could not write the cache: ${(e as Error).message}`);
  }
}
