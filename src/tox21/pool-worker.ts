/**
 * The worker thread behind a RemoteTrialPool (remote-trial-pool.ts): it holds the Tox21 data (sent once per worker,
 * not per pool), a float32 CPU backend of its own, and any number of Tox21TrialPools, each answering the calls the
 * caller's pool makes — open, add, stop, step, dispose — in the order they were sent (serve-session.ts); and whole
 * runs (evalPopulation: a retraining's seeds, pool-threads.ts's evalOnThreads).
 *
 * A sharded pool (sharded-trial-pool.ts) spreads a trial's seeds over several workers, so no one worker sees all of
 * them and none can average their predictions (Tox21TrialPool's trial detail). So each member is hosted here as a
 * trial of its own — its own trial id in the hosted pool — and its detail, the mean over one seed (exactly its own
 * probabilities), comes back as the member's `kept` predictions and epoch; the sharded pool averages a trial's seeds
 * as Tox21TrialPool would. Nothing else depends on trial ids inside a Tox21TrialPool, so training and scores are
 * those of the in-process pool. Built as pool-worker.js beside the Node bundles.
 */
import { CpuBackend } from '../backend/cpu/cpu-backend.ts';
import type { TrialParams } from '../hpo/space.ts';
import type { MemberEpoch, PoolMember } from '../hpo/trial.ts';
import { serveSession } from '../workers/serve-session.ts';
import type { Tox21Data } from './population.ts';
import type { SerializedPredictions } from './split-predictions.ts';
import { Tox21TrialPool, type Tox21PoolOptions } from './trial-pool.ts';
import { evalTox21Population, type FcnResult, type PopulationOptions, type RunSpec } from './eval-hyperparams.ts';

/** A member's result as a worker sends it: a MemberEpoch, and for a member that finished, what it kept. */
export interface WorkerMemberEpoch extends Omit<MemberEpoch, 'detail'> {
  /** Set once it finished (not failed): its probabilities on valid and test and the epoch they are from. */
  kept?: { predictions: SerializedPredictions; epoch: number };
}

export interface WorkerStep {
  results: WorkerMemberEpoch[];
  /** Its hidden units computed and useful, per population epoch, since the previous step. */
  units: { computed: number; useful: number }[];
}

export interface PoolCalls {
  data: { data: Tox21Data };
  open: { pool: number; first: TrialParams; opts: Tox21PoolOptions };
  add: { pool: number; member: PoolMember };
  stop: { pool: number; trialId: number; seed: number };
  step: { pool: number };
  dispose: { pool: number };
  /** evalTox21Population on this worker's data: runs trained to the end, their results in order. */
  evalPopulation: { runs: RunSpec[]; opts: Pick<PopulationOptions, 'dataSeed' | 'maxModels'> };
}

interface Hosted {
  pool: Tox21TrialPool;
  /** Hosted trial id of each member, by "trialId/seed", and the member each hosted id stands for. */
  hostId: Map<string, number>;
  member: Map<number, { trialId: number; seed: number }>;
  nextId: number;
  /** Unit epochs already sent. */
  sentUnits: number;
}

let be: CpuBackend | null = null;
let data: Tox21Data | null = null;
const pools = new Map<number, Hosted>();

const memberKey = (trialId: number, seed: number) => `${trialId}/${seed}`;

function hosted(id: number): Hosted {
  const h = pools.get(id);
  if (!h) throw new Error(`no trial pool ${id} in this worker (never opened, or disposed)`);
  return h;
}

serveSession({
  data: (a: PoolCalls['data']) => void (data = a.data),
  open: (a: PoolCalls['open']) => {
    if (!data) throw new Error('no Tox21 data was sent to this worker before its first pool');
    be ??= new CpuBackend('f32');
    pools.set(a.pool, { pool: new Tox21TrialPool(be, data, a.first, a.opts), hostId: new Map(), member: new Map(), nextId: 0, sentUnits: 0 });
  },
  add: ({ pool, member }: PoolCalls['add']) => {
    const h = hosted(pool);
    const id = h.nextId++;
    h.pool.add({ ...member, trialId: id });
    h.hostId.set(memberKey(member.trialId, member.seed), id);
    h.member.set(id, { trialId: member.trialId, seed: member.seed });
  },
  stop: ({ pool, trialId, seed }: PoolCalls['stop']) => {
    const h = hosted(pool);
    const id = h.hostId.get(memberKey(trialId, seed));
    if (id === undefined) return;
    h.pool.stop(id, seed);
    h.hostId.delete(memberKey(trialId, seed));
    h.member.delete(id);
  },
  step: async ({ pool }: PoolCalls['step']): Promise<WorkerStep> => {
    const h = hosted(pool);
    const out = await h.pool.step();
    const results = out.map(({ detail, ...me }): WorkerMemberEpoch => {
      const m = h.member.get(me.trialId);
      if (!m) throw new Error(`the hosted pool reported trial ${me.trialId}, which no member stands for`);
      if (me.done) {
        h.member.delete(me.trialId);
        h.hostId.delete(memberKey(m.trialId, m.seed));
      }
      const kept = detail ? { predictions: detail.predictions as SerializedPredictions, epoch: (detail.bestEpochs as number[])[0] } : undefined;
      return { ...me, trialId: m.trialId, seed: m.seed, ...(kept ? { kept } : {}) };
    });
    const units = h.pool.unitEpochs().slice(h.sentUnits);
    h.sentUnits += units.length;
    return { results, units };
  },
  dispose: ({ pool }: PoolCalls['dispose']) => {
    pools.get(pool)?.pool.dispose();
    pools.delete(pool);
  },
  evalPopulation: ({ runs, opts }: PoolCalls['evalPopulation']): Promise<FcnResult[]> => {
    if (!data) throw new Error('no Tox21 data was sent to this worker before its runs');
    be ??= new CpuBackend('f32');
    return evalTox21Population(be, data, runs, opts);
  },
});
