/**
 * The adaptive search loop (ask/tell with pruning; Optuna's study.optimize for trainers that train many trials at
 * once). The sampler proposes a trial; its `reps` members (one per seed, seeds seed0 … seed0 + reps − 1 for every
 * trial, as the book's repetitions, so configurations are compared on the same seeds) join a TrialPool that
 * accepts its parameters and has room, else a new pool (at most `maxPools` live; pools are stepped one after
 * another, an epoch each per round). After every epoch each trial whose seeds all reached that epoch gets an
 * intermediate value (the objective's mean over seeds) and the pruner is asked; pruned trials stop and their slots
 * are refilled from the sampler at the next epoch boundary, so pools stay full. At a trial's last epoch its values
 * are the means over seeds and valuesSd their sample standard deviations.
 *
 * Failures never end the search: a member that fails fails its trial with that reason (its other seeds stop); a
 * pool whose step throws fails the trials in it with the error's message and is closed, and new pools take over.
 * Budgets: no new trial once `nTrials` trials exist (initial ones included) or the sampler runs out (grid); when
 * `timeoutSeconds` has passed (checked after every epoch, as a step cannot be interrupted), trials still running are
 * stopped after the epoch they were training and marked pruned, reason "timeout: …", with the values of their last
 * epoch; a trial that was asked for but still waited for a pool is dropped (it never started, so it is not recorded).
 * Samplers and pruners only see `withoutTestValues` copies.
 * The sink (a store) hears of a trial when it starts (`created`, state running; or failed, if it failed before it
 * could start) and after every change (`updated`); it may renumber the trial (a shared store gives ids) and may
 * refuse it with a StudyFullError, which ends the asking as nTrials would.
 * Resume: `initialTrials` are kept and seen by the sampler and new ids continue after theirs. Finished ones are
 * never re-run. Waiting ones (enqueued by hand, or put back by a store whose worker died) are trained first, with
 * their id and parameters, before the sampler is asked (Optuna's enqueue_trial). Running ones are left as they are:
 * another worker's, or left by a killed search — a store's heartbeat reaper puts those back to waiting; without a
 * store, mark them failed before passing them.
 */
import type { Pruner } from './pruners/pruner.ts';
import { NopPruner } from './pruners/pruner.ts';
import type { Sampler } from './samplers/sampler.ts';
import { meanSd } from './search.ts';
import { checkSpace, type SearchSpace, type TrialParams } from './space.ts';
import { bestTrial, checkObjective, objectiveValue, withoutTestValues, type Objective, type TrialPool, type TrialRecord } from './trial.ts';

/** A store's hook: called with a copy of the record when a trial is created and after every change. */
export interface StudySink {
  created(t: TrialRecord): void | Promise<void>;
  updated(t: TrialRecord): void | Promise<void>;
}

export type StudyEvent =
  | { kind: 'trial-created'; trial: TrialRecord }
  | { kind: 'trial-started'; trial: TrialRecord; pool: number }
  | { kind: 'trial-epoch'; trial: TrialRecord; epoch: number; value: number }
  | { kind: 'trial-finished'; trial: TrialRecord }
  | { kind: 'pool-created'; pool: number; params: TrialParams }
  | { kind: 'pool-closed'; pool: number; error?: string }
  | { kind: 'timeout'; seconds: number };

export interface StudySearchOptions {
  space: SearchSpace;
  sampler: Sampler;
  /** Default: never prune. */
  pruner?: Pruner;
  objective: Objective;
  /** Seeds per trial (default 1). */
  reps?: number;
  /** Every trial trains seeds seed0 … seed0 + reps − 1 (default 0). */
  seed0?: number;
  /** Trials in the study, initial ones included; required unless timeoutSeconds is given or the sampler is finite. */
  nTrials?: number;
  /** Wall-clock budget of this run in seconds. */
  timeoutSeconds?: number;
  /** Epochs a trial trains: a number, or read from its parameters. */
  epochs: number | ((params: TrialParams) => number);
  /** A new pool for a trial that no live pool accepts; it must accept that trial and have room for its reps. */
  makePool: (params: TrialParams) => TrialPool | Promise<TrialPool>;
  /** Pools alive at once (default 1). */
  maxPools?: number;
  onEvent?: (e: StudyEvent) => void;
  initialTrials?: readonly TrialRecord[];
  sink?: StudySink;
  /** Milliseconds; injected by tests (default performance.now). */
  clock?: () => number;
}

export interface StudySearchResult {
  /** Every trial of the study, initial ones included, by id. */
  trials: TrialRecord[];
  /** The complete trial with the best objective (lowest id on ties), or null. */
  best: TrialRecord | null;
  seconds: number;
  /** The most members one pool step trained. */
  population: number;
  /** Why no more trials were asked for. */
  stopped: 'n-trials' | 'exhausted' | 'timeout';
}

interface LivePool {
  id: number;
  pool: TrialPool;
  trials: Set<number>;
}

interface LiveTrial {
  rec: TrialRecord;
  /** The sink has been told of it (it started, or failed before starting). */
  registered: boolean;
  epochs: number;
  pool: LivePool | null;
  members: Map<number, { values: Map<number, Record<string, number>>; last: number; done: boolean }>;
}

export async function runStudySearch(o: StudySearchOptions): Promise<StudySearchResult> {
  checkSpace(o.space);
  checkObjective(o.objective);
  const reps = o.reps ?? 1;
  const seed0 = o.seed0 ?? 0;
  const maxPools = o.maxPools ?? 1;
  const nTrials = o.nTrials ?? Infinity;
  const pruner = o.pruner ?? new NopPruner();
  const clock = o.clock ?? (() => performance.now());
  if (!(Number.isInteger(reps) && reps >= 1)) throw new RangeError(`study search: reps must be a positive integer, got ${reps}`);
  if (!Number.isInteger(seed0)) throw new RangeError(`study search: seed0 must be an integer, got ${seed0}`);
  if (!(Number.isInteger(maxPools) && maxPools >= 1)) throw new RangeError(`study search: maxPools must be a positive integer, got ${maxPools}`);
  if (o.nTrials !== undefined && !(Number.isInteger(o.nTrials) && o.nTrials >= 0)) throw new RangeError(`study search: nTrials must be an integer ≥ 0, got ${o.nTrials}`);
  if (o.timeoutSeconds !== undefined && !(o.timeoutSeconds > 0)) throw new RangeError(`study search: timeoutSeconds must be > 0, got ${o.timeoutSeconds}`);
  if (o.nTrials === undefined && o.timeoutSeconds === undefined && !o.sampler.finite) {
    throw new RangeError(`study search: the ${o.sampler.name} sampler never runs out; give nTrials or timeoutSeconds`);
  }
  const seeds = Array.from({ length: reps }, (_, r) => seed0 + r);
  const t0 = clock();
  const emit = (e: StudyEvent) => o.onEvent?.(e);
  const copy = (t: TrialRecord) => structuredClone(t);

  const trials: TrialRecord[] = (o.initialTrials ?? []).map(copy).sort((a, b) => a.id - b.id);
  let nextId = trials.reduce((m, t) => Math.max(m, t.id + 1), 0);
  const pools: LivePool[] = [];
  const live = new Map<number, LiveTrial>();
  let poolCount = 0;
  /** Trials waiting for a pool, in order: the initial waiting ones, then at most one the sampler gave. */
  const queue: LiveTrial[] = [];
  let stopped: StudySearchResult['stopped'] | null = null;
  let population = 0;
  const timeUp = () => o.timeoutSeconds !== undefined && (clock() - t0) / 1000 >= o.timeoutSeconds;

  /** Drops a trial that never started (the store was full, or the time ran out while it waited). */
  const drop = (lt: LiveTrial) => {
    trials.splice(trials.indexOf(lt.rec), 1);
    live.delete(lt.rec.id);
  };

  /**
   * Tells the sink: `created` the first time (the trial started, or failed before it could), `updated` after. The
   * sink may give the trial another id (a shared store numbers trials); the runner adopts it. A sink that throws a
   * StudyFullError (other workers made the study's last trials) drops the trial and ends the asking: false.
   */
  const changed = async (lt: LiveTrial): Promise<boolean> => {
    if (lt.registered) {
      await o.sink?.updated(copy(lt.rec));
      return true;
    }
    const c = copy(lt.rec);
    try {
      await o.sink?.created(c);
    } catch (e) {
      if ((e as Error)?.name !== 'StudyFullError') throw e;
      drop(lt);
      stopped = 'n-trials';
      return false;
    }
    lt.registered = true;
    if (c.id !== lt.rec.id) {
      if (live.get(lt.rec.id) === lt) {
        live.delete(lt.rec.id);
        live.set(c.id, lt);
      }
      lt.rec.id = c.id;
      nextId = Math.max(nextId, c.id + 1);
    }
    emit({ kind: 'trial-created', trial: copy(lt.rec) });
    return true;
  };

  const finish = async (lt: LiveTrial, state: 'complete' | 'pruned' | 'failed', reason?: string) => {
    const r = lt.rec;
    if (state !== 'complete' && lt.pool) {
      for (const [seed, m] of lt.members) if (!m.done) lt.pool.pool.stop(r.id, seed);
    }
    r.state = state;
    r.detail = { ...r.detail, endedAt: Date.now() };
    if (reason !== undefined) r.reason = reason;
    // Values: each seed's last scored epoch (complete), or the last epoch every seed reached (pruned, failed).
    const rows = [...lt.members.values()].map((m) => m.values.get(state === 'complete' ? m.last : r.budget)).filter((v): v is Record<string, number> => !!v);
    if (rows.length === lt.members.size && rows.length > 0) {
      const keys = [...new Set(rows.flatMap((v) => Object.keys(v)))];
      r.values = Object.fromEntries(keys.map((k) => [k, meanSd(rows.map((v) => v[k] ?? Number.NaN)).mean]));
      if (rows.length >= 2) r.valuesSd = Object.fromEntries(keys.map((k) => [k, meanSd(rows.map((v) => v[k] ?? Number.NaN)).sd]));
    }
    live.delete(r.id);
    lt.pool?.trials.delete(r.id);
    if (await changed(lt)) emit({ kind: 'trial-finished', trial: copy(r) });
  };

  const start = async (lt: LiveTrial, p: LivePool) => {
    lt.rec.state = 'running';
    // Wall-clock start and end (ms since 1970): trials of a population run side by side, so the charts' time axis
    // needs them rather than a sum of trial seconds.
    lt.rec.detail = { ...lt.rec.detail, startedAt: Date.now() };
    if (!(await changed(lt))) return;
    lt.pool = p;
    p.trials.add(lt.rec.id);
    for (const [seed, m] of lt.members) {
      try {
        p.pool.add({ trialId: lt.rec.id, seed, params: lt.rec.params, epochs: lt.epochs });
      } catch (e) {
        // Seeds not added yet count as done, so only the added ones are stopped.
        for (const [s, x] of lt.members) if (s >= seed) x.done = true;
        m.done = true;
        await finish(lt, 'failed', `the pool could not take it: ${(e as Error).message}`);
        return;
      }
    }
    emit({ kind: 'trial-started', trial: copy(lt.rec), pool: p.id });
  };

  const closePool = (p: LivePool, error?: string) => {
    pools.splice(pools.indexOf(p), 1);
    try {
      p.pool.dispose();
    } catch {
      // A pool that broke may fail to free itself too; its trials are already recorded.
    }
    emit({ kind: 'pool-closed', pool: p.id, ...(error !== undefined ? { error } : {}) });
  };

  /** Puts a trial in a pool; false when none has room and no new pool may be made. */
  const place = async (lt: LiveTrial): Promise<boolean> => {
    const params = lt.rec.params;
    for (const p of pools) {
      if (p.pool.accepts(params) && p.pool.freeSlots() >= reps) {
        await start(lt, p);
        return true;
      }
    }
    if (pools.length >= maxPools) return false;
    let pool: TrialPool;
    try {
      pool = await o.makePool(params);
    } catch (e) {
      await finish(lt, 'failed', `could not make a pool: ${(e as Error).message}`);
      return true;
    }
    if (!pool.accepts(params) || pool.freeSlots() < reps) {
      const why = !pool.accepts(params) ? 'does not accept it' : `has ${pool.freeSlots()} free slots for ${reps} seeds`;
      pool.dispose();
      throw new Error(`study search: makePool made a pool for trial ${lt.rec.id} that ${why}`);
    }
    const p: LivePool = { id: poolCount++, pool, trials: new Set() };
    pools.push(p);
    emit({ kind: 'pool-created', pool: p.id, params });
    await start(lt, p);
    return true;
  };

  const hasRoom = () => pools.length < maxPools || pools.some((p) => p.pool.freeSlots() >= reps);

  /** A trial ready to be placed, or null when its epochs are wrong (then it failed). */
  const prepare = async (rec: TrialRecord, registered: boolean): Promise<LiveTrial | null> => {
    const lt: LiveTrial = { rec, registered, epochs: 0, pool: null, members: new Map(seeds.map((s) => [s, { values: new Map(), last: 0, done: false }])) };
    const epochs = typeof o.epochs === 'number' ? o.epochs : o.epochs(rec.params);
    if (!(Number.isInteger(epochs) && epochs >= 1)) {
      await finish(lt, 'failed', `epochs must be a positive integer, got ${epochs}`);
      return null;
    }
    lt.epochs = epochs;
    live.set(rec.id, lt);
    return lt;
  };

  /** Places waiting trials in order, then asks the sampler while there is room. */
  const fill = async () => {
    if (stopped !== 'timeout' && timeUp()) {
      await timeout();
      return;
    }
    while (queue.length > 0) {
      if (!(await place(queue[0]))) return;
      queue.shift();
    }
    while (stopped === null && hasRoom()) {
      if (timeUp()) {
        await timeout();
        break;
      }
      if (trials.length >= nTrials) {
        stopped = 'n-trials';
        break;
      }
      const id = nextId;
      const params = o.sampler.sample({ space: o.space, history: trials.map(withoutTestValues), trialId: id, objective: o.objective });
      if (params === null) {
        stopped = 'exhausted';
        break;
      }
      nextId++;
      const rec: TrialRecord = { id, params, state: 'waiting', seeds: [...seeds], budget: 0, intermediate: [], values: {}, seconds: 0 };
      trials.push(rec);
      const lt = await prepare(rec, false);
      if (lt && !(await place(lt))) {
        queue.push(lt);
        break;
      }
    }
  };

  const timeout = async () => {
    stopped = 'timeout';
    const seconds = o.timeoutSeconds!;
    emit({ kind: 'timeout', seconds });
    // Asked for but never started: not a trial of the study. Initial waiting trials stay waiting.
    for (const lt of queue.splice(0)) {
      if (lt.registered) live.delete(lt.rec.id);
      else drop(lt);
    }
    for (const lt of [...live.values()]) await finish(lt, 'pruned', `timeout: the search's ${seconds} s ran out; stopped after epoch ${lt.rec.budget} of ${lt.epochs}`);
  };

  /** Records a pool step's scores: intermediate values, pruning, completion, failures. */
  const record = async (results: readonly { trialId: number; seed: number; epoch: number; values: Record<string, number>; done: boolean; failed?: string }[]) => {
    for (const me of results) {
      const lt = live.get(me.trialId);
      if (!lt || lt.rec.state !== 'running') continue; // finished earlier in this step (a sibling seed failed)
      const m = lt.members.get(me.seed);
      if (!m) throw new Error(`study search: the pool reported seed ${me.seed} of trial ${me.trialId}, which it was not given`);
      if (me.failed !== undefined) {
        m.done = true;
        await finish(lt, 'failed', reps > 1 ? `seed ${me.seed}: ${me.failed}` : me.failed);
        continue;
      }
      m.values.set(me.epoch, me.values);
      m.last = Math.max(m.last, me.epoch);
      if (me.done) m.done = true;
      const r = lt.rec;
      let pruned = false;
      for (let e = r.budget + 1; [...lt.members.values()].every((x) => x.values.has(e)); e++) {
        const value = meanSd([...lt.members.values()].map((x) => x.values.get(e)![o.objective.name] ?? Number.NaN)).mean;
        r.intermediate.push({ epoch: e, value });
        r.budget = e;
        await changed(lt);
        emit({ kind: 'trial-epoch', trial: copy(r), epoch: e, value });
        if (e < lt.epochs) {
          const reason = pruner.shouldPrune(withoutTestValues(r), trials.map(withoutTestValues), o.objective.direction);
          if (reason !== null) {
            await finish(lt, 'pruned', reason);
            pruned = true;
            break;
          }
        }
      }
      if (!pruned && [...lt.members.values()].every((x) => x.done)) await finish(lt, 'complete');
    }
  };

  // Initial waiting trials (enqueued, or put back by a store) train first, with their ids and parameters.
  for (const t of [...trials]) {
    if (t.state !== 'waiting') continue;
    t.seeds = [...seeds];
    const lt = await prepare(t, true);
    if (lt) queue.push(lt);
  }

  for (;;) {
    await fill();
    if (stopped === 'timeout') {
      for (const p of [...pools]) closePool(p);
      break;
    }
    if (pools.length === 0) break;
    for (const p of [...pools]) {
      if (p.pool.running() === 0) {
        closePool(p);
        continue;
      }
      population = Math.max(population, p.pool.running());
      const s0 = clock();
      let results;
      try {
        results = await p.pool.step();
        if (results.length === 0) throw new Error(`the pool trained none of its ${p.pool.running()} running members in a step`);
      } catch (e) {
        const msg = (e as Error)?.message ?? String(e);
        for (const id of [...p.trials]) {
          const lt = live.get(id)!;
          lt.pool = null; // the broken pool is not asked to stop members
          await finish(lt, 'failed', msg);
        }
        closePool(p, msg);
        continue;
      }
      const dt = (clock() - s0) / 1000;
      for (const id of p.trials) live.get(id)!.rec.seconds += dt;
      await record(results);
      if (timeUp()) break; // the next fill stops the search before another pool trains an epoch
    }
  }

  const out = trials.map(copy).sort((a, b) => a.id - b.id);
  return { trials: out, best: bestTrial(out, o.objective), seconds: (clock() - t0) / 1000, population, stopped: stopped ?? 'exhausted' };
}

export { bestTrial };
