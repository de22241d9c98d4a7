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
import { readMoleculeTable } from './molecule-table.ts';
import { defaultThreads, runMoleculeJobThreaded } from './molecule-threads.ts';
import { MOL_FAILED, MOL_UNSANITIZED } from './parse-molecule.ts';
import { rdkitPackageVersion } from './rdkit-node.ts';
import { selectRows, type SparseBits } from './sparse-bits.ts';
import { indexSplit, randomSplit, scaffoldSplit, type DataSplit, type SplitKind } from './splits.ts';
import { applyClassWeights, fitClassWeights, type WeightScheme } from './weights.ts';

export type { DataSplit, SplitKind, WeightScheme };

export interface MoleculeDataset {
  /** File path. */
  source: string;
  /** Task names in column order. */
  tasks: string[];
  /** Id column if present. */
  ids: string[] | null;
  /** Featurized rows only (failed rows excluded), file order preserved. */
  smiles: string[];
  /** 0-based data-row index in the file for each dataset row. */
  rowIndex: Uint32Array;
  /** [rows × tasks] row-major, missing → 0. */
  y: Float32Array;
  /** [rows × tasks] balancing weights, missing → 0. */
  w: Float32Array;
  /** [rows × tasks] 1 where a label exists. */
  labelled: Uint8Array;
  /** ECFP4 set bits, rows aligned with the above. */
  features: SparseBits;
}

export interface TaskReport {
  /** Labelled dataset rows, and how many of them are positive. */
  labelled: number;
  positive: number;
  positiveWeight: number;
  negativeWeight: number;
}

export interface RowFailure {
  /** 0-based data row, 1-based line, and the column that failed. */
  row: number;
  line: number;
  column: string;
  smiles: string;
  reason: string;
}

export interface LoadReport {
  source: string;
  sourceKind: SourceKind;
  /** Data rows in the file. */
  rows: number;
  featurized: number;
  /** Featurized only with `{"sanitize": false}` (included in `featurized`). */
  unsanitized: number;
  failed: number;
  unsanitizedRows: number[];
  failures: RowFailure[];
  ignoredColumns: { name: string; reason: string }[];
  tasks: Record<string, TaskReport>;
  split: { kind: SplitKind; seed: number | null; train: number; valid: number; test: number };
  weights: WeightScheme;
  featurizer: { kind: 'ecfp'; radius: number; nBits: number; rdkit: string };
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

  // Dataset rows: every row that featurized, in file order.
  const kept: number[] = [];
  const failures: RowFailure[] = [];
  const unsanitizedRows: number[] = [];
  for (let r = 0; r < ecfp.status.length; r++) {
    if (ecfp.status[r] === MOL_FAILED) {
      failures.push({ row: r, line: table.lines[r], column: table.smilesColumn, smiles: table.smiles[r], reason: ecfp.reasons[r] ?? 'failed' });
    } else {
      kept.push(r);
      if (ecfp.status[r] === MOL_UNSANITIZED) unsanitizedRows.push(r);
    }
  }
  const rowIndex = Uint32Array.from(kept);
  const T = table.tasks.length;
  const y = pickRows(table.y, T, rowIndex);
  const labelled = pickRows(table.labelled, T, rowIndex);

  let split: DataSplit;
  if (splitKind === 'index') split = indexSplit(rowIndex.length);
  else if (splitKind === 'random') split = randomSplit(rowIndex.length, opts.seed ?? 0);
  else {
    const scaffolds = await scaffoldsOf(table.smiles, hash, rdkit, cacheDir, threads, opts.noCache);
    split = scaffoldSplit(kept.map((r) => scaffolds[r] ?? ''));
  }
  const t3 = performance.now();

  const classWeights = fitClassWeights(scheme, y, labelled, T, scheme === 'train-balanced' ? split.train : undefined);
  const w = applyClassWeights(y, labelled, classWeights);

  const tasks: Record<string, TaskReport> = {};
  table.tasks.forEach((name, t) => {
    let nLab = 0;
    let nPos = 0;
    for (let i = t; i < labelled.length; i += T) {
      nLab += labelled[i];
      if (labelled[i] && y[i] === 1) nPos++;
    }
    tasks[name] = { labelled: nLab, positive: nPos, positiveWeight: classWeights[t].positive, negativeWeight: classWeights[t].negative };
  });

  const dataset: MoleculeDataset = {
    source: path,
    tasks: table.tasks,
    ids: table.ids ? kept.map((r) => table.ids![r]) : null,
    smiles: kept.map((r) => table.smiles[r]),
    rowIndex,
    y,
    w,
    labelled,
    features: selectRows(ecfp.bits, rowIndex),
  };
  const report: LoadReport = {
    source: path,
    sourceKind: from,
    rows: table.smiles.length,
    featurized: kept.length,
    unsanitized: unsanitizedRows.length,
    failed: failures.length,
    unsanitizedRows,
    failures,
    ignoredColumns: table.ignoredColumns,
    tasks,
    split: {
      kind: splitKind,
      seed: splitKind === 'random' ? (opts.seed ?? 0) : null,
      train: split.train.length,
      valid: split.valid.length,
      test: split.test.length,
    },
    weights: scheme,
    featurizer: { kind: 'ecfp', radius: params.radius, nBits: params.nBits, rdkit },
    cached,
    cacheFile: opts.noCache ? null : ecfpPath,
    cacheNote,
    threads: usedThreads,
    threadNote,
    seconds: { read: (t1 - t0) / 1000, featurize: (t2 - t1) / 1000, split: (t3 - t2) / 1000, total: (performance.now() - t0) / 1000 },
  };
  return { dataset, split, report };
}

/** Rows `rows` (in that order) of every array of the dataset. */
export function subsetDataset(ds: MoleculeDataset, rows: ArrayLike<number>): MoleculeDataset {
  const T = ds.tasks.length;
  return {
    source: ds.source,
    tasks: ds.tasks,
    ids: ds.ids ? Array.from(rows, (r) => ds.ids![r]) : null,
    smiles: Array.from(rows, (r) => ds.smiles[r]),
    rowIndex: Uint32Array.from(rows, (r) => ds.rowIndex[r]),
    y: pickRows(ds.y, T, rows),
    w: pickRows(ds.w, T, rows),
    labelled: pickRows(ds.labelled, T, rows),
    features: selectRows(ds.features, rows),
  };
}

function pickRows<A extends Float32Array | Uint8Array>(a: A, width: number, rows: ArrayLike<number>): A {
  const out = new (a.constructor as new (n: number) => A)(rows.length * width);
  for (let k = 0; k < rows.length; k++) out.set(a.subarray(rows[k] * width, (rows[k] + 1) * width), k * width);
  return out;
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
