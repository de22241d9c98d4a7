/**
 * From a molecule table and its fingerprints to what the models train on: the rows that featurized (file order
 * kept), their labels, the split and the balancing weights, with a summary that accounts for every row of the file
 * (rows = featurized + failed). Pure (no Node imports) so the CLI's loader (tox21.ts, which adds files, caches and
 * threads) and a browser's Web Worker build the same dataset from the same text. `datasetFromText` takes the
 * molecule-job runner as an argument: RDKit on a thread, a pool of threads, or a Web Worker.
 */
import { parseCsv } from './csv.ts';
import { clipText } from './data-error.ts';
import { ECFP4_1024, type EcfpParams, type EcfpResult } from './ecfp.ts';
import type { JobResult, MoleculeJob } from './molecule-jobs.ts';
import { readMoleculeTable, type MoleculeTable } from './molecule-table.ts';
import { MOL_FAILED, MOL_UNSANITIZED } from './parse-molecule.ts';
import { selectRows, type SparseBits } from './sparse-bits.ts';
import { indexSplit, randomSplit, scaffoldSplit, type DataSplit, type SplitKind } from './splits.ts';
import { applyClassWeights, fitClassWeights, type WeightScheme } from './weights.ts';

export interface MoleculeDataset {
  /** File path (or a browser's file name or URL). */
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
  /** The SMILES as the file writes it, clipped to 80 characters and its length when longer (data-error.ts). */
  smiles: string;
  reason: string;
}

/** What the data says about itself, wherever it was read and featurized. */
export interface DatasetSummary {
  source: string;
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
}

export interface AssembleOptions {
  split?: SplitKind;
  /** Seed of the random split (default 0). */
  seed?: number;
  weights?: WeightScheme;
  featurizer?: EcfpParams;
  /** RDKit's version, recorded in the summary. */
  rdkit: string;
  /** Murcko scaffold of every table row (needed for the scaffold split). */
  scaffolds?: readonly (string | null)[];
}

export interface AssembledDataset {
  dataset: MoleculeDataset;
  split: DataSplit;
  summary: DatasetSummary;
}

export function assembleDataset(table: MoleculeTable, ecfp: EcfpResult, opts: AssembleOptions): AssembledDataset {
  const params = opts.featurizer ?? ECFP4_1024;
  const splitKind = opts.split ?? 'index';
  const scheme = opts.weights ?? 'deepchem2017';
  if (ecfp.status.length !== table.smiles.length) {
    throw new RangeError(`assembleDataset: ${ecfp.status.length} fingerprint rows for ${table.smiles.length} table rows`);
  }

  // Dataset rows: every row that featurized, in file order.
  const kept: number[] = [];
  const failures: RowFailure[] = [];
  const unsanitizedRows: number[] = [];
  for (let r = 0; r < ecfp.status.length; r++) {
    if (ecfp.status[r] === MOL_FAILED) {
      failures.push({ row: r, line: table.lines[r], column: table.smilesColumn, smiles: clipText(table.smiles[r]), reason: ecfp.reasons[r] ?? 'failed' });
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
    const scaffolds = opts.scaffolds;
    if (!scaffolds) throw new Error('assembleDataset: the scaffold split needs the Murcko scaffold of every row (opts.scaffolds)');
    split = scaffoldSplit(kept.map((r) => scaffolds[r] ?? ''));
  }

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
    source: table.file,
    tasks: table.tasks,
    ids: table.ids ? kept.map((r) => table.ids![r]) : null,
    smiles: kept.map((r) => table.smiles[r]),
    rowIndex,
    y,
    w,
    labelled,
    features: selectRows(ecfp.bits, rowIndex),
  };
  const summary: DatasetSummary = {
    source: table.file,
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
    featurizer: { kind: 'ecfp', radius: params.radius, nBits: params.nBits, rdkit: opts.rdkit },
  };
  return { dataset, split, summary };
}

/** Runs a molecule job over SMILES, however the caller computes it (this thread, threads, a Web Worker). */
export type MoleculeJobRunner = <J extends MoleculeJob>(job: J, smiles: readonly string[]) => Promise<JobResult<J>> | JobResult<J>;

export interface TextDatasetOptions extends Omit<AssembleOptions, 'scaffolds'> {
  /** Task columns by header name (default: every 0/1/empty column). */
  tasks?: string[];
  /** The SMILES column's header name (default: found by name). */
  smilesColumn?: string;
}

/** CSV text → table → fingerprints (and scaffolds for a scaffold split) → dataset. `file` names the source in errors. */
export async function datasetFromText(text: string, file: string, run: MoleculeJobRunner, opts: TextDatasetOptions): Promise<AssembledDataset> {
  const table = readMoleculeTable(parseCsv(text, file), file, { tasks: opts.tasks, smilesColumn: opts.smilesColumn });
  const ecfp = await run({ kind: 'ecfp', params: opts.featurizer ?? ECFP4_1024 }, table.smiles);
  const scaffolds = opts.split === 'scaffold' ? (await run({ kind: 'scaffold' }, table.smiles)).scaffolds : undefined;
  return assembleDataset(table, ecfp, { ...opts, scaffolds });
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
