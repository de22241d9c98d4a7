/**
 * Whether a task's labels can score a model at all. ROC-AUC needs positives and negatives in the split it is
 * computed on; weighted accuracy on a task without positives is 1.000 for a model that says "negative" to every
 * molecule. Before this, `search --objective valid-auc` on a split without positives trained every trial, printed
 * "best NaN" and exited 1 without a word, and a task without positives got a confident verdict. These checks run
 * once the data is loaded, before any training, and name the task, the split and the counts.
 */
import type { DataSplit } from '../data/splits.ts';
import type { MoleculeDataset } from '../data/molecule-dataset.ts';

/** A metric that the data cannot define: the CLI prints the message as one line and exits 1. */
export class UndefinedMetricError extends RangeError {
  override name = 'UndefinedMetricError';
}

export type SplitPart = 'train' | 'valid' | 'test';

const SPLIT_WORDS: Record<SplitPart, string> = { train: 'training', valid: 'validation', test: 'test' };

export interface LabelCounts {
  labelled: number;
  positives: number;
}

/** Labelled rows and positives of `task` among `rows` (all rows when omitted). */
export function labelCounts(dataset: MoleculeDataset, task: string, rows?: ArrayLike<number>): LabelCounts {
  const t = dataset.tasks.indexOf(task);
  if (t < 0) throw new RangeError(`no task "${task}" in ${dataset.source}`);
  const K = dataset.tasks.length;
  const n = rows ? rows.length : dataset.smiles.length;
  let labelled = 0, positives = 0;
  for (let i = 0; i < n; i++) {
    const r = rows ? rows[i] : i;
    if (!dataset.labelled[r * K + t]) continue;
    labelled++;
    if (dataset.y[r * K + t] > 0.5) positives++;
  }
  return { labelled, positives };
}

/**
 * Refuses an AUC objective on a split where the task lacks positives or negatives: ROC-AUC is undefined there, so
 * every trial would score NaN. `objective` as the search names it ("valid-auc", "valid-wacc", …).
 */
export function checkObjectiveDefined(data: { dataset: MoleculeDataset; split: DataSplit }, task: string, objective: string): void {
  const m = /^(train|valid|test)-auc$/.exec(objective);
  if (!m) return;
  const part = m[1] as SplitPart;
  const c = labelCounts(data.dataset, task, data.split[part]);
  const missing = c.positives === 0 ? 'positives' : c.positives === c.labelled ? 'negatives' : null;
  if (!missing) return;
  throw new UndefinedMetricError(
    `task ${task} has no ${missing} in the ${SPLIT_WORDS[part]} split (${missing === 'positives' ? c.positives : c.labelled - c.positives} of ${c.labelled}): ` +
      `ROC-AUC is undefined; use --objective ${part}-wacc or another task/split`,
  );
}

/**
 * Refuses to train or judge a single task that has no positives in the data, or none in one of `splits`: a model
 * that predicts "negative" everywhere scores weighted accuracy 1.000 there, so a search's ranking or a study's
 * verdict on it would be confident and empty.
 */
export function checkTaskHasPositives(data: { dataset: MoleculeDataset; split: DataSplit }, task: string, splits: readonly SplitPart[] = []): void {
  const all = labelCounts(data.dataset, task);
  const where = all.positives === 0 ? { name: 'the data', c: all } : splits
    .map((p) => ({ name: `the ${SPLIT_WORDS[p]} split`, c: labelCounts(data.dataset, task, data.split[p]) }))
    .find((x) => x.c.positives === 0);
  if (!where) return;
  throw new UndefinedMetricError(
    `task ${task} has no positives in ${where.name} (0 of ${where.c.labelled} labelled): a model that predicts negative everywhere scores ` +
      'weighted accuracy 1.000 there and ROC-AUC is undefined, so no model can be judged on it; choose another --task or --split',
  );
}
