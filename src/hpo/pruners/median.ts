/**
 * The median stopping rule (Golovin et al. 2017, Google Vizier) as Optuna 3.1's MedianPruner: prune a trial when
 * its best intermediate value so far is worse than the median of the complete trials' values at the same epoch.
 * Nothing is pruned before `nStartupTrials` trials completed, during the first `nWarmupEpochs` epochs of a trial,
 * off the `intervalEpochs` grid, or when fewer than `nMinTrials` complete trials reported that epoch.
 * Optuna counts steps from whatever the user reports; here the step is the epoch (1-based), and
 * `nWarmupEpochs = w` means epochs 1..w are never pruned (Optuna's n_warmup_steps = w with 0-based steps).
 */
import type { Direction, TrialRecord } from '../trial.ts';
import { fmt, valueAt, type Pruner } from './pruner.ts';

export interface MedianPrunerOptions {
  /** Complete trials needed before pruning starts (Optuna: 5). */
  nStartupTrials?: number;
  /** Epochs of a trial never pruned (Optuna: n_warmup_steps = 0). */
  nWarmupEpochs?: number;
  /** Prune only at epochs nWarmupEpochs + 1 + k · intervalEpochs (Optuna: interval_steps = 1). */
  intervalEpochs?: number;
  /** Complete trials that must have reported the epoch (Optuna: n_min_trials = 1). */
  nMinTrials?: number;
}

export class MedianPruner implements Pruner {
  readonly name = 'median';
  readonly nStartupTrials: number;
  readonly nWarmupEpochs: number;
  readonly intervalEpochs: number;
  readonly nMinTrials: number;

  constructor(opts: MedianPrunerOptions = {}) {
    this.nStartupTrials = opts.nStartupTrials ?? 5;
    this.nWarmupEpochs = opts.nWarmupEpochs ?? 0;
    this.intervalEpochs = opts.intervalEpochs ?? 1;
    this.nMinTrials = opts.nMinTrials ?? 1;
    for (const [k, v, min] of [['nStartupTrials', this.nStartupTrials, 0], ['nWarmupEpochs', this.nWarmupEpochs, 0], ['intervalEpochs', this.intervalEpochs, 1], ['nMinTrials', this.nMinTrials, 1]] as const) {
      if (!(Number.isInteger(v) && v >= min)) throw new RangeError(`median pruner: ${k} must be an integer ≥ ${min}, got ${v}`);
    }
  }

  shouldPrune(trial: TrialRecord, all: readonly TrialRecord[], direction: Direction): string | null {
    const complete = all.filter((t) => t.state === 'complete' && t.id !== trial.id);
    if (complete.length === 0 || complete.length < this.nStartupTrials) return null;
    const last = trial.intermediate[trial.intermediate.length - 1];
    if (!last) return null;
    const epoch = last.epoch;
    if (epoch <= this.nWarmupEpochs) return null;
    if ((epoch - this.nWarmupEpochs - 1) % this.intervalEpochs !== 0) return null;
    // Optuna's nanmax/nanmin: NaN values are skipped; a trial with nothing but NaN is pruned.
    const values = trial.intermediate.map((iv) => iv.value).filter((v) => !Number.isNaN(v));
    if (values.length === 0) return `median: epoch ${epoch}, the objective is NaN`;
    const best = direction === 'maximize' ? Math.max(...values) : Math.min(...values);
    const others = complete.map((t) => valueAt(t, epoch)).filter((v): v is number => v !== undefined && !Number.isNaN(v));
    if (others.length < this.nMinTrials) return null;
    const median = medianOf(others);
    const worse = direction === 'maximize' ? best < median : best > median;
    return worse ? `median: epoch ${epoch}, best so far ${fmt(best)} ${direction === 'maximize' ? '<' : '>'} the median ${fmt(median)} of ${others.length} complete trials` : null;
  }
}

export function medianOf(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : 0.5 * (s[m - 1] + s[m]);
}
