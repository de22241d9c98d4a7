import { describe, expect, it } from 'vitest';
import { accuracy, accuracyResult, threshold } from '../src/metrics/accuracy.ts';
import { perTask } from '../src/metrics/per-task.ts';
import { rocAucResult } from '../src/metrics/roc-auc.ts';

const close = (a: number, b: number) => expect(Math.abs(a - b)).toBeLessThan(1e-9);

describe('accuracy (sklearn accuracy_score with sample_weight)', () => {
  it('is Σ w·[y = ŷ] / Σ w', () => {
    // hits at rows 0 (w 1) and 2 (w 3) of total 10
    close(accuracy([1, 0, 1, 1], [1, 1, 1, 0], [1, 2, 3, 4]), 0.4);
    close(accuracy([1, 0, 1, 1], [1, 1, 1, 0]), 0.5);
  });

  it('drops zero-weight rows and is NaN with a reason when all weights are 0', () => {
    close(accuracy([1, 0, 1], [1, 1, 0], [2, 0, 0]), 1);
    const r = accuracyResult([1, 0], [1, 0], [0, 0]);
    expect(r.value).toBeNaN();
    expect(r.reason).toBe('accuracy is undefined: total weight is 0');
  });

  it('balancing weights give the class-balanced accuracy', () => {
    // 1 positive (weight 3) missed, 3 negatives right: 3 / (3 + 3) = 0.5, not 3/4.
    close(accuracy([1, 0, 0, 0], threshold([0.2, 0.1, 0.4, 0.3]), [3, 1, 1, 1]), 0.5);
    expect(Array.from(threshold([0.49, 0.5, 0.51]))).toEqual([0, 1, 1]);
  });
});

describe('perTask', () => {
  it('scores each column of [rows × tasks] and averages the tasks where the metric is defined', () => {
    // task 0: y 0,0,1,1 scores 0.1,0.4,0.35,0.8 → 0.75; task 1: all negative → NaN, left out of the mean.
    const y = [0, 0, 0, 0, 1, 0, 1, 0];
    const s = [0.1, 0.5, 0.4, 0.5, 0.35, 0.5, 0.8, 0.5];
    const r = perTask(rocAucResult, y, s, undefined, 2);
    close(r.values[0], 0.75);
    expect(r.values[1]).toBeNaN();
    expect(r.reasons[1]).toContain('only one class');
    close(r.mean, 0.75);
    expect(r.definedTasks).toBe(1);
    expect(() => perTask(rocAucResult, [0, 1, 0], [0, 1, 0], undefined, 2)).toThrow(/rows × 2/);
  });
});
