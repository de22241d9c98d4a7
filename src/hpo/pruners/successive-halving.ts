/**
 * Asynchronous successive halving (ASHA; Li et al. 2018, "Massively parallel hyperparameter tuning") as Optuna
 * 3.1's SuccessiveHalvingPruner: rung k sits at epoch r · η^(s + k) (r = minResource, η = reductionFactor,
 * s = minEarlyStoppingRate). When a trial reaches a rung, its value there joins the rung's values of every trial
 * that reached it before; the trial goes on only if it is among the best ⌊n / η⌋ of those n values (Optuna: the
 * best one while n < η, since nothing can be paused and resumed later). Ties pass. A NaN value is pruned.
 *
 * Stateless: a trial's value at rung k is its first intermediate value at an epoch ≥ the rung's (what Optuna
 * records when the trial reports every epoch); a trial is judged at the rungs it reached with its newest value,
 * never again at rungs it passed before. Optuna's bootstrap_count (rungs wait for n trials) is not offered.
 */
import type { Direction, TrialRecord } from '../trial.ts';
import { fmt, type Pruner } from './pruner.ts';

export interface SuccessiveHalvingPrunerOptions {
  /** r: epochs before the first rung (Optuna: min_resource; 'auto' is not offered). Default 1. */
  minResource?: number;
  /** η: a rung keeps the best 1/η (Optuna: reduction_factor = 4). */
  reductionFactor?: number;
  /** s: the first rung sits at r · η^s (Optuna: min_early_stopping_rate = 0). */
  minEarlyStoppingRate?: number;
}

export class SuccessiveHalvingPruner implements Pruner {
  readonly name: string = 'asha';
  readonly minResource: number;
  readonly reductionFactor: number;
  readonly minEarlyStoppingRate: number;

  constructor(opts: SuccessiveHalvingPrunerOptions = {}) {
    this.minResource = opts.minResource ?? 1;
    this.reductionFactor = opts.reductionFactor ?? 4;
    this.minEarlyStoppingRate = opts.minEarlyStoppingRate ?? 0;
    if (!(Number.isInteger(this.minResource) && this.minResource >= 1)) throw new RangeError(`asha pruner: minResource must be an integer ≥ 1 (epochs), got ${this.minResource}`);
    if (!(Number.isInteger(this.reductionFactor) && this.reductionFactor >= 2)) throw new RangeError(`asha pruner: reductionFactor must be an integer ≥ 2, got ${this.reductionFactor}`);
    if (!(Number.isInteger(this.minEarlyStoppingRate) && this.minEarlyStoppingRate >= 0)) throw new RangeError(`asha pruner: minEarlyStoppingRate must be an integer ≥ 0, got ${this.minEarlyStoppingRate}`);
  }

  /** The epoch of rung k. */
  rungEpoch(k: number): number {
    return this.minResource * this.reductionFactor ** (this.minEarlyStoppingRate + k);
  }

  shouldPrune(trial: TrialRecord, all: readonly TrialRecord[], direction: Direction): string | null {
    const last = trial.intermediate[trial.intermediate.length - 1];
    if (!last) return null;
    const eta = this.reductionFactor;
    for (let k = 0; this.rungEpoch(k) <= last.epoch; k++) {
      const mine = rungValue(trial, this.rungEpoch(k));
      if (!mine || mine.epoch !== last.epoch) continue; // passed before, at an earlier report
      const epoch = this.rungEpoch(k);
      if (Number.isNaN(mine.value)) return `asha: rung ${k} (epoch ${epoch}), the objective is NaN`;
      const competing = [mine.value];
      for (const t of all) {
        if (t.id === trial.id) continue;
        const v = rungValue(t, epoch);
        if (v && !Number.isNaN(v.value)) competing.push(v.value);
      }
      const keep = Math.max(1, Math.floor(competing.length / eta));
      competing.sort((a, b) => (direction === 'maximize' ? b - a : a - b));
      const bar = competing[keep - 1];
      const promoted = direction === 'maximize' ? mine.value >= bar : mine.value <= bar;
      if (!promoted) return `asha: rung ${k} (epoch ${epoch}), ${fmt(mine.value)} not in the top 1/${eta} of ${competing.length} (the best ${keep}, down to ${fmt(bar)})`;
    }
    return null;
  }
}

/** A trial's first intermediate value at an epoch ≥ `epoch`: its value at that rung. */
function rungValue(t: TrialRecord, epoch: number): { epoch: number; value: number } | undefined {
  for (const iv of t.intermediate) if (iv.epoch >= epoch) return iv;
  return undefined;
}
