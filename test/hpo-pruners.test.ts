// Pruners, each decision checked by hand: ASHA's rungs and promotions (Li et al. 2018, Optuna's rule for the first
// η − 1 trials), Hyperband's brackets (Optuna 3.1's assignment, printed by Optuna on this machine) and their
// isolation, and the median rule's start-up, warm-up and direction.
import { describe, expect, it } from 'vitest';
import { crc32, HyperbandPruner } from '../src/hpo/pruners/hyperband.ts';
import { MedianPruner } from '../src/hpo/pruners/median.ts';
import { SuccessiveHalvingPruner } from '../src/hpo/pruners/successive-halving.ts';
import { createPruner } from '../src/hpo/pruners/index.ts';
import type { TrialRecord } from '../src/hpo/trial.ts';

function trial(id: number, curve: number[], state: TrialRecord['state'] = 'running'): TrialRecord {
  return {
    id, params: {}, state, seeds: [0], budget: curve.length,
    intermediate: curve.map((value, i) => ({ epoch: i + 1, value })), values: {}, seconds: 0,
  };
}

/** Runs trials one after another, each reporting a constant value every epoch up to `epochs`; returns each trial's fate. */
function sequential(pruner: { shouldPrune: SuccessiveHalvingPruner['shouldPrune'] }, values: number[], epochs: number, direction: 'maximize' | 'minimize' = 'maximize') {
  const all: TrialRecord[] = [];
  return values.map((v, id) => {
    const t = trial(id, []);
    all.push(t);
    for (let e = 1; e <= epochs; e++) {
      t.intermediate.push({ epoch: e, value: v });
      t.budget = e;
      const reason = pruner.shouldPrune(t, all, direction);
      if (reason) {
        t.state = 'pruned';
        return reason;
      }
    }
    t.state = 'complete';
    return 'complete';
  });
}

describe('ASHA (successive halving)', () => {
  const asha = new SuccessiveHalvingPruner({ minResource: 1, reductionFactor: 3, minEarlyStoppingRate: 0 });

  it('puts rungs at r · η^(s + k) epochs', () => {
    expect([0, 1, 2].map((k) => asha.rungEpoch(k))).toEqual([1, 3, 9]);
    expect(new SuccessiveHalvingPruner({ minResource: 2, reductionFactor: 2, minEarlyStoppingRate: 1 }).rungEpoch(0)).toBe(4);
  });

  it('promotes the top ⌊n/η⌋ of the trials that reached a rung so far (the best one while n < η)', () => {
    // Rung 0 (epoch 1): trial 2 meets [0.5, 0.6] → 3 values, keeps 1 → 0.4 < 0.6 pruned; trial 5 meets 6 values,
    // keeps 2 (0.7, 0.6) → 0.55 pruned; trial 6 meets 7 values, keeps 2 (0.7, 0.65) → passes, then at rung 1
    // (epoch 3) meets 0.5, 0.6, 0.7 → 4 values, keeps 1 → pruned.
    const fates = sequential(asha, [0.5, 0.6, 0.4, 0.7, 0.3, 0.55, 0.65], 10);
    expect(fates).toEqual([
      'complete',
      'complete',
      'asha: rung 0 (epoch 1), 0.4000 not in the top 1/3 of 3 (the best 1, down to 0.6000)',
      'complete',
      'asha: rung 0 (epoch 1), 0.3000 not in the top 1/3 of 5 (the best 1, down to 0.7000)',
      'asha: rung 0 (epoch 1), 0.5500 not in the top 1/3 of 6 (the best 2, down to 0.6000)',
      'asha: rung 1 (epoch 3), 0.6500 not in the top 1/3 of 4 (the best 1, down to 0.7000)',
    ]);
  });

  it('judges a trial at a rung once, with its value there, and minimizes when asked', () => {
    // Trial 1 improves after rung 0; it is judged at epoch 1 on 0.2 (pruned), never later.
    const all = [trial(0, [0.5, 0.5, 0.5]), trial(1, [0.2])];
    expect(asha.shouldPrune(all[1], all, 'maximize')).toMatch(/^asha: rung 0 \(epoch 1\)/);
    // A trial past rung 0 is not re-judged at epoch 2 (no rung there), whatever came since.
    const late = [trial(0, [0.9, 0.9, 0.9]), trial(1, [0.8, 0.9, 0.9]), trial(2, [0.95, 0.1])];
    expect(asha.shouldPrune(late[2], late, 'maximize')).toBeNull();
    expect(sequential(asha, [0.5, 0.4, 0.6], 3, 'minimize')).toEqual(['complete', 'complete', 'asha: rung 0 (epoch 1), 0.6000 not in the top 1/3 of 3 (the best 1, down to 0.4000)']);
  });

  it('prunes NaN and checks its options', () => {
    expect(asha.shouldPrune(trial(0, [Number.NaN]), [], 'maximize')).toBe('asha: rung 0 (epoch 1), the objective is NaN');
    expect(() => new SuccessiveHalvingPruner({ reductionFactor: 1 })).toThrow('reductionFactor must be an integer ≥ 2, got 1');
    expect(() => new SuccessiveHalvingPruner({ minResource: 0 })).toThrow('minResource must be an integer ≥ 1 (epochs), got 0');
  });
});

describe('Hyperband', () => {
  const hb = new HyperbandPruner({ minResource: 1, maxResource: 27, reductionFactor: 3 });

  it('has Optuna 3.1’s brackets, budgets and bracket of each trial', () => {
    expect(crc32('hello')).toBe(907060870); // Python: binascii.crc32(b"hello")
    expect(hb.brackets.map((b) => b.rungEpoch(0))).toEqual([1, 3, 9, 27]);
    expect(hb.budgets).toEqual([27, 12, 6, 4]);
    // optuna.create_study(study_name="study", pruner=HyperbandPruner(1, 27, 3)): _get_bracket_id of trials 0-19.
    expect(Array.from({ length: 20 }, (_, i) => hb.bracketOf(i))).toEqual([1, 0, 1, 0, 0, 1, 1, 0, 0, 3, 1, 2, 1, 1, 0, 1, 3, 0, 1, 1]);
    expect(new HyperbandPruner({ maxResource: 45 }).brackets).toHaveLength(4); // ⌊log3 45⌋ + 1
    expect(() => new HyperbandPruner({ maxResource: 0 })).toThrow('maxResource must be an integer ≥ minResource (1), got 0');
  });

  it('compares a trial only with trials of its own bracket', () => {
    // Bracket 1 (first rung at epoch 3): trials 0, 2, 5 reached 0.5; bracket 0 trials 1, 3, 4 reached 0.9.
    const all = [
      trial(0, [0.5, 0.5, 0.5], 'complete'), trial(2, [0.5, 0.5, 0.5], 'complete'), trial(5, [0.5, 0.5, 0.5], 'complete'),
      trial(1, [0.9, 0.9, 0.9], 'complete'), trial(3, [0.9, 0.9, 0.9], 'complete'), trial(4, [0.9, 0.9, 0.9], 'complete'),
    ];
    const t6 = trial(6, [0.6]);
    expect(hb.shouldPrune(t6, [...all, t6], 'maximize')).toBeNull(); // bracket 1 has no rung at epoch 1
    t6.intermediate.push({ epoch: 2, value: 0.6 }, { epoch: 3, value: 0.6 });
    // Among 0.5, 0.5, 0.5, 0.6 it is the best; with bracket 0's three 0.9 it would be pruned.
    expect(hb.shouldPrune(t6, [...all, t6], 'maximize')).toBeNull();
    const t7 = trial(7, [0.8]); // bracket 0: rung at epoch 1 against 0.9, 0.9, 0.9
    expect(hb.shouldPrune(t7, [...all, t7], 'maximize')).toBe('hyperband bracket 0: asha: rung 0 (epoch 1), 0.8000 not in the top 1/3 of 4 (the best 1, down to 0.9000)');
  });
});

describe('median pruner', () => {
  const complete = [trial(0, [0.5, 0.6, 0.7], 'complete'), trial(1, [0.3, 0.4, 0.5], 'complete'), trial(2, [0.7, 0.8, 0.9], 'complete')];

  it('prunes when the best so far is below the median of complete trials at that epoch', () => {
    const m = new MedianPruner({ nStartupTrials: 3 });
    const good = trial(3, [0.65, 0.55]); // best so far 0.65 ≥ median 0.6 at epoch 2
    expect(m.shouldPrune(good, [...complete, good], 'maximize')).toBeNull();
    const bad = trial(4, [0.5, 0.55]);
    expect(m.shouldPrune(bad, [...complete, bad], 'maximize')).toBe('median: epoch 2, best so far 0.5500 < the median 0.6000 of 3 complete trials');
    // Two complete trials at epoch 1: the median is their mean, 0.4.
    const two = [complete[0], complete[1], trial(5, [0.42])];
    expect(new MedianPruner({ nStartupTrials: 2 }).shouldPrune(two[2], two, 'maximize')).toBeNull();
    expect(new MedianPruner({ nStartupTrials: 2 }).shouldPrune(trial(6, [0.39]), two, 'maximize')).toMatch(/median 0.4000 of 2/);
  });

  it('waits for start-up trials, warm-up epochs and the interval', () => {
    const bad = trial(4, [0.1, 0.1, 0.1]);
    expect(new MedianPruner({ nStartupTrials: 4 }).shouldPrune(bad, [...complete, bad], 'maximize')).toBeNull();
    expect(new MedianPruner({ nStartupTrials: 3, nWarmupEpochs: 3 }).shouldPrune(bad, [...complete, bad], 'maximize')).toBeNull();
    expect(new MedianPruner({ nStartupTrials: 3, nWarmupEpochs: 2 }).shouldPrune(bad, [...complete, bad], 'maximize')).toMatch(/^median: epoch 3/);
    expect(new MedianPruner({ nStartupTrials: 3, intervalEpochs: 2 }).shouldPrune(trial(5, [0.1, 0.1]), complete, 'maximize')).toBeNull(); // epochs 1, 3, 5 …
    expect(() => new MedianPruner({ intervalEpochs: 0 })).toThrow('intervalEpochs must be an integer ≥ 1, got 0');
  });

  it('minimizes when asked', () => {
    const m = new MedianPruner({ nStartupTrials: 3 });
    expect(m.shouldPrune(trial(3, [0.45]), complete, 'minimize')).toBeNull(); // 0.45 < median 0.5
    expect(m.shouldPrune(trial(3, [0.55]), complete, 'minimize')).toBe('median: epoch 1, best so far 0.5500 > the median 0.5000 of 3 complete trials');
  });
});

describe('pruners by name', () => {
  it('builds each with its options and names an unknown one', () => {
    expect(createPruner('none', { maxEpochs: 45 }).shouldPrune(trial(0, [0]), [], 'maximize')).toBeNull();
    const hb = createPruner('hyperband', { maxEpochs: 45, minEpochs: 3 }) as HyperbandPruner;
    expect(hb.brackets.map((b) => b.rungEpoch(0))).toEqual([3, 9, 27]); // ⌊log3(45 / 3)⌋ + 1 = 3 brackets
    expect((createPruner('asha', { maxEpochs: 45, reductionFactor: 2 }) as SuccessiveHalvingPruner).rungEpoch(3)).toBe(8);
    expect((createPruner('median', { maxEpochs: 45, nWarmupEpochs: 4 }) as MedianPruner).nWarmupEpochs).toBe(4);
    expect(() => createPruner('sha', { maxEpochs: 45 })).toThrow('unknown pruner "sha": use none, median, asha, hyperband');
  });
});
