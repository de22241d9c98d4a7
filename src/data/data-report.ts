/**
 * What a command used from a molecule file and what it set aside, in one shape for every command: `tox21 data`
 * prints it whole, and each command that trains (rf, fcn, search, study) prints its lines and puts the same object
 * under `data` in its JSON — so a SMILES RDKit could not read, a column that was not a task, or the size of each
 * split never disappears between the file and the model. Pure (no Node imports): a browser can show it too.
 */
import type { DatasetSummary, RowFailure } from './molecule-dataset.ts';
import type { SplitKind } from './splits.ts';
import type { WeightScheme } from './weights.ts';

export interface DataReportJson {
  source: string;
  /** Data rows in the file: featurized + failed. */
  rows: number;
  featurized: number;
  /** Featurized only with RDKit's `{"sanitize": false}` (counted in `featurized`), and which data rows. */
  unsanitized: number;
  unsanitizedRows: number[];
  /** Rows set aside because RDKit could not read their SMILES, every one with its reason. */
  failed: number;
  failures: RowFailure[];
  /** Columns that are not tasks, and why (not 0/1 labels, every cell empty, not selected). */
  ignoredColumns: { name: string; reason: string }[];
  split: { kind: SplitKind; seed: number | null; train: number; valid: number; test: number };
  weights: WeightScheme;
  /** The task columns used, in file order, with their label counts and balancing weights. */
  tasks: Record<string, { labelled: number; positive: number; positiveWeight: number; negativeWeight: number }>;
}

export function dataReportJson(r: DatasetSummary): DataReportJson {
  return {
    source: r.source,
    rows: r.rows,
    featurized: r.featurized,
    unsanitized: r.unsanitized,
    unsanitizedRows: r.unsanitizedRows,
    failed: r.failed,
    failures: r.failures,
    ignoredColumns: r.ignoredColumns,
    split: { kind: r.split.kind, seed: r.split.seed, train: r.split.train, valid: r.split.valid, test: r.split.test },
    weights: r.weights,
    tasks: Object.fromEntries(
      Object.entries(r.tasks).map(([name, t]) => [name, { labelled: t.labelled, positive: t.positive, positiveWeight: t.positiveWeight, negativeWeight: t.negativeWeight }]),
    ),
  };
}

export interface DataLinesOptions {
  /** Failed rows listed one per line; the rest are counted (default: all). */
  maxFailures?: number;
  /** Unsanitized data rows listed; the rest are counted (default: all). */
  maxUnsanitized?: number;
}

/**
 * The report as aligned text lines: rows (featurized, unsanitized, failed), each failure, each ignored column with
 * why, the tasks used, and the split. `tox21 data` lists every failure; the training commands list the first few
 * and count the rest.
 */
export function dataReportLines(r: DatasetSummary, opts: DataLinesOptions = {}): string[] {
  const lines: string[] = [];
  lines.push(`rows         ${r.rows} = ${r.featurized} featurized (${r.unsanitized} without sanitization) + ${r.failed} failed`);
  if (r.unsanitized > 0) lines.push(`unsanitized  data rows ${listSome(r.unsanitizedRows.map(String), opts.maxUnsanitized)}`);
  const maxF = opts.maxFailures ?? Infinity;
  for (const f of r.failures.slice(0, maxF)) lines.push(`failed       data row ${f.row} (line ${f.line}), column "${f.column}": ${f.reason} — "${f.smiles}"`);
  if (r.failures.length > maxF) lines.push(`failed       … and ${r.failures.length - maxF} more rows (\`shadergrad tox21 data\` lists every one)`);
  const byReason = new Map<string, string[]>();
  for (const c of r.ignoredColumns) byReason.set(c.reason, [...(byReason.get(c.reason) ?? []), c.name]);
  for (const [reason, names] of byReason) lines.push(`ignored      ${names.length === 1 ? 'column' : 'columns'} ${names.map((n) => `"${n}"`).join(', ')}: ${reason}`);
  const tasks = Object.keys(r.tasks);
  lines.push(`tasks        ${tasks.length} used: ${tasks.join(', ')}`);
  lines.push(`split        ${r.split.kind}${r.split.seed !== null ? ` seed ${r.split.seed}` : ''}: train ${r.split.train} / valid ${r.split.valid} / test ${r.split.test}`);
  return lines;
}

function listSome(items: string[], max = Infinity): string {
  return items.length > max ? `${items.slice(0, max).join(', ')} and ${items.length - max} more` : items.join(', ');
}
