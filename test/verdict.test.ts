// The verdict across model families on scripted predictions: every number of a one-task verdict worked out by
// hand below, the ensembles' picks and weights included; a three-task verdict (means over tasks, a task without
// test positives kept out and reported); the margin rule; and test predictions that never reach selection.
import { describe, expect, it } from 'vitest';
import { applyEnsemble } from '../src/ensemble/aggregator.ts';
import { Rng } from '../src/random/rng.ts';
import { meanSd } from '../src/stats/mean-sd.ts';
import { encodePredictions, meanPredictions, scorePredictions, scoreSplit, type EvalTargets, type SplitPredictions } from '../src/tox21/split-predictions.ts';
import { buildVerdict, MARGIN_RULE, searchedNetworks, type VerdictInput, type VerdictModel } from '../src/tox21/verdict.ts';

const F = (valid: number[], test: number[], tasks = ['NR-AR']): SplitPredictions => ({ tasks, valid: Float32Array.from(valid), test: Float32Array.from(test) });
const ones = (n: number) => new Float32Array(n).fill(1);

/*
 * NR-AR. Validation rows 0-2 positive, 3-5 negative; test rows 0-1 positive, 2-3 negative; all weights 1.
 * AUC = (pairs positive > negative + ½ ties) / 9 on validation, / 4 on test; weighted accuracy with ŷ = p > 0.5.
 *
 *                    valid                            AUC   wacc | test                 AUC  wacc
 *   forest seed 0    .8  .3  .6 | .4  .2  .7          6/9   4/6  | .7  .4 | .6  .1      3/4  2/4
 *   forest seed 1    .9  .4  .6 | .3  .5  .2          8/9   5/6  | .6  .8 | .3  .2      1    1
 *   200 trees, 0     .7  .3  .6 | .4  .2  .35         7/9   5/6  | .6  .45| .5  .1      3/4  3/4
 *   network 100      .7  .8  .2 | .1  .6  .3          7/9   4/6  | .9  .35| .4  .2      3/4  3/4
 *   network 101      .6  .9  .4 | .2  .3  .1          1     5/6  | .5  .7 | .2  .1      1    3/4
 *   seed ensemble    .65 .85 .3 | .15 .45 .2          8/9   5/6  | .7  .525| .3 .15     1    1
 *   trial 0          .9  .2  .8 | .3  .1  .7          7/9        | .8  .6 | .3  .2
 *   trial 1          .3  .9  .4 | .2  .5  .1          7/9        | .4  .9 | .7  .1
 *   trial 2          .05 .65 .45| .3  .2  .5          5/9        | .2  .9 | .6  .3
 *
 * Ensemble of networks (mean of probabilities, 2 picks): trials 0 and 1 tie at 7/9, trial 0 first. Then
 * 0+0: 7/9; 0+1 = [1.2 1.1 1.2 | .5 .6 .8]: 1; 0+2 = [.95 .85 1.25 | .6 .3 1.2]: 2+2+3 = 7/9. → trial 1.
 * Valid (0+1)/2 = [.6 .55 .6 | .25 .3 .4]: AUC 1, wacc 1. Test (0+1)/2 = [.6 .75 | .5 .15]: AUC 1, wacc 1.
 *
 * Ensemble of networks and forests (ranks, 2 picks). Ranks on validation (0 = lowest):
 *   trial 0 [5 1 4 | 2 0 3], trial 1 [2 5 3 | 1 4 0], trial 2 [0 5 3 | 2 1 4],
 *   forest 0 [5 1 3 | 2 0 4], forest 1 [5 2 4 | 1 3 0], 200 trees [5 1 4 | 3 0 2].
 * Pick 1: the best single, forest seed 1 (8/9). Pick 2, forest 1 + X: trial 0 [10 3 8 | 3 3 3] 7.5/9;
 * trial 1 [7 7 7 | 2 7 0] 7.5/9; trial 2 [5 7 7 | 3 4 4] 1; forest 0 [10 3 7 | 3 3 4] 7/9; forest 1 8/9;
 * 200 trees [10 3 8 | 4 3 2] 7.5/9. → trial 2: weights ½ trial 2, ½ forest seed 1. Valid AUC 1.
 * Its weighted accuracy is the mean probability's: [.475 .525 .525 | .3 .35 .35] → 5/6.
 * Test ranks: forest 1 [2 3 | 1 0], trial 2 [0 3 | 2 1] → [2 6 | 3 1]: AUC 3/4; mean [.4 .85 | .45 .25]: 3/4.
 */
const targets: EvalTargets = {
  valid: { tasks: ['NR-AR'], rows: 6, labels: Float32Array.of(1, 1, 1, 0, 0, 0), weights: ones(6) },
  test: { tasks: ['NR-AR'], rows: 4, labels: Float32Array.of(1, 1, 0, 0), weights: ones(4) },
};
const forest = { seeds: [0, 1], predictions: [F([0.8, 0.3, 0.6, 0.4, 0.2, 0.7], [0.7, 0.4, 0.6, 0.1]), F([0.9, 0.4, 0.6, 0.3, 0.5, 0.2], [0.6, 0.8, 0.3, 0.2])] };
const strongForest = { seeds: [0], predictions: [F([0.7, 0.3, 0.6, 0.4, 0.2, 0.35], [0.6, 0.45, 0.5, 0.1])] };
const network = { seeds: [100, 101], predictions: [F([0.7, 0.8, 0.2, 0.1, 0.6, 0.3], [0.9, 0.35, 0.4, 0.2]), F([0.6, 0.9, 0.4, 0.2, 0.3, 0.1], [0.5, 0.7, 0.2, 0.1])] };
const searched = [
  { name: 'trial 0', predictions: F([0.9, 0.2, 0.8, 0.3, 0.1, 0.7], [0.8, 0.6, 0.3, 0.2]) },
  { name: 'trial 1', predictions: F([0.3, 0.9, 0.4, 0.2, 0.5, 0.1], [0.4, 0.9, 0.7, 0.1]) },
  { name: 'trial 2', predictions: F([0.05, 0.65, 0.45, 0.3, 0.2, 0.5], [0.2, 0.9, 0.6, 0.3]) },
];
const input: VerdictInput = { task: 'NR-AR', targets, forest, strongForest, network, searched, options: { size: 2 } };

const sd2 = (a: number, b: number) => Math.abs(a - b) / Math.SQRT2; // sample sd of two values
function expectScores(m: VerdictModel | undefined, want: { valid: number[]; test: number[]; sd?: { valid: number[]; test: number[] } }) {
  expect(m).toBeDefined();
  for (const s of ['valid', 'test'] as const) {
    expect(m![s].auc).toBeCloseTo(want[s][0], 12);
    expect(m![s].wacc).toBeCloseTo(want[s][1], 12);
    if (want.sd) {
      expect(m![s].sd!.auc).toBeCloseTo(want.sd[s][0], 12);
      expect(m![s].sd!.wacc).toBeCloseTo(want.sd[s][1], 12);
    } else expect(m![s].sd).toBeUndefined();
  }
}

describe('verdict on one task, worked out by hand', () => {
  const { verdict, ensembles } = buildVerdict(input);
  const model = (kind: string, nth = 0) => verdict.models.filter((m) => m.kind === kind)[nth];

  it('scores each family: forests and the retrained network as mean ± sd over seeds, the ensembles once', () => {
    expect(verdict.task).toBe('NR-AR');
    expect(verdict.models.map((m) => m.kind)).toEqual(['forest', 'forest', 'network', 'seed-ensemble', 'ensemble-networks', 'ensemble-all']);
    expect(verdict.models.map((m) => m.seeds)).toEqual([[0, 1], [0], [100, 101], [100, 101], [], []]);
    expectScores(model('forest'), { valid: [7 / 9, 3 / 4], test: [7 / 8, 3 / 4], sd: { valid: [sd2(6 / 9, 8 / 9), sd2(4 / 6, 5 / 6)], test: [sd2(3 / 4, 1), sd2(1 / 2, 1)] } });
    expectScores(model('forest', 1), { valid: [7 / 9, 5 / 6], test: [3 / 4, 3 / 4] });
    expectScores(model('network'), { valid: [8 / 9, 3 / 4], test: [7 / 8, 3 / 4], sd: { valid: [sd2(7 / 9, 1), sd2(4 / 6, 5 / 6)], test: [sd2(3 / 4, 1), 0] } });
    expectScores(model('seed-ensemble'), { valid: [8 / 9, 5 / 6], test: [1, 1] });
    expectScores(model('ensemble-networks'), { valid: [1, 1], test: [1, 1] });
    expectScores(model('ensemble-all'), { valid: [1, 5 / 6], test: [3 / 4, 3 / 4] });
    expect(model('forest').name).toBe('random forest (50 trees, balanced)');
    expect(model('forest', 1).name).toBe('random forest (200 trees, balanced)');
    expect(model('forest').perTask).toBeUndefined();
  });

  it('selects the ensembles greedily on validation, picks and weights as worked out', () => {
    expect(ensembles.networks!.selection.picks).toEqual([0, 1]);
    expect(model('ensemble-networks').members).toEqual([{ name: 'trial 0', weight: 0.5 }, { name: 'trial 1', weight: 0.5 }]);
    expect(model('ensemble-networks').aggregator).toBe('mean');
    // Candidates: trials 0-2, then forest seeds 0 and 1, then the 200-tree forest's seed 0.
    expect(ensembles.all!.selection.picks).toEqual([4, 2]);
    expect(ensembles.all!.selection.scores).toEqual([8 / 9, 1]);
    expect(model('ensemble-all').members).toEqual([{ name: 'trial 2', weight: 0.5 }, { name: 'forest seed 1', weight: 0.5 }]);
    expect(model('ensemble-all').aggregator).toBe('rank');
    expect(model('ensemble-all').note).toContain('weighted mean of the members');
    expect(verdict.selection).toEqual({ objective: 'valid-auc', size: 2, candidates: { networks: 3, all: 6 } });
    expect(verdict.missing).toEqual([]);
    expect(verdict.excluded).toEqual([]);
  });

  it('says which family wins each cell, by how much, and whether that exceeds the seeds\' spread', () => {
    const c = (split: string, metric: string) => verdict.comparisons.find((x) => x.split === split && x.metric === metric)!;
    expect(verdict.comparisons.map((x) => `${x.scope} ${x.split} ${x.metric}`)).toEqual(['NR-AR valid auc', 'NR-AR valid wacc', 'NR-AR test auc', 'NR-AR test wacc']);
    // Valid AUC: the ensemble of networks and the blend both reach 1.
    expect(c('valid', 'auc')).toMatchObject({ winner: null, margin: 0, note: 'a tie between network and blend' });
    // Valid w-acc: the ensemble of networks (1) over the 200-tree forest (5/6); spread = the larger of the network's
    // and the forests' sds, both sd2(4/6, 5/6) ≈ 0.118, so the margin 1/6 is under 2 · 0.118.
    const vw = c('valid', 'wacc');
    expect(vw.winner).toBe('network');
    expect(vw.ranking.map((r) => [r.family, r.model])).toEqual([['network', model('ensemble-networks').name], ['forest', 'random forest (200 trees, balanced)'], ['blend', model('ensemble-all').name]]);
    expect(vw.margin).toBeCloseTo(1 / 6, 12);
    expect(vw.spread).toBeCloseTo(sd2(4 / 6, 5 / 6), 12);
    expect(vw.exceedsSpread).toBe(false);
    expect(vw.networkMinusForest).toBeCloseTo(1 / 6, 12);
    expect(c('valid', 'auc').networkMinusForest).toBeCloseTo(1 - 7 / 9, 12);
    // Test AUC: the seed ensemble (1, first of the network family's ties) over the forest's 7/8.
    expect(c('test', 'auc')).toMatchObject({ winner: 'network', exceedsSpread: false });
    expect(c('test', 'auc').ranking[0].model).toBe(model('seed-ensemble').name);
    expect(c('test', 'auc').margin).toBeCloseTo(1 / 8, 12);
    expect(c('test', 'wacc').margin).toBeCloseTo(1 / 4, 12);
    expect(c('test', 'wacc').spread).toBeCloseTo(sd2(1 / 2, 1), 12); // the network's sd is 0; the forest's counts
    expect(verdict.rule).toBe(MARGIN_RULE);
  });

  it('a margin beyond twice the spread is said to exceed it; one seed has no spread', () => {
    const strong = { seeds: [0, 1], predictions: [F([0.9, 0.8, 0.7, 0.3, 0.2, 0.1], [0.9, 0.8, 0.2, 0.1]), F([0.9, 0.8, 0.7, 0.3, 0.2, 0.15], [0.9, 0.8, 0.2, 0.1])] };
    const weak = { seeds: [5, 6], predictions: [F([0.1, 0.2, 0.3, 0.7, 0.8, 0.9], [0.1, 0.2, 0.8, 0.9]), F([0.1, 0.2, 0.3, 0.7, 0.8, 0.9], [0.1, 0.2, 0.8, 0.9])] };
    const v = buildVerdict({ task: 'NR-AR', targets, forest: strong, network: weak }).verdict;
    expect(v.models.map((m) => m.kind)).toEqual(['forest', 'network', 'seed-ensemble']);
    expect(v.missing).toEqual(['selected ensembles: no searched network carries predictions']);
    const auc = v.comparisons.find((x) => x.split === 'valid' && x.metric === 'auc')!;
    expect(auc).toMatchObject({ winner: 'forest', margin: 1, spread: 0, exceedsSpread: true });
    const one = buildVerdict({ task: 'NR-AR', targets, forest: { seeds: [0], predictions: [strong.predictions[0]] }, network: { seeds: [5], predictions: [weak.predictions[0]] } }).verdict;
    expect(one.comparisons[0]).toMatchObject({ winner: 'forest', exceedsSpread: null });
    expect(one.comparisons[0].spread).toBeNaN();
    const alone = buildVerdict({ task: 'NR-AR', targets, forest: strong }).verdict;
    expect(alone.missing[0]).toContain('no retrained network');
    expect(alone.comparisons[0]).toMatchObject({ winner: 'forest', note: 'only one family has a value here' });
  });

  it('refuses predictions that do not fit, in one line', () => {
    expect(() => buildVerdict({ ...input, task: 'SR-MMP' })).toThrow('verdict: task "SR-MMP" but targets for [NR-AR]');
    expect(() => buildVerdict({ ...input, forest: { seeds: [0, 1], predictions: [forest.predictions[0]] } })).toThrow('forest has 1 predictions for 2 seeds');
    expect(() => buildVerdict({ ...input, searched: [{ name: 'trial 9', predictions: F([0.5], [0.5]) }] })).toThrow('verdict: searched network trial 9: 1 valid predictions, expected 6 rows × 1 tasks = 6');
    expect(() => buildVerdict({ ...input, options: { objective: 'wacc' } })).toThrow('a rank average has no 0.5 threshold');
  });
});

describe('test predictions never choose', () => {
  it('garbled or permuted test predictions leave every pick, weight and validation score unchanged', () => {
    const garble = (p: SplitPredictions, seed: number): SplitPredictions => {
      const r = new Rng(seed);
      return { ...p, test: p.test.map(() => r.float()) };
    };
    const permuted = [searched[2].predictions.test, searched[0].predictions.test, searched[1].predictions.test];
    const variants: VerdictInput[] = [
      { ...input, searched: searched.map((s, i) => ({ ...s, predictions: garble(s.predictions, i) })), forest: { ...forest, predictions: forest.predictions.map((p, i) => garble(p, 10 + i)) } },
      { ...input, searched: searched.map((s, i) => ({ ...s, predictions: { ...s.predictions, test: permuted[i] } })) },
    ];
    for (const options of [{ size: 2 }, { size: 2, bags: 4, bagFraction: 0.5 }]) {
      const base = buildVerdict({ ...input, options });
      if (options.bags) expect(base.verdict.selection).toMatchObject({ bags: 4, bagFraction: 0.5 });
      for (const v of variants) {
        const b = buildVerdict({ ...v, options });
        for (const k of ['networks', 'all'] as const) {
          expect(b.ensembles[k]!.selection).toEqual(base.ensembles[k]!.selection);
          expect(Array.from(b.ensembles[k]!.valid)).toEqual(Array.from(base.ensembles[k]!.valid));
        }
        expect(b.verdict.models.map((m) => [m.members, m.valid])).toEqual(base.verdict.models.map((m) => [m.members, m.valid]));
      }
    }
    // The test split does get the chosen weights applied to its own predictions.
    const g = buildVerdict(variants[0]);
    const cands = [...variants[0].searched!.map((s) => s.predictions.test), ...variants[0].forest.predictions.map((p) => p.test), strongForest.predictions[0].test];
    expect(Array.from(g.ensembles.all!.test!)).toEqual(Array.from(applyEnsemble(g.ensembles.all!.selection.weights, cands, { rows: 4, tasks: 1 }, 'rank')));
  });
});

describe('verdict over three tasks', () => {
  // SR-X has positives everywhere; EMPTY has a positive in validation only, so the test means skip it.
  const tasks = ['NR-AR', 'SR-X', 'EMPTY'];
  const rows = { valid: 12, test: 8 };
  const labels = {
    valid: [[1, 0, 1], [0, 1, 0], [1, 1, 0], [0, 0, 0], [0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 0], [0, 0, 0], [1, 0, 0], [0, 0, 0], [0, 1, 0]],
    test: [[1, 0, 0], [0, 1, 0], [0, 0, 0], [1, 1, 0], [0, 0, 0], [0, 0, 0], [1, 0, 0], [0, 1, 0]],
  };
  const t: EvalTargets = {
    valid: { tasks, rows: rows.valid, labels: Float32Array.from(labels.valid.flat()), weights: Float32Array.from(labels.valid.flat(), (y) => (y ? 3 : 1)) },
    test: { tasks, rows: rows.test, labels: Float32Array.from(labels.test.flat()), weights: Float32Array.from(labels.test.flat(), (y) => (y ? 3 : 1)) },
  };
  t.valid.weights[3 * 3 + 1] = 0; // a missing SR-X label
  // Each model: the labels plus seeded noise of its own size, so the families differ and seeds vary.
  const noisy = (seed: number, noise: number): SplitPredictions => {
    const r = new Rng(seed);
    const make = (y: Float32Array) => y.map((v) => Math.min(1, Math.max(0, 0.3 + 0.4 * v + noise * (r.float() - 0.5))));
    return { tasks, valid: make(t.valid.labels), test: make(t.test.labels) };
  };
  const many: VerdictInput = {
    task: 'all', targets: t,
    forest: { seeds: [0, 1, 2], predictions: [0, 1, 2].map((s) => noisy(s, 1.2)) },
    strongForest: { seeds: [0], predictions: [noisy(50, 1.0)] },
    network: { seeds: [100, 101], predictions: [100, 101].map((s) => noisy(s, 1.4)) },
    searched: [200, 201, 202, 203].map((s) => ({ name: `trial ${s - 200}`, predictions: noisy(s, 1.6) })),
    options: { size: 5 },
  };
  const { verdict } = buildVerdict(many);

  it('reports means over the tasks a split can score, each task\'s values, and the task it kept out', () => {
    expect(verdict.task).toBe('all');
    expect(verdict.tasks).toEqual(tasks);
    expect(verdict.excluded).toEqual([{ split: 'test', task: 'EMPTY', metric: 'auc', reason: expect.stringContaining('only one class') }]);
    const f = verdict.models[0];
    const runs = many.forest.predictions.map((p) => scorePredictions(p, t));
    const want = meanSd(runs.map((r) => r.test.auc));
    expect(f.test.auc).toBeCloseTo(want.mean, 12);
    expect(f.test.sd!.auc).toBeCloseTo(want.sd, 12);
    expect(f.test.auc).toBeCloseTo(meanSd(runs.map((r) => (r.test.perTask['NR-AR'].auc + r.test.perTask['SR-X'].auc) / 2)).mean, 12);
    expect(Object.keys(f.perTask!)).toEqual(tasks);
    expect(f.perTask!['SR-X'].valid.wacc).toBeCloseTo(meanSd(runs.map((r) => r.valid.perTask['SR-X'].wacc)).mean, 12);
    expect(f.perTask!.EMPTY.test.auc).toBeNaN();
    expect(f.perTask!.EMPTY.valid.auc).not.toBeNaN();
    const seedEnsemble = verdict.models.find((m) => m.kind === 'seed-ensemble')!;
    const direct = scoreSplit(meanPredictions(many.network!.predictions).test, t.test);
    expect(seedEnsemble.test.auc).toBeCloseTo(direct.auc, 12);
    expect(seedEnsemble.perTask!['NR-AR'].test.wacc).toBeCloseTo(direct.perTask['NR-AR'].wacc, 12);
    for (const m of verdict.models) for (const s of ['valid', 'test'] as const) expect(Number.isFinite(m[s].auc) && Number.isFinite(m[s].wacc)).toBe(true);
  });

  it('the rank-averaged ensemble: ROC-AUC of the ranks, weighted accuracy of the mean probability', () => {
    const { verdict: v, ensembles } = buildVerdict(many);
    const all = v.models.find((m) => m.kind === 'ensemble-all')!;
    const cands = [...many.searched!.map((s) => s.predictions), ...many.forest.predictions, ...many.strongForest!.predictions];
    const w = ensembles.all!.selection.weights;
    expect(w.filter((x) => x > 0).length).toBeGreaterThan(1);
    for (const s of ['valid', 'test'] as const) {
      const shape = { rows: rows[s], tasks: 3 };
      const ranks = scoreSplit(applyEnsemble(w, cands.map((c) => c[s]), shape, 'rank'), t[s]);
      const probs = scoreSplit(applyEnsemble(w, cands.map((c) => c[s]), shape, 'mean'), t[s]);
      expect(all[s].auc).toBeCloseTo(ranks.auc, 12);
      expect(all[s].wacc).toBeCloseTo(probs.wacc, 12);
      expect(all.perTask!['SR-X'][s].wacc).toBeCloseTo(probs.perTask['SR-X'].wacc, 12);
      expect(probs.wacc).not.toBeCloseTo(ranks.wacc, 6); // the two differ here, so the test tells them apart
    }
  });

  it('compares families on the mean and on NR-AR; a cell NR-AR cannot score says why', () => {
    expect(verdict.comparisons.map((c) => `${c.scope} ${c.split} ${c.metric}`)).toEqual([
      'mean valid auc', 'mean valid wacc', 'mean test auc', 'mean test wacc', 'NR-AR valid auc', 'NR-AR valid wacc', 'NR-AR test auc', 'NR-AR test wacc',
    ]);
    const nrar = verdict.comparisons.find((c) => c.scope === 'NR-AR' && c.split === 'test' && c.metric === 'auc')!;
    const best = Math.max(...verdict.models.map((m) => m.perTask!['NR-AR'].test.auc));
    expect(nrar.ranking[0].value).toBe(best);
    const focusEmpty = buildVerdict({ ...many, options: { size: 5, focusTask: 'EMPTY' } }).verdict;
    const empty = focusEmpty.comparisons.find((c) => c.scope === 'EMPTY' && c.split === 'test' && c.metric === 'auc')!;
    expect(empty).toMatchObject({ winner: null, ranking: [], exceedsSpread: null });
    expect(empty.note).toMatch(/^EMPTY: ROC-AUC is undefined: only one class/);
    expect(() => buildVerdict({ ...many, options: { focusTask: 'NR-AhR' } })).toThrow('focus task "NR-AhR" is not among [NR-AR, SR-X, EMPTY]');
  });
});

describe('network candidates from trial records', () => {
  it('takes complete trials that carry predictions, named by search and id', () => {
    const trial = (id: number, state: 'complete' | 'pruned' | 'failed', p?: SplitPredictions) =>
      ({ id, params: {}, state, seeds: [0], budget: 3, intermediate: [], values: {}, seconds: 1, detail: p ? { predictions: encodePredictions(p) } : {} });
    const got = searchedNetworks([trial(0, 'complete', searched[0].predictions), trial(1, 'pruned', searched[1].predictions), trial(2, 'complete'), trial(3, 'complete', searched[2].predictions)], 'adaptive');
    expect(got.map((g) => g.name)).toEqual(['adaptive trial 0', 'adaptive trial 3']);
    expect(Array.from(got[1].predictions.valid)).toEqual(Array.from(searched[2].predictions.valid));
    expect(searchedNetworks([trial(4, 'complete', searched[0].predictions)])[0].name).toBe('trial 4');
  });
});
