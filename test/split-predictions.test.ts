// Predictions on valid and test as every model family hands them to the verdict: targets from the dataset (missing
// labels weigh 0), per-task scores checked by hand, one-class tasks skipped and counted, and the serialized form a
// trial record carries (base64 of little-endian float32) round-tripping bit for bit.
import { describe, expect, it } from 'vitest';
import type { MoleculeDataset } from '../src/data/molecule-dataset.ts';
import type { TrialRecord } from '../src/hpo/trial.ts';
import {
  checkSplitPredictions, decodePredictions, encodePredictions, evalTargets, meanPredictions, scoreSplit, selectTasks, splitTargets, trialPredictions, withoutPredictions,
  type SplitPredictions,
} from '../src/tox21/split-predictions.ts';

/** Six rows, three tasks; `null` is a missing label. Weights: positives 2, negatives 1. */
function dataset(labels: (number | null)[][]): MoleculeDataset {
  const rows = labels.length, T = labels[0].length;
  const y = new Float32Array(rows * T), w = new Float32Array(rows * T), labelled = new Uint8Array(rows * T);
  labels.forEach((row, r) => row.forEach((v, t) => {
    if (v === null) return;
    labelled[r * T + t] = 1;
    y[r * T + t] = v;
    w[r * T + t] = v ? 2 : 1;
  }));
  return {
    source: 'scripted', tasks: ['A', 'B', 'C'].slice(0, T), ids: null, smiles: labels.map(() => 'C'), rowIndex: Uint32Array.from(labels.keys()),
    y, w, labelled, features: { nBits: 8, offsets: new Uint32Array(rows + 1), indices: new Uint16Array(0) },
  };
}

const ds = dataset([
  [1, 0, 0],
  [0, null, 0],
  [1, 1, 0],
  [0, 0, null],
  [0, 1, 0],
  [1, 0, 0],
]);

describe('targets', () => {
  it('takes the split rows in order and weighs a missing label 0', () => {
    const t = splitTargets(ds, [3, 1], ['C', 'B']);
    expect(t.tasks).toEqual(['C', 'B']);
    expect(t.rows).toBe(2);
    // Row 3: C missing, B 0; row 1: C 0, B missing.
    expect(Array.from(t.labels)).toEqual([0, 0, 0, 0]);
    expect(Array.from(t.weights)).toEqual([0, 1, 1, 0]);
    expect(() => splitTargets(ds, [0], ['Z'])).toThrow('no task "Z" in scripted');
  });
});

describe('scoring', () => {
  const t = splitTargets(ds, [0, 1, 2, 3, 4, 5]);
  //           A     B     C
  const p = Float32Array.from([
    0.9, 0.2, 0.1, // row 0: A 1, B 0, C 0
    0.6, 0.9, 0.7, // row 1: A 0, B —, C 0
    0.4, 0.8, 0.3, // row 2: A 1, B 1, C 0
    0.3, 0.5, 0.9, // row 3: A 0, B 0, C —
    0.6, 0.4, 0.2, // row 4: A 0, B 1, C 0
    0.7, 0.1, 0.8, // row 5: A 1, B 0, C 0
  ]);

  it('gives each task its ROC-AUC and weighted accuracy, and means over the tasks that have them', () => {
    const s = scoreSplit(p, t);
    // A: positives 0.9 0.4 0.7, negatives 0.6 0.3 0.6. Pairs won: 0.9 → 3, 0.4 → 1, 0.7 → 3: 7/9.
    // A, ŷ = p > 0.5: rows 0 ✓(2) 1 ✗(1) 2 ✗(2) 3 ✓(1) 4 ✗(1) 5 ✓(2): 5 / 9.
    expect(s.perTask.A.auc).toBeCloseTo(7 / 9, 12);
    expect(s.perTask.A.wacc).toBeCloseTo(5 / 9, 12);
    // B (row 1 missing): positives 0.8 0.4, negatives 0.2 0.5 0.1: 0.8 → 3, 0.4 → 2: 5/6.
    // ŷ: row 0 ✓(1) 2 ✓(2) 3 ✓(1; 0.5 is not > 0.5) 4 ✗(2) 5 ✓(1): 5 / 7.
    expect(s.perTask.B.auc).toBeCloseTo(5 / 6, 12);
    expect(s.perTask.B.wacc).toBeCloseTo(5 / 7, 12);
    // C has no positive: no AUC, skipped and counted; its accuracy (all negatives, weight 1): rows 0 2 4 ✓, 1 5 ✗: 3/5.
    expect(s.perTask.C.auc).toBeNaN();
    expect(s.perTask.C.wacc).toBeCloseTo(3 / 5, 12);
    expect(s.auc).toBeCloseTo((7 / 9 + 5 / 6) / 2, 12);
    expect(s.wacc).toBeCloseTo((5 / 9 + 5 / 7 + 3 / 5) / 3, 12);
    expect(s.tasksScored).toEqual({ auc: 2, wacc: 3 });
    expect(s.skipped).toEqual([{ task: 'C', metric: 'auc', reason: expect.stringContaining('only one class') }]);
  });

  it('says why when no task has a value, rather than a silent NaN', () => {
    const only = splitTargets(ds, [0, 1, 2, 3, 4, 5], ['C']);
    const s = scoreSplit(Float32Array.from([0.1, 0.7, 0.3, 0.9, 0.2, 0.8]), only);
    expect(s.auc).toBeNaN();
    expect(s.tasksScored.auc).toBe(0);
    expect(s.skipped.map((k) => k.task)).toEqual(['C']);
    expect(() => scoreSplit(p.subarray(1), t)).toThrow('17 predictions for 6 rows × 3 tasks');
  });

  it('checks a model\'s predictions against the targets in one line', () => {
    const targets = evalTargets(ds, { train: new Uint32Array(0), valid: Uint32Array.of(0, 1), test: Uint32Array.of(2, 3, 4) });
    const ok: SplitPredictions = { tasks: ['A', 'B', 'C'], valid: new Float32Array(6).fill(0.5), test: new Float32Array(9).fill(0.5) };
    expect(() => checkSplitPredictions('trial 3', ok, targets)).not.toThrow();
    expect(() => checkSplitPredictions('trial 3', { ...ok, tasks: ['A', 'C', 'B'] }, targets)).toThrow('trial 3: predictions for tasks [A, C, B], expected [A, B, C]');
    expect(() => checkSplitPredictions('trial 3', { ...ok, test: new Float32Array(6) }, targets)).toThrow('trial 3: 6 test predictions, expected 3 rows × 3 tasks = 9');
    const nan = Float32Array.from(ok.valid);
    nan[4] = Number.NaN;
    expect(() => checkSplitPredictions('trial 3', { ...ok, valid: nan }, targets)).toThrow('trial 3: valid prediction at row 1, task B is NaN');
  });
});

describe('averages and columns', () => {
  const a: SplitPredictions = { tasks: ['A', 'B'], valid: Float32Array.of(0.2, 0.4, 0.6, 0.8), test: Float32Array.of(1, 0) };
  const b: SplitPredictions = { tasks: ['A', 'B'], valid: Float32Array.of(0.4, 0.4, 0.2, 0), test: Float32Array.of(0, 0) };

  it('a seed ensemble is the mean probability', () => {
    const m = meanPredictions([a, b]);
    expect(Array.from(m.valid)).toEqual(Array.from(Float32Array.of(0.3, 0.4, 0.4, 0.4)));
    expect(Array.from(m.test)).toEqual([0.5, 0]);
    expect(() => meanPredictions([a, { ...b, tasks: ['B', 'A'] }])).toThrow('model 1 predicts 4 valid values for [B, A]');
    expect(() => meanPredictions([])).toThrow('no predictions');
  });

  it('selects task columns by name', () => {
    const s = selectTasks(a, ['B']);
    expect(s.tasks).toEqual(['B']);
    expect(Array.from(s.valid)).toEqual(Array.from(Float32Array.of(0.4, 0.8)));
    expect(Array.from(s.test)).toEqual([0]);
    expect(() => selectTasks(a, ['NR-AR'])).toThrow('no task "NR-AR"');
  });
});

describe('serialized predictions', () => {
  it('are base64 of little-endian float32', () => {
    const e = encodePredictions({ tasks: ['NR-AR'], valid: Float32Array.of(1), test: Float32Array.of(-2, 0.5) });
    // 1.0f = 0x3f800000 → bytes 00 00 80 3f; -2.0f = 0xc0000000; 0.5f = 0x3f000000.
    expect(e).toEqual({ encoding: 'float32le-base64', tasks: ['NR-AR'], rows: { valid: 1, test: 2 }, valid: 'AACAPw==', test: 'AAAAwAAAAD8=' });
  });

  it('round-trip through JSON bit for bit, awkward values included', () => {
    const n = 1567 * 12; // a Tox21 valid + test split of twelve tasks, past the encoder's chunk size
    const valid = new Float32Array(n);
    for (let i = 0; i < n; i++) valid[i] = Math.sin(i * 12.9898) * 0.5 + 0.5;
    valid.set([0, -0, 1e-45, 3.4028234663852886e38, 1 / 3, 0.1], 0);
    const p: SplitPredictions = { tasks: Array.from({ length: 12 }, (_, t) => `task <${t}>`), valid, test: valid.slice(0, 12 * 5) };
    const back = decodePredictions(JSON.parse(JSON.stringify(encodePredictions(p))), 'trial 0');
    expect(back.tasks).toEqual(p.tasks);
    expect(new Uint32Array(back.valid.buffer)).toEqual(new Uint32Array(p.valid.buffer));
    expect(new Uint32Array(back.test.buffer)).toEqual(new Uint32Array(p.test.buffer));
    // An empty split (a study without test rows) round-trips too.
    const empty = decodePredictions(encodePredictions({ tasks: ['A'], valid: Float32Array.of(0.5), test: new Float32Array(0) }));
    expect(empty.test.length).toBe(0);
  });

  it('name the record and the problem when damaged', () => {
    const good = encodePredictions({ tasks: ['A', 'B'], valid: Float32Array.of(0.1, 0.2), test: Float32Array.of(0.3, 0.4) });
    expect(() => decodePredictions(null, 'trial 4')).toThrow('trial 4: predictions must be an object, got null');
    expect(() => decodePredictions({ ...good, encoding: 'f64' }, 'trial 4')).toThrow('trial 4: predictions encoding must be "float32le-base64", got "f64"');
    expect(() => decodePredictions({ ...good, rows: { valid: 2, test: 1 } }, 'trial 4')).toThrow('trial 4: predictions.valid holds 2 values, expected 2 rows × 2 tasks');
    expect(() => decodePredictions({ ...good, test: '@@@' }, 'trial 4')).toThrow('trial 4: predictions.test is not valid base64');
    expect(() => decodePredictions({ ...good, test: 'AAA=' }, 'trial 4')).toThrow('decodes to 2 bytes');
    expect(() => decodePredictions({ ...good, tasks: [] }, 'trial 4')).toThrow('non-empty list of task names');
    expect(() => encodePredictions({ tasks: ['A', 'B'], valid: Float32Array.of(1, 2, 3), test: Float32Array.of() })).toThrow('3 valid values do not form rows × 2 tasks');
  });

  it('live in a trial record under detail.predictions', () => {
    const p: SplitPredictions = { tasks: ['A'], valid: Float32Array.of(0.25), test: Float32Array.of(0.75) };
    const trial: TrialRecord = { id: 7, params: {}, state: 'complete', seeds: [0], budget: 1, intermediate: [], values: {}, seconds: 1, detail: { predictions: encodePredictions(p) } };
    const back = trialPredictions(JSON.parse(JSON.stringify(trial)));
    expect(back && Array.from(back.test)).toEqual([0.75]);
    expect(trialPredictions({ ...trial, detail: {} })).toBeNull();
    const light = withoutPredictions({ ...trial, detail: { ...trial.detail, bestEpoch: 4 } });
    expect(light.detail).toEqual({ bestEpoch: 4 });
    expect(trial.detail!.predictions).toBeDefined(); // the original is left alone
    expect(withoutPredictions({ ...trial, detail: undefined }).detail).toBeUndefined();
    expect(() => trialPredictions({ ...trial, detail: { predictions: { encoding: 'x' } } })).toThrow('trial 7: predictions encoding');
  });
});
