/**
 * The one output layer for results: the JSON objects `tox21 rf`, `tox21 fcn`, `tox21 search` and `tox21 study` print with --json,
 * built here and nowhere else, so the CLI and the training page (which calls the same builders in its worker) give
 * the same fields in the same order for the same run — the browser test compares them field by field. Plain data
 * in, plain data out: no Node, no DOM.
 */
import type { DataReportJson } from '../data/data-report.ts';
import type { ForestOptions, ForestParams } from '../forest/options.ts';
import { meanScores, type TaskBaseline } from '../forest/tox21-baseline.ts';
import type { AdapterSummary } from '../gpu/adapter-info.ts';
import type { Objective, TrialRecord } from '../hpo/trial.ts';
import type { SplitName, SplitScores } from '../metrics/split-scores.ts';
import type { BackendReport } from '../train/choose-backend.ts';
import type { FcnResult, PackingStats } from '../tox21/eval-hyperparams.ts';
import type { FcnHyperparams } from '../tox21/hyperparams.ts';
import { withoutPredictions } from '../tox21/split-predictions.ts';
import type { StudyResult } from '../tox21/study.ts';

type SplitSizes = { train: number; valid: number; test: number };
type Scores = Record<SplitName, SplitScores>;

/** Where a network trained, and on what data: the last fields of the fcn and search JSON. */
export interface TrainedOn {
  adapter: AdapterSummary;
  /** How the backend was chosen (`backendReport`); left out when not given. */
  backend?: BackendReport;
  /** What the data load used and set aside. */
  data: DataReportJson;
}

function trainedOn(t: TrainedOn): TrainedOn {
  return { adapter: t.adapter, ...(t.backend ? { backend: t.backend } : {}), data: t.data };
}

// ── tox21 rf ─────────────────────────────────────────────────────────────────────────────────────────────────────

export interface RfRun {
  /** A task's name, or 'all'. */
  task: string;
  split: SplitSizes;
  /** One per task fitted, in order. */
  results: TaskBaseline[];
  /** The forest's options as fitted (defaults filled in here, as the forest fills them). */
  forest: ForestOptions;
  labeledOnly: boolean;
  seed: number;
  /** Threads (or Web Workers) that grew the trees. */
  threads: number;
  data: DataReportJson;
}

export interface RfJson {
  model: 'rf';
  task: string;
  split: SplitSizes;
  trainRows?: number;
  metrics?: Scores;
  tasks?: Record<string, { trainRows: number; metrics: Scores; seconds: { fit: number; predict: number } }>;
  mean?: Scores;
  seconds: { fit: number; predict: number };
  /** The forest's parameters as a model stores them (less the seed, given apart, and the resolved feature count). */
  hyperparameters: Omit<ForestParams, 'featuresPerNode' | 'seed'> & { labeledOnly: boolean };
  seed: number;
  threads: number;
  /** What the data load used and set aside. */
  data: DataReportJson;
}

export function rfJson(r: RfRun): RfJson {
  const f = r.forest;
  const body =
    r.task === 'all'
      ? { tasks: Object.fromEntries(r.results.map((t) => [t.task, { trainRows: t.trainRows, metrics: t.metrics, seconds: t.seconds }])), mean: meanScores(r.results) }
      : { trainRows: r.results[0].trainRows, metrics: r.results[0].metrics };
  return {
    model: 'rf',
    task: r.task,
    split: r.split,
    ...body,
    seconds: { fit: sum(r.results.map((t) => t.seconds.fit)), predict: sum(r.results.map((t) => t.seconds.predict)) },
    hyperparameters: {
      nEstimators: f.nEstimators ?? 100,
      maxFeatures: f.maxFeatures ?? 'sqrt',
      maxDepth: f.maxDepth ?? null,
      minSamplesSplit: f.minSamplesSplit ?? 2,
      minSamplesLeaf: f.minSamplesLeaf ?? 1,
      classWeight: f.classWeight ?? null,
      bootstrap: f.bootstrap ?? true,
      labeledOnly: r.labeledOnly,
    },
    seed: r.seed,
    threads: r.threads,
    data: r.data,
  };
}

// ── tox21 fcn ────────────────────────────────────────────────────────────────────────────────────────────────────

export type FcnJson = Omit<FcnResult, 'tasks' | 'predictions'> & TrainedOn & {
  /** With task 'all': each task's metrics; `mean` and `metrics` are then their mean. */
  tasks?: Record<string, { metrics: Scores }>;
  mean?: Scores;
};

/** The probabilities stay out: they are for the study's ensembles, and the JSON keeps its shape and size. */
export function fcnJson(r: FcnResult, on: TrainedOn): FcnJson {
  const { tasks, metrics, predictions: _, ...rest } = r;
  const body = tasks ? { tasks: Object.fromEntries(Object.entries(tasks).map(([k, m]) => [k, { metrics: m }])), mean: metrics, metrics } : { metrics };
  return { ...rest, ...body, ...trainedOn(on) };
}

// ── tox21 search ─────────────────────────────────────────────────────────────────────────────────────────────────

export interface SearchRun extends TrainedOn {
  /** The preset's name or the --space text. */
  space: string;
  sampler: string;
  pruner: string;
  objective: Objective;
  task: string;
  reps: number;
  /** Hyperparameters every configuration started from (the space's keys override them). */
  base: Partial<FcnHyperparams>;
  seconds: number;
  /** Most models trained at once. */
  population: number;
  /** How much of the hidden units its populations computed were padding or idle slots. */
  packing?: PackingStats;
  /** Why the search ended early (a timeout), if it did. */
  stopped?: string;
  /** Where a stored search's trials are. */
  study?: { name: string; storage: string };
  trials: readonly TrialRecord[];
  /** The search's best trial (the runner's choice, on the objective, validation only). */
  best: TrialRecord | null;
}

/** SearchRun with the study flattened (`study`, `storage`) and the trials ranked. */
export type SearchJson = Omit<SearchRun, 'study' | 'trials'> & {
  study?: string;
  storage?: string;
  /** Every trial, best first (see rankTrials). */
  trials: TrialRecord[];
};

/** Trials without their stored probabilities (see fcnJson). */
export function searchJson(r: SearchRun): SearchJson {
  return {
    space: r.space, sampler: r.sampler, pruner: r.pruner, objective: r.objective, task: r.task, reps: r.reps, base: r.base, seconds: r.seconds,
    population: r.population, ...(r.packing ? { packing: r.packing } : {}), ...(r.stopped ? { stopped: r.stopped } : {}), ...(r.study ? { study: r.study.name, storage: r.study.storage } : {}),
    trials: rankTrials(r.trials.map(withoutPredictions), r.objective), best: r.best && withoutPredictions(r.best), ...trainedOn(r),
  };
}

/**
 * Trials as the search's table and JSON list them: complete before pruned before failed, then by the objective in
 * its direction (a missing value last), then by id.
 */
export function rankTrials(trials: readonly TrialRecord[], objective: Objective): TrialRecord[] {
  const sign = objective.direction === 'minimize' ? -1 : 1;
  const key = (t: TrialRecord) => {
    const v = t.values[objective.name];
    const tier = t.state === 'complete' ? 2 : t.state === 'pruned' ? 1 : 0;
    return { tier, v: typeof v === 'number' && Number.isFinite(v) ? sign * v : -Infinity };
  };
  return [...trials].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    return kb.tier - ka.tier || (kb.v === ka.v ? 0 : kb.v > ka.v ? 1 : -1) || a.id - b.id;
  });
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

// ── tox21 study ──────────────────────────────────────────────────────────────────────────────────────────────────

/**
 * `tox21 study --json`: the study's result (already lean: the ensembles' prediction arrays stay out), the report
 * file it wrote (null when it could not), and its data section joined with what the load used and set aside.
 */
export function studyJson(r: StudyResult, report: string | null, data: DataReportJson): StudyResult & { report: string | null } {
  return { ...r, report, data: { ...r.data, ...data } };
}
