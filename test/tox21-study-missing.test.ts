// The study's verdict stage (src/tox21/study-verdict.ts) on a scripted dataset: what a training that returns no
// predictions, a failed retrained seed, or a trial recorded for other tasks leaves out is named in `missing`, the
// verdict is still built from the rest, and nothing throws after a study has trained for minutes.
import { describe, expect, it } from 'vitest';
import type { MoleculeDataset } from '../src/data/molecule-dataset.ts';
import type { DataSplit } from '../src/data/splits.ts';
import type { TrialRecord } from '../src/hpo/trial.ts';
import type { FcnResult } from '../src/tox21/eval-hyperparams.ts';
import type { ForestRun } from '../src/tox21/forest-predictions.ts';
import { encodePredictions, type SplitPredictions } from '../src/tox21/split-predictions.ts';
import { studyVerdict } from '../src/tox21/study-verdict.ts';

const TASKS = ['A', 'B'];
const ROWS = 12; // 4 train, 4 valid, 4 test
// Labels alternate so every split holds both classes of both tasks.
const y = Float32Array.from({ length: ROWS * 2 }, (_, i) => (Math.floor(i / 2) % 2 === 0 ? 1 : 0));
const dataset = { source: 'scripted', tasks: TASKS, y, w: new Float32Array(ROWS * 2).fill(1), labelled: new Uint8Array(ROWS * 2).fill(1) } as unknown as MoleculeDataset;
const split: DataSplit = { train: Uint32Array.of(0, 1, 2, 3), valid: Uint32Array.of(4, 5, 6, 7), test: Uint32Array.of(8, 9, 10, 11) };

/** Predictions for `tasks` on 4 valid and 4 test rows: the label blurred by `noise` (deterministic). */
function preds(noise: number, tasks = TASKS): SplitPredictions {
  const at = (rows: Uint32Array) => Float32Array.from({ length: rows.length * tasks.length }, (_, i) => {
    const label = y[rows[Math.floor(i / tasks.length)] * 2 + (i % tasks.length)];
    return Math.min(1, Math.max(0, label * (1 - noise) + noise * ((i * 7919) % 13) / 13));
  });
  return { tasks: [...tasks], valid: at(split.valid), test: at(split.test) };
}

const forest = (seed: number): ForestRun => ({ seed, trees: 50, predictions: preds(0.6 + seed / 10), baselines: [] });
const trial = (id: number, p?: SplitPredictions): TrialRecord => ({
  id, params: { nHidden: 10 * (id + 1) }, state: 'complete', seeds: [0], budget: 3, intermediate: [], values: {}, seconds: 1,
  ...(p ? { detail: { predictions: encodePredictions(p) } } : {}),
});
const run = (seed: number, extra: Partial<FcnResult>): FcnResult => ({ seed, status: 'ok', ...extra }) as FcnResult;
const base = { data: { dataset, split }, plan: { task: 'all', ensembleSize: 5 }, forests: [forest(0), forest(1)], strongForests: null, objective: 'auc' as const };

describe('the study verdict with pieces missing', () => {
  it('runs without predictions: network and ensembles named as missing, the forest still judged', () => {
    const v = studyVerdict({ ...base, retrained: { seeds: [100, 101], runs: [run(100, {}), run(101, {})] }, searches: [{ trials: [trial(0), trial(1)], plan: { label: 'adaptive' } }] });
    expect(v.models.map((m) => m.kind)).toEqual(['forest']);
    expect(v.missing).toEqual([
      "network and seed ensemble: the retrained runs carry no predictions (this build's network training does not return them)",
      "selected ensembles: none of the 2 complete trials carries predictions (this build's search does not record them)",
    ]);
  });

  it('a failed seed and a trial for other tasks are left out with the reason; the rest makes all five kinds', () => {
    const v = studyVerdict({
      ...base,
      retrained: { seeds: [100, 101, 102], runs: [run(100, { predictions: preds(0.3) }), run(101, { status: 'failed', reason: 'loss became NaN at epoch 2' }), run(102, { predictions: preds(0.35) })] },
      searches: [
        { trials: [trial(0, preds(0.4)), trial(1, preds(0.2, ['A']))], plan: { label: 'wide' } },
        { trials: [trial(0, preds(0.5))], plan: { label: 'deep' } },
      ],
    });
    expect(v.models.map((m) => m.kind)).toEqual(['forest', 'network', 'seed-ensemble', 'ensemble-networks', 'ensemble-all']);
    expect(v.models[1].seeds).toEqual([100, 102]);
    expect(v.selection.candidates).toEqual({ networks: 2, all: 4 });
    expect(v.missing).toEqual([
      'retrained seed 101: loss became NaN at epoch 2',
      'searched wide trial 1: predictions for tasks [A], expected [A, B]',
    ]);
    // Trials of two searches are told apart by the search's label.
    expect(v.models.find((m) => m.kind === 'ensemble-all')!.members!.every((m) => /^(wide|deep) trial \d$|^forest seed \d$/.test(m.name))).toBe(true);
  });
});
