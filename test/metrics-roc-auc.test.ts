import { describe, expect, it } from 'vitest';
import { Rng } from '../src/random/rng.ts';
import { rocAuc, rocAucResult } from '../src/metrics/roc-auc.ts';

const close = (a: number, b: number) => expect(Math.abs(a - b)).toBeLessThan(1e-9);

/** Mann–Whitney with ties counted half: the quantity sklearn's trapezoid computes. O(n²), independent of the code. */
function pairwiseAuc(y: number[], s: number[], w?: number[]): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < y.length; i++) {
    for (let j = 0; j < y.length; j++) {
      if (y[i] !== 1 || y[j] !== 0) continue;
      const ww = w ? w[i] * w[j] : 1;
      den += ww;
      num += ww * (s[i] > s[j] ? 1 : s[i] === s[j] ? 0.5 : 0);
    }
  }
  return num / den;
}

describe('rocAuc (sklearn roc_auc_score)', () => {
  it('sklearn’s documented example: 0.75', () => {
    // pos {0.35, 0.8}, neg {0.1, 0.4}: pairs won 0.35>0.1, 0.8>0.1, 0.8>0.4 → 3/4.
    close(rocAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]), 0.75);
  });

  it('ties count half', () => {
    // pos {0.2, 0.6, 0.9}, neg {0.2, 0.6}: 0.5 + 0 + 1 + 0.5 + 1 + 1 = 4 of 6 pairs.
    close(rocAuc([0, 1, 1, 0, 1], [0.2, 0.2, 0.6, 0.6, 0.9]), 4 / 6);
    close(rocAuc([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5]), 0.5);
    close(rocAuc([0, 1], [0.3, 0.7]), 1);
    close(rocAuc([1, 0], [0.3, 0.7]), 0);
  });

  it('by default w is a mask: rows with w = 0 are left out, others count once', () => {
    // Without the two w = 0 rows this is the 0.75 example; the balancing weight 22.5 does not enter.
    const y = [0, 0, 1, 1, 1, 0];
    const s = [0.1, 0.4, 0.35, 0.8, 0.0, 0.99];
    close(rocAuc(y, s, [1, 1, 22.5, 22.5, 0, 0]), 0.75);
    close(rocAuc(y, s), pairwiseAuc(y, s));
    expect(rocAuc(y, s)).not.toBeCloseTo(0.75, 3);
  });

  it('{ weighted: true } uses w as sklearn’s sample_weight', () => {
    // w = 1,2,3,4: won pairs 0.35>0.1 (3·1), 0.8>0.1 (4·1), 0.8>0.4 (4·2) → 15 of (3+4)(1+2) = 21.
    close(rocAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], [1, 2, 3, 4], { weighted: true }), 15 / 21);
    // zero-weight rows add nothing, even at tied or extreme scores
    close(rocAuc([0, 0, 1, 1, 1, 0], [0.1, 0.4, 0.35, 0.8, 0.35, 0.99], [1, 2, 3, 4, 0, 0], { weighted: true }), 15 / 21);
  });

  it('class-constant weights (DeepChem balancing) give the masked AUC', () => {
    const y = [0, 1, 1, 0, 1, 0, 0];
    const s = [0.2, 0.2, 0.6, 0.6, 0.9, 0.1, 0.7];
    const w = y.map((v) => (v ? 4 / 3 : 1));
    close(rocAuc(y, s, w, { weighted: true }), rocAuc(y, s, w));
  });

  it('agrees with the pairwise definition on random data with many ties, weighted and not', () => {
    const randRng = new Rng(5);
    const rand = () => randRng.float();
    for (let trial = 0; trial < 20; trial++) {
      const n = 50 + Math.floor(rand() * 100);
      const y = Array.from({ length: n }, () => (rand() < 0.3 ? 1 : 0));
      y[0] = 1;
      y[1] = 0;
      const s = Array.from({ length: n }, () => Math.floor(rand() * 10) / 10);
      const w = Array.from({ length: n }, () => (rand() < 0.2 ? 0 : rand() * 5));
      w[0] = w[1] = 1;
      close(rocAuc(y, s), pairwiseAuc(y, s));
      close(rocAuc(y, s, w, { weighted: true }), pairwiseAuc(y, s, w));
      const kept = w.map((v, i) => (v > 0 ? i : -1)).filter((i) => i >= 0);
      close(
        rocAuc(y, s, w),
        pairwiseAuc(
          kept.map((i) => y[i]),
          kept.map((i) => s[i]),
        ),
      );
    }
  });

  it('is NaN with a reason when a class is absent, never 0.5', () => {
    const onlyPos = rocAucResult([1, 1, 1], [0.1, 0.5, 0.9]);
    expect(onlyPos.value).toBeNaN();
    expect(onlyPos.reason).toBe('ROC-AUC is undefined: only one class present (rows: positives 3, negatives 0)');
    // both classes in y, but every negative masked out
    const masked = rocAucResult([1, 0, 1], [0.1, 0.5, 0.9], [1, 0, 1]);
    expect(masked.value).toBeNaN();
    expect(masked.reason).toContain('rows with w > 0: positives 2, negatives 0');
    expect(rocAuc([0, 1], [0.1, 0.2], [0, 0])).toBeNaN();
    expect(rocAuc([], [])).toBeNaN();
    expect(rocAucResult([0, 1], [0.1, 0.2]).reason).toBeNull();
  });

  it('rejects misaligned input, NaN scores and non-binary labels', () => {
    expect(() => rocAuc([0, 1], [0.5])).toThrow(/lengths differ/);
    expect(() => rocAuc([0, 1], [0.5, Number.NaN])).toThrow(/NaN/);
    expect(() => rocAuc([0, 2], [0.5, 0.6])).toThrow(/expected 0 or 1/);
  });
});
