/**
 * The scores every Tox21 model reports per split — weighted accuracy and ROC-AUC on train, valid and test — and
 * their mean over tasks or seeds, shared by the forest baseline, the network and the CLI tables.
 */
import { definedMean } from '../stats/mean-sd.ts';

export type SplitName = 'train' | 'valid' | 'test';
export const SPLITS: readonly SplitName[] = ['train', 'valid', 'test'];

export interface SplitScores {
  /** NaN when the split has no weight for the task. */
  weightedAccuracy: number;
  /** NaN when the split's rows with w > 0 hold a single class. */
  rocAuc: number;
}

/** Mean of the defined values (NaN when none is): the one helper, re-exported where callers have long found it. */
export { definedMean };

/** Per split, the mean of each metric over `scores` (tasks or seeds), ignoring undefined ones. */
export function meanSplitScores(scores: Record<SplitName, SplitScores>[]): Record<SplitName, SplitScores> {
  const out = {} as Record<SplitName, SplitScores>;
  for (const s of SPLITS) {
    out[s] = { weightedAccuracy: definedMean(scores.map((m) => m[s].weightedAccuracy)), rocAuc: definedMean(scores.map((m) => m[s].rocAuc)) };
  }
  return out;
}
