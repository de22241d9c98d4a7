/**
 * The one output layer (src/report/results-json.ts): the rf JSON fills the forest's defaults as the forest does
 * (no hard-coded maxDepth), the fcn and search JSON end with where they trained, and trials rank complete before
 * pruned before failed, by the objective in its direction. The browser test checks the page's JSON against the
 * CLI's; both call these builders.
 */
import { describe, expect, it } from 'vitest';
import type { DataReportJson } from '../src/data/data-report.ts';
import type { TaskBaseline } from '../src/forest/tox21-baseline.ts';
import type { AdapterSummary } from '../src/gpu/adapter-info.ts';
import type { TrialRecord } from '../src/hpo/trial.ts';
import { rankTrials, rfJson, searchJson } from '../src/report/results-json.ts';

const scores = (v: number) => ({ weightedAccuracy: v, rocAuc: v }) as TaskBaseline['metrics']['train'];
const baseline = (task: string, v: number): TaskBaseline => ({
  task, trainRows: 100, metrics: { train: scores(v), valid: scores(v), test: scores(v) }, seconds: { fit: 1, predict: 0.5 },
});
const data = { file: 'x.csv' } as unknown as DataReportJson;
const adapter = { runtime: 'node-dawn' } as unknown as AdapterSummary;

function trial(id: number, state: TrialRecord['state'], v?: number): TrialRecord {
  return { id, params: { x: id }, state, seeds: [0], budget: 1, intermediate: [], values: v === undefined ? {} : { 'valid-wacc': v }, seconds: 0 };
}

describe('results JSON', () => {
  it('rf: one task, or all with their mean; the forest’s defaults and given depth, not constants', () => {
    const split = { train: 10, valid: 3, test: 3 };
    const one = rfJson({ task: 'A', split, results: [baseline('A', 0.5)], forest: { nEstimators: 7, maxDepth: 4, classWeight: 'balanced' }, labeledOnly: true, seed: 2, threads: 3, data });
    expect(Object.keys(one)).toEqual(['model', 'task', 'split', 'trainRows', 'metrics', 'seconds', 'hyperparameters', 'seed', 'threads', 'data']);
    expect(one.hyperparameters).toEqual({
      nEstimators: 7, maxFeatures: 'sqrt', maxDepth: 4, minSamplesSplit: 2, minSamplesLeaf: 1, classWeight: 'balanced', bootstrap: true, labeledOnly: true,
    });
    const all = rfJson({ task: 'all', split, results: [baseline('A', 0.4), baseline('B', 0.6)], forest: {}, labeledOnly: false, seed: 0, threads: 1, data });
    expect(Object.keys(all.tasks!)).toEqual(['A', 'B']);
    expect(all.mean!.valid.weightedAccuracy).toBeCloseTo(0.5, 12);
    expect(all.seconds).toEqual({ fit: 2, predict: 1 });
    expect(all.hyperparameters).toMatchObject({ nEstimators: 100, maxDepth: null, classWeight: null });
  });

  it('search: the study flattened, trials ranked, where it trained last', () => {
    const trials = [trial(0, 'failed'), trial(1, 'complete', 0.6), trial(2, 'pruned', 0.9), trial(3, 'complete', 0.7), trial(4, 'complete')];
    const objective = { name: 'valid-wacc', direction: 'maximize' } as const;
    const j = searchJson({
      space: 'simple', sampler: 'grid', pruner: 'none', objective, task: 'A', reps: 1, base: {}, seconds: 1, population: 4,
      study: { name: 's', storage: 'sqlite:x.db' }, trials, best: trials[3], adapter, data,
    });
    expect(Object.keys(j)).toEqual(['space', 'sampler', 'pruner', 'objective', 'task', 'reps', 'base', 'seconds', 'population', 'study', 'storage', 'trials', 'best', 'adapter', 'data']);
    expect(j.trials.map((t) => t.id)).toEqual([3, 1, 4, 2, 0]);
    expect(rankTrials(trials, { ...objective, direction: 'minimize' }).map((t) => t.id)).toEqual([1, 3, 4, 2, 0]);
    expect(trials.map((t) => t.id)).toEqual([0, 1, 2, 3, 4]); // not sorted in place
  });
});
