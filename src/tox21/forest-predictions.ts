/**
 * The random-forest baseline with its probabilities kept: the verdict scores every model family from its
 * predictions and the ensembles take forests as members, so a forest has to hand over what it predicted on the
 * validation and test splits, not only its scores. One forest per task (sklearn's RandomForestClassifier is
 * single-output; so are the book's and the forests), each fitted exactly as the book's baseline
 * (src/forest/tox21-baseline.ts's runTaskBaseline: all training rows, missing labels as negatives, balanced class
 * weights), through the same injectable ForestFitter, so a thread pool (TreePool, WebTreePool) grows the trees.
 *
 * runTaskBaseline keeps its forest to itself; rather than copy its protocol, the fitter handed to it is wrapped to
 * catch the fitted forest, which then predicts the validation and test rows once more (cheap next to fitting). Its
 * metrics (train included) come back unchanged, so existing tables keep their numbers.
 */
import type { MoleculeDataset } from '../data/molecule-dataset.ts';
import type { DataSplit } from '../data/splits.ts';
import { selectRows } from '../data/sparse-bits.ts';
import type { RandomForest } from '../forest/forest.ts';
import type { ForestOptions } from '../forest/options.ts';
import { BOOK_FOREST, runTaskBaseline, type ForestFitter, type TaskBaseline } from '../forest/tox21-baseline.ts';
import { EVAL_SPLITS, type SplitPredictions } from './split-predictions.ts';

/** The stronger forest: 200 trees per task, balanced, sklearn's other defaults. */
export const STRONG_FOREST: ForestOptions = { ...BOOK_FOREST, nEstimators: 200 };

export interface ForestPredictionOptions {
  /** Seed of every task's forest (tree i of a forest draws from (seed, i)). */
  seed: number;
  /** Trees per task's forest: 50 is the book's forest (default), 200 the stronger one. */
  trees?: number;
  /** Other forest options over the book's (balanced class weights, max features sqrt). */
  forest?: Partial<ForestOptions>;
  /** Fit on labelled training rows only (default false: the book's protocol). */
  labeledOnly?: boolean;
  /** Grows the trees: a TreePool's fit, or RandomForest.fit in this thread. */
  fit: ForestFitter;
  /** Called after each task's forest is fitted and has predicted. */
  onTask?: (task: string, done: number, total: number) => void;
}

/** One forest per task, fitted with one seed: predictions [rows × tasks] and each task's baseline scores. */
export interface ForestRun {
  seed: number;
  trees: number;
  predictions: SplitPredictions;
  /** Per task, runTaskBaseline's result (train, valid and test scores, fit and predict seconds). */
  baselines: TaskBaseline[];
}

/** `task`: a task's name or 'all' (every task of the dataset, in column order). */
export function forestTasks(dataset: MoleculeDataset, task: string): string[] {
  if (task === 'all') return [...dataset.tasks];
  if (!dataset.tasks.includes(task)) throw new RangeError(`unknown task "${task}"; the dataset has ${dataset.tasks.join(', ')}`);
  return [task];
}

export async function forestPredictions(dataset: MoleculeDataset, split: DataSplit, task: string, o: ForestPredictionOptions): Promise<ForestRun> {
  const tasks = forestTasks(dataset, task);
  const forest: ForestOptions = { ...BOOK_FOREST, ...o.forest, nEstimators: o.trees ?? o.forest?.nEstimators ?? BOOK_FOREST.nEstimators, seed: o.seed };
  const T = tasks.length;
  const predictions: SplitPredictions = { tasks, valid: new Float32Array(split.valid.length * T), test: new Float32Array(split.test.length * T) };
  const x = { valid: selectRows(dataset.features, split.valid), test: selectRows(dataset.features, split.test) };
  const baselines: TaskBaseline[] = [];
  for (let j = 0; j < T; j++) {
    let fitted: RandomForest | null = null;
    const catching: ForestFitter = async (xs, y, opts) => (fitted = await o.fit(xs, y, opts));
    baselines.push(await runTaskBaseline(dataset, split, tasks[j], { forest, labeledOnly: o.labeledOnly ?? false }, catching));
    for (const s of EVAL_SPLITS) {
      const p = fitted!.predictProba(x[s]);
      for (let r = 0; r < p.length; r++) predictions[s][r * T + j] = p[r];
    }
    o.onTask?.(tasks[j], j + 1, T);
  }
  return { seed: o.seed, trees: forest.nEstimators!, predictions, baselines };
}

/** The same forests over several seeds (the verdict's mean ± sd), one after another on the one fitter. */
export async function forestSeeds(
  dataset: MoleculeDataset,
  split: DataSplit,
  task: string,
  o: Omit<ForestPredictionOptions, 'seed' | 'onTask'> & { seeds: readonly number[]; onSeed?: (seed: number, done: number, total: number) => void },
): Promise<ForestRun[]> {
  if (o.seeds.length === 0) throw new RangeError('forestSeeds: no seeds');
  const runs: ForestRun[] = [];
  for (const seed of o.seeds) {
    runs.push(await forestPredictions(dataset, split, task, { ...o, seed }));
    o.onSeed?.(seed, runs.length, o.seeds.length);
  }
  return runs;
}
