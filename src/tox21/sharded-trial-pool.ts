/**
 * One trial pool over several shards, each a RemoteTrialPool training in its own worker thread: where a population's
 * step costs about its members' solo steps (the float32 CPU backend), a population pays by spreading its members over
 * cores. The search loop sees one TrialPool of the whole capacity; each member added goes to the shard with the most
 * free slots (ties: the lowest index), so a trial's seeds spread over the threads and their loads stay even as trials
 * come and go; all shards train their epoch at once; stop goes to the shard holding the member.
 *
 * What comes back does not depend on the number of shards, nor on which member went where: in its thread a member
 * trains as its solo run (pool-threads.ts: in a population only where that is exact); results are ordered by trial
 * and seed — the order Tox21TrialPool reports in, so the loop records and prunes in the same order; and a finished
 * trial's detail is computed here as Tox21TrialPool computes it (the mean of its seeds' kept probabilities, in the
 * order the seeds were added, and their kept epochs), from the members' own predictions the shards send back. A
 * shard that fails fails the step with its error; with several, the lowest shard's, so the reason does not depend on
 * timing.
 * No Node imports: pool-threads.ts starts the workers.
 */
import type { TrialParams } from '../hpo/space.ts';
import type { MemberEpoch, PoolMember, TrialPool } from '../hpo/trial.ts';
import { packingStats, type PackingStats } from './eval-hyperparams.ts';
import type { RemoteTrialPool } from './remote-trial-pool.ts';
import { KeptRuns } from './kept-runs.ts';
import { decodePredictions } from './split-predictions.ts';

const memberKey = (trialId: number, seed: number) => `${trialId}/${seed}`;

/** What a shard must offer: RemoteTrialPool's calls and reports (a test may stand in its own). */
export type TrialShard = Pick<RemoteTrialPool, 'freeSlots' | 'accepts' | 'add' | 'stop' | 'running' | 'dispose' | 'step' | 'unitEpochs'>;

export class ShardedTrialPool implements TrialPool {
  /** The shard holding each training member, by "trialId/seed". */
  private readonly owner = new Map<string, number>();
  /** Seeds each trial was given, in order, and the kept probabilities and epoch of those that finished. */
  private readonly kept = new KeptRuns();

  constructor(readonly shards: readonly TrialShard[]) {
    if (shards.length === 0) throw new RangeError('a sharded trial pool needs at least one shard');
  }

  /** The most members one step trained, all threads together: the models trained at once. */
  models = 0;

  unitEpochs(): readonly { computed: number; useful: number }[] {
    return this.shards.flatMap((s) => s.unitEpochs());
  }

  packing(): PackingStats {
    return packingStats(this.unitEpochs());
  }

  accepts(params: TrialParams): boolean {
    return this.shards[0].accepts(params);
  }

  freeSlots(): number {
    return this.shards.reduce((a, s) => a + s.freeSlots(), 0);
  }

  running(): number {
    return this.shards.reduce((a, s) => a + s.running(), 0);
  }

  add(member: PoolMember): void {
    if (this.accepts(member.params) && this.freeSlots() < 1) throw new RangeError(`trial pool is full (${this.running()} members)`);
    let k = 0;
    for (let j = 1; j < this.shards.length; j++) if (this.shards[j].freeSlots() > this.shards[k].freeSlots()) k = j;
    // The shard says why a member does not fit, in Tox21TrialPool's words.
    this.shards[k].add(member);
    this.owner.set(memberKey(member.trialId, member.seed), k);
    this.kept.addSeed(member.trialId, member.seed);
  }

  stop(trialId: number, seed: number): void {
    this.kept.forget(trialId);
    const key = memberKey(trialId, seed);
    const k = this.owner.get(key);
    if (k === undefined) return;
    this.owner.delete(key);
    this.shards[k].stop(trialId, seed);
  }

  async step(): Promise<MemberEpoch[]> {
    const settled = await Promise.allSettled(this.shards.map((s) => s.step()));
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    const all = settled.flatMap((r) => (r as PromiseFulfilledResult<Awaited<ReturnType<TrialShard['step']>>>).value);
    all.sort((a, b) => a.trialId - b.trialId || a.seed - b.seed);
    const out: MemberEpoch[] = [];
    for (const { kept, ...me } of all) {
      if (me.done) this.owner.delete(memberKey(me.trialId, me.seed));
      if (kept) this.kept.keep(me.trialId, me.seed, decodePredictions(kept.predictions, `trial ${me.trialId} seed ${me.seed}`), kept.epoch);
      out.push(me);
    }
    for (const me of out) if (me.failed !== undefined) this.kept.forget(me.trialId);
    this.kept.attachDetails(out);
    this.models = Math.max(this.models, out.length);
    return out;
  }

  dispose(): void {
    for (const s of this.shards) s.dispose();
    this.owner.clear();
  }
}
