/**
 * A Tox21 trial pool that trains in a worker thread (pool-worker.ts) — one shard of a ShardedTrialPool. The search
 * loop asks a pool synchronous questions between its epochs (does it accept these parameters, how many slots are
 * free, how many members run); those are answered here, from a mirror of what was added, stopped and reported done,
 * with Tox21TrialPool's rules: `accepts` computes the same shape key, a stopped member frees its slot at once (its
 * population drops it at the next epoch boundary), a member that reports done frees its slot. add, stop and dispose
 * are posted without waiting — the worker applies calls in order, so they have taken effect before the next step —
 * and `step` waits for the worker's epoch. An error in the worker (its message kept) rejects the next step, which
 * the search loop turns into the failure of the pool's trials.
 *
 * Its results are per member: a finished member carries its own kept predictions (`kept`), not a trial's mean — a
 * trial's seeds may train on different shards, so ShardedTrialPool averages them. No Node imports.
 */
import type { TrialParams } from '../hpo/space.ts';
import type { PoolMember, TrialPool } from '../hpo/trial.ts';
import type { WorkerSession } from '../workers/session.ts';
import { packingStats, type PackingStats } from './eval-hyperparams.ts';
import type { PoolCalls, WorkerMemberEpoch, WorkerStep } from './pool-worker.ts';
import { fitsPool, poolKey, type Tox21PoolOptions } from './trial-pool.ts';

const memberKey = (trialId: number, seed: number) => `${trialId}/${seed}`;

export class RemoteTrialPool implements Pick<TrialPool, 'freeSlots' | 'accepts' | 'add' | 'stop' | 'running' | 'dispose'> {
  private readonly units: { computed: number; useful: number }[] = [];
  private readonly key: string;
  /** Members training: added, not stopped, not reported done. */
  private readonly live = new Set<string>();
  /** The first error of a call that was not waited for (open, add, stop): the next step rejects with it. */
  private failure: Error | null = null;
  private disposed = false;

  constructor(private readonly session: WorkerSession, private readonly id: number, first: TrialParams, readonly opts: Tox21PoolOptions) {
    // Tox21TrialPool's checks and messages, here, so a bad pool fails where an in-process one would.
    if (!Number.isInteger(opts.capacity) || opts.capacity < 1) throw new RangeError(`trial pool capacity must be a positive integer, got ${opts.capacity}`);
    this.key = poolKey(first, opts);
    this.post('open', { pool: id, first, opts });
  }

  accepts(params: TrialParams): boolean {
    return fitsPool(this.key, params, this.opts);
  }

  freeSlots(): number {
    return this.opts.capacity - this.running();
  }

  running(): number {
    return this.live.size;
  }

  /** How much of the computed hidden units were padding or idle slots, over every epoch so far. */
  packing(): PackingStats {
    return packingStats(this.units);
  }

  unitEpochs(): readonly { computed: number; useful: number }[] {
    return this.units;
  }

  add(member: PoolMember): void {
    if (this.disposed) throw new Error(`trial pool ${this.id} in ${this.session.name} is disposed`);
    if (!this.accepts(member.params)) throw new RangeError(`trial ${member.trialId} does not fit this pool (${this.key}, width ${this.opts.width})`);
    if (this.freeSlots() < 1) throw new RangeError(`trial pool is full (${this.opts.capacity} members)`);
    this.live.add(memberKey(member.trialId, member.seed));
    this.post('add', { pool: this.id, member });
  }

  stop(trialId: number, seed: number): void {
    if (!this.live.delete(memberKey(trialId, seed))) return;
    this.post('stop', { pool: this.id, trialId, seed });
  }

  /** One epoch of every running member, in the worker; per-member results (see the file's comment). */
  async step(): Promise<WorkerMemberEpoch[]> {
    if (this.disposed) throw new Error(`trial pool ${this.id} in ${this.session.name} is disposed`);
    let r: WorkerStep;
    try {
      r = await this.session.call<WorkerStep>('step', { pool: this.id } satisfies PoolCalls['step']);
    } catch (e) {
      throw this.failure ?? e;
    }
    if (this.failure) throw this.failure;
    for (const me of r.results) if (me.done) this.live.delete(memberKey(me.trialId, me.seed));
    this.units.push(...r.units);
    return r.results;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.live.clear();
    // Nothing waits for it: a worker that died has nothing left to free.
    this.session.call('dispose', { pool: this.id } satisfies PoolCalls['dispose']).catch(() => {});
  }

  private post<K extends 'open' | 'add' | 'stop'>(op: K, args: PoolCalls[K]): void {
    this.session.call(op, args).catch((e: Error) => void (this.failure ??= e));
  }
}
