/**
 * What a pruner is (Optuna's BasePruner): after each new intermediate value of a trial, whether to stop it, with
 * the reason when so. Pruners see trials through `withoutTestValues`, and only intermediate values (the objective
 * per epoch, mean over seeds) drive them. Epochs are the resource. Pruners keep no state: every decision is
 * recomputed from the records, so a resumed search prunes as the interrupted one would have.
 */
import type { Direction, TrialRecord } from '../trial.ts';

export interface Pruner {
  readonly name: string;
  /**
   * Called after `trial` got a new intermediate value (its last); `all` is every trial of the study, `trial`
   * included. A reason string ("asha: rung 2 (epoch 9), not in top 1/3 of 7") prunes it; null lets it go on.
   */
  shouldPrune(trial: TrialRecord, all: readonly TrialRecord[], direction: Direction): string | null;
}

/** Never prunes (Optuna's NopPruner). */
export class NopPruner implements Pruner {
  readonly name = 'none';
  shouldPrune(): null {
    return null;
  }
}

/** The trial's value at `epoch` exactly, or undefined. */
export function valueAt(t: TrialRecord, epoch: number): number | undefined {
  for (const iv of t.intermediate) if (iv.epoch === epoch) return iv.value;
  return undefined;
}

export function fmt(v: number): string {
  return Number.isFinite(v) ? v.toPrecision(4) : String(v);
}
