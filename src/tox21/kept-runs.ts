/**
 * What a trial pool keeps of its trials between epochs for the trial's record: the seeds each trial was given and,
 * for those that finished, their probabilities on valid and test and the epoch they come from. When every seed of
 * a trial has finished, the trial's detail — the seeds' mean probabilities, encoded, and the kept epochs — goes on
 * its last entry of the step's results (the runner completes the trial there). One definition for the in-process
 * pool (trial-pool.ts) and the sharded one (sharded-trial-pool.ts), whose seeds of one trial may train on
 * different threads.
 */
import type { MemberEpoch } from '../hpo/trial.ts';
import { encodePredictions, meanPredictions, type SplitPredictions } from './split-predictions.ts';

export class KeptRuns {
  private readonly seedsOf = new Map<number, number[]>();
  private readonly finished = new Map<number, Map<number, { predictions: SplitPredictions; epoch: number }>>();

  /** A seed of trial `trialId` joined the pool. */
  addSeed(trialId: number, seed: number): void {
    this.seedsOf.set(trialId, [...(this.seedsOf.get(trialId) ?? []), seed]);
  }

  /** A seed finished: its probabilities and the epoch whose weights gave them. */
  keep(trialId: number, seed: number, predictions: SplitPredictions, epoch: number): void {
    const runs = this.finished.get(trialId) ?? new Map();
    runs.set(seed, { predictions, epoch });
    this.finished.set(trialId, runs);
  }

  /** Forgets a trial (it finished, was pruned or failed). */
  forget(trialId: number): void {
    this.seedsOf.delete(trialId);
    this.finished.delete(trialId);
  }

  /** Puts each trial whose seeds have all finished (none failed) its detail on its last entry of `out`, then forgets it. */
  attachDetails(out: MemberEpoch[]): void {
    for (let i = out.length - 1; i >= 0; i--) {
      const me = out[i];
      const runs = this.finished.get(me.trialId), seeds = this.seedsOf.get(me.trialId);
      if (!me.done || me.failed !== undefined || !runs || !seeds || !seeds.every((s) => runs.has(s))) continue;
      const kept = seeds.map((s) => runs.get(s)!);
      const epochs = kept.map((k) => k.epoch);
      me.detail = {
        predictions: encodePredictions(meanPredictions(kept.map((k) => k.predictions), `trial ${me.trialId}`)),
        bestEpoch: Math.round(epochs.reduce((a, e) => a + e, 0) / epochs.length),
        bestEpochs: epochs,
      };
      this.forget(me.trialId);
    }
  }
}
