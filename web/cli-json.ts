/**
 * The page's results in the shapes the CLI prints with --json (`tox21 rf`, `tox21 fcn`, `tox21 search`), so a run in
 * the browser and one in a terminal can be compared field by field. The browser test checks these shapes against
 * the CLI's own output on the same data.
 */
import {
  meanScores, type AdapterSummary, type DataReportJson, type FcnResult, type SearchResult, type SplitName, type SplitScores, type TaskBaseline, type TrialParams,
} from '../src/browser/index.ts';

export interface RfJson {
  model: 'rf';
  task: string;
  split: { train: number; valid: number; test: number };
  trainRows?: number;
  metrics?: Record<SplitName, SplitScores>;
  tasks?: Record<string, { trainRows: number; metrics: Record<SplitName, SplitScores>; seconds: { fit: number; predict: number } }>;
  mean?: Record<SplitName, SplitScores>;
  seconds: { fit: number; predict: number };
  hyperparameters: Record<string, unknown>;
  seed: number;
  threads: number;
  /** What the data load used and set aside, as the CLI reports it. */
  data: DataReportJson;
}

export function rfJson(
  task: string,
  split: RfJson['split'],
  results: TaskBaseline[],
  forest: { nEstimators: number; maxFeatures: string | number; classWeight: 'balanced' | null },
  seed: number,
  threads: number,
  data: DataReportJson,
): RfJson {
  const sum = (v: number[]) => v.reduce((a, b) => a + b, 0);
  const body =
    task === 'all'
      ? { tasks: Object.fromEntries(results.map((r) => [r.task, { trainRows: r.trainRows, metrics: r.metrics, seconds: r.seconds }])), mean: meanScores(results) }
      : { trainRows: results[0].trainRows, metrics: results[0].metrics };
  return {
    model: 'rf',
    task,
    split,
    ...body,
    seconds: { fit: sum(results.map((r) => r.seconds.fit)), predict: sum(results.map((r) => r.seconds.predict)) },
    hyperparameters: {
      nEstimators: forest.nEstimators,
      maxFeatures: forest.maxFeatures,
      maxDepth: null,
      minSamplesSplit: 2,
      minSamplesLeaf: 1,
      classWeight: forest.classWeight,
      bootstrap: true,
      labeledOnly: false,
    },
    seed,
    threads,
    data,
  };
}

export type FcnJson = Omit<FcnResult, 'tasks'> & {
  tasks?: Record<string, { metrics: Record<SplitName, SplitScores> }>;
  mean?: Record<SplitName, SplitScores>;
  adapter: AdapterSummary;
  data: DataReportJson;
};

export function fcnJson(r: FcnResult, adapter: AdapterSummary, data: DataReportJson): FcnJson {
  const { tasks, metrics, ...rest } = r;
  const body = tasks ? { tasks: Object.fromEntries(Object.entries(tasks).map(([k, m]) => [k, { metrics: m }])), mean: metrics, metrics } : { metrics };
  return { ...rest, ...body, adapter, data };
}

export interface GridJson {
  preset: string;
  strategy: string;
  task: string;
  reps: number;
  base: Record<string, unknown>;
  trials: { params: TrialParams; valid: { mean: number; sd: number }; test: { mean: number; sd: number }; status: string; runs: number }[];
  best: { params: TrialParams; valid: { mean: number; sd: number }; test: { mean: number; sd: number } } | null;
  adapter: AdapterSummary;
  data: DataReportJson;
}

export function gridJson(preset: string, task: string, reps: number, base: Record<string, unknown>, result: SearchResult, adapter: AdapterSummary, data: DataReportJson): GridJson {
  const best = result.best && { params: result.best.params, valid: { mean: result.best.valid.mean, sd: result.best.valid.sd }, test: { mean: result.best.test.mean, sd: result.best.test.sd } };
  return {
    preset,
    strategy: result.strategy,
    task,
    reps,
    base,
    trials: result.trials.map((t) => ({ params: t.params, valid: { mean: t.valid.mean, sd: t.valid.sd }, test: { mean: t.test.mean, sd: t.test.sd }, status: t.status, runs: t.runs.length })),
    best,
    adapter,
    data,
  };
}
