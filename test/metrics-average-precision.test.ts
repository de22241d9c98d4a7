import { describe, expect, it } from 'vitest';
import { averagePrecision, averagePrecisionResult } from '../src/metrics/average-precision.ts';

const close = (a: number, b: number) => expect(Math.abs(a - b)).toBeLessThan(1e-9);

describe('averagePrecision (sklearn average_precision_score)', () => {
  it('sklearn’s documented example: 0.8333…', () => {
    // thresholds 0.8, 0.4, 0.35, 0.1 → (P, R) = (1, ½), (½, ½), (⅔, 1), (½, 1); AP = ½·1 + 0 + ½·⅔ + 0 = 5/6.
    close(averagePrecision([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]), 5 / 6);
  });

  it('ties form one threshold', () => {
    // 0.9: tp 1 fp 0 (P 1, R ⅓); 0.6: tp 2 fp 1 (P ⅔, R ⅔); 0.2: tp 3 fp 2 (P ⅗, R 1) → ⅓ + 2/9 + 1/5 = 34/45.
    close(averagePrecision([0, 1, 1, 0, 1], [0.2, 0.2, 0.6, 0.6, 0.9]), 34 / 45);
    // all tied: one threshold, P = 2/4, R = 1
    close(averagePrecision([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5]), 0.5);
  });

  it('w is a mask by default, sample_weight with { weighted: true }', () => {
    // masked: the w = 0 rows drop out and the 5/6 example remains
    close(averagePrecision([0, 0, 1, 1, 0], [0.1, 0.4, 0.35, 0.8, 0.95], [1, 1, 5, 5, 0]), 5 / 6);
    // weighted 1,2,3,4: 0.8: tp 4 fp 0 (P 1, R 4/7); 0.4: tp 4 fp 2; 0.35: tp 7 fp 2 (P 7/9, R 1)
    // → 4/7 + (3/7)(7/9) = 19/21
    close(averagePrecision([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], [1, 2, 3, 4], { weighted: true }), 19 / 21);
    // a zero-weight row on top predicts nothing: precision 0 there, but recall does not move, so it adds 0
    close(averagePrecision([1, 0, 1], [0.9, 0.5, 0.1], [0, 1, 1], { weighted: true }), 0.5);
  });

  it('is 1 without negatives, NaN with a reason without positives', () => {
    close(averagePrecision([1, 1], [0.2, 0.9]), 1);
    const r = averagePrecisionResult([0, 0, 0], [0.2, 0.5, 0.9]);
    expect(r.value).toBeNaN();
    expect(r.reason).toBe('average precision is undefined: no positive class (positives: 0)');
    expect(averagePrecision([1, 0], [0.9, 0.1], [0, 1])).toBeNaN();
  });
});
