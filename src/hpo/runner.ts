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
 *
 * One loop for every search: without a store (the sampler proposes from the runner's own trials) and with one
 * (store-search.ts passes a `source`: the store claims a waiting trial or creates one, sampling under its lock from
 * every worker's trials; a source's trial that still waited for a pool at the timeout goes back to waiting). A
 * study on one worker trains exactly what the same search without a store trains (test/store-memory.test.ts).
 *
 * The loop is the StudyRunner class: its state (trials, live pools, the queue) in fields, each step of the loop a
 * named method — fill (ask), place/start (put a trial in a pool), record (tell: intermediate values, pruning),
 * finish, timeout — so a reader finds every path in one screen each.
 */
import type { Pruner } from './pruners/pruner.ts';
import { NopPruner } from './pruners/pruner.ts';
import type { Sampler } from './samplers/sampler.ts';
import { meanSd } from '../stats/mean-sd.ts';
import { checkSpace, type SearchSpace, type TrialParams } from './space.ts';
import { bestTrial, checkObjective, withoutTestValues, type MemberEpoch, type Objective, type TrialPool, type TrialRecord } from './trial.ts';

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
  /** After every pool step: each member's scores as the pool reported them (one curve per model on a chart). */
  | { kind: 'pool-step'; pool: number; results: readonly MemberEpoch[] }
  | { kind: 'timeout'; seconds: number };

/**
 * Where new trials come from when a pool has room, for a search whose study is shared (store-search.ts): the store
 * hands out a waiting trial or creates one, its configuration chosen by the sampler under the store's lock, so
 * workers sharing a study never pick alike. The trial comes registered (state running, the store's id).
 */
export interface TrialSource {
  /** The next trial to train, or null when there is none to start now. */
  next(): Promise<TrialRecord | null>;
}

export interface StudySearchOptions {
  space: SearchSpace;
  /** Proposes new trials from the runner's own history; required unless `source` is given. */
  sampler?: Sampler;
  /** New trials from a store instead of the sampler (a shared study); nTrials is then the store's to enforce. */
  source?: TrialSource;
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

type Stopped = StudySearchResult['stopped'];

/** Runs the search to its end: `new StudyRunner(options).run()` (bad options reject the promise). */
export async function runStudySearch(o: StudySearchOptions): Promise<StudySearchResult> {
  return new StudyRunner(o).run();
}

export class StudyRunner {
  private readonly reps: number;
  private readonly seeds: number[];
  private readonly maxPools: number;
  private readonly nTrials: number;
  private readonly pruner: Pruner;
  private readonly clock: () => number;
  private readonly t0: number;
  /** Every trial of the study (initial ones included) in creation order. */
  private readonly trials: TrialRecord[];
  private nextId: number;
  private readonly pools: LivePool[] = [];
  private readonly live = new Map<number, LiveTrial>();
  private poolCount = 0;
  /** Trials waiting for a pool, in order: the initial waiting ones, then at most one the sampler gave. */
  private readonly queue: LiveTrial[] = [];
  private stopped: Stopped | null = null;
  private population = 0;

  constructor(private readonly o: StudySearchOptions) {
    checkSpace(o.space);
    checkObjective(o.objective);
    this.reps = o.reps ?? 1;
    const seed0 = o.seed0 ?? 0;
    this.maxPools = o.maxPools ?? 1;
    this.nTrials = o.nTrials ?? Infinity;
    this.pruner = o.pruner ?? new NopPruner();
    this.clock = o.clock ?? (() => performance.now());
    checkBudgets(o, this.reps, seed0, this.maxPools);
    this.seeds = Array.from({ length: this.reps }, (_, r) => seed0 + r);
    this.t0 = this.clock();
    this.trials = (o.initialTrials ?? []).map(copy).sort((a, b) => a.id - b.id);
    this.nextId = this.trials.reduce((m, t) => Math.max(m, t.id + 1), 0);
  }

  async run(): Promise<StudySearchResult> {
    // Initial waiting trials (enqueued, or put back by a store) train first, with their ids and parameters.
    for (const t of [...this.trials]) {
      if (t.state !== 'waiting') continue;
      t.seeds = [...this.seeds];
      const lt = await this.prepare(t, true);
      if (lt) this.queue.push(lt);
    }
    for (;;) {
      await this.fill();
      if (this.stopped === 'timeout') {
        for (const p of [...this.pools]) this.closePool(p);
        break;
      }
      if (this.pools.length === 0) break;
      await this.stepPools();
    }
    const out = this.trials.map(copy).sort((a, b) => a.id - b.id);
    return { trials: out, best: bestTrial(out, this.o.objective), seconds: (this.clock() - this.t0) / 1000, population: this.population, stopped: this.stopped ?? 'exhausted' };
  }

  /** One round: every live pool trains an epoch and its scores are recorded; stops early when the time is up. */
  private async stepPools(): Promise<void> {
    for (const p of [...this.pools]) {
      if (p.pool.running() === 0) {
        this.closePool(p);
        continue;
      }
      this.population = Math.max(this.population, p.pool.running());
      const s0 = this.clock();
      let results: MemberEpoch[];
      try {
        results = await p.pool.step();
        if (results.length === 0) throw new Error(`the pool trained none of its ${p.pool.running()} running members in a step`);
      } catch (e) {
        await this.breakPool(p, (e as Error)?.message ?? String(e));
        continue;
      }
      const dt = (this.clock() - s0) / 1000;
      for (const id of p.trials) this.live.get(id)!.rec.seconds += dt;
      this.emit({ kind: 'pool-step', pool: p.id, results });
      await this.record(results);
      if (this.timeUp()) break; // the next fill stops the search before another pool trains an epoch
    }
  }

  /** A pool whose step threw: its trials fail with the error's message and it is closed. */
  private async breakPool(p: LivePool, msg: string): Promise<void> {
    for (const id of [...p.trials]) {
      const lt = this.live.get(id)!;
      lt.pool = null; // the broken pool is not asked to stop members
      await this.finish(lt, 'failed', msg);
    }
    this.closePool(p, msg);
  }

  private emit(e: StudyEvent): void {
    this.o.onEvent?.(e);
  }

  private timeUp(): boolean {
    return this.o.timeoutSeconds !== undefined && (this.clock() - this.t0) / 1000 >= this.o.timeoutSeconds;
  }

  /** Drops a trial that never started (the store was full, or the time ran out while it waited). */
  private drop(lt: LiveTrial): void {
    this.trials.splice(this.trials.indexOf(lt.rec), 1);
    this.live.delete(lt.rec.id);
  }

  /**
   * Tells the sink: `created` the first time (the trial started, or failed before it could), `updated` after. The
   * sink may give the trial another id (a shared store numbers trials); the runner adopts it. A sink that throws a
   * StudyFullError (other workers made the study's last trials) drops the trial and ends the asking: false.
   */
  private async changed(lt: LiveTrial): Promise<boolean> {
    if (lt.registered) {
      await this.o.sink?.updated(copy(lt.rec));
      return true;
    }
    const c = copy(lt.rec);
    try {
      await this.o.sink?.created(c);
    } catch (e) {
      if ((e as Error)?.name !== 'StudyFullError') throw e;
      this.drop(lt);
      this.stopped = 'n-trials';
      return false;
    }
    lt.registered = true;
    if (c.id !== lt.rec.id) this.renumber(lt, c.id);
    this.emit({ kind: 'trial-created', trial: copy(lt.rec) });
    return true;
  }

  private renumber(lt: LiveTrial, id: number): void {
    if (this.live.get(lt.rec.id) === lt) {
      this.live.delete(lt.rec.id);
      this.live.set(id, lt);
    }
    lt.rec.id = id;
    this.nextId = Math.max(this.nextId, id + 1);
  }

  private async finish(lt: LiveTrial, state: 'complete' | 'pruned' | 'failed', reason?: string): Promise<void> {
    const r = lt.rec;
    if (state !== 'complete' && lt.pool) {
      for (const [seed, m] of lt.members) if (!m.done) lt.pool.pool.stop(r.id, seed);
    }
    r.state = state;
    r.detail = { ...r.detail, endedAt: Date.now() };
    if (reason !== undefined) r.reason = reason;
    finalValues(lt, state === 'complete');
    this.live.delete(r.id);
    lt.pool?.trials.delete(r.id);
    if (await this.changed(lt)) this.emit({ kind: 'trial-finished', trial: copy(r) });
  }

  private async start(lt: LiveTrial, p: LivePool): Promise<void> {
    lt.rec.state = 'running';
    // Wall-clock start and end (ms since 1970): trials of a population run side by side, so the charts' time axis
    // needs them rather than a sum of trial seconds.
    lt.rec.detail = { ...lt.rec.detail, startedAt: Date.now() };
    if (!(await this.changed(lt))) return;
    lt.pool = p;
    p.trials.add(lt.rec.id);
    for (const [seed, m] of lt.members) {
      try {
        p.pool.add({ trialId: lt.rec.id, seed, params: lt.rec.params, epochs: lt.epochs });
      } catch (e) {
        // Seeds not added yet count as done, so only the added ones are stopped.
        for (const [s, x] of lt.members) if (s >= seed) x.done = true;
        m.done = true;
        await this.finish(lt, 'failed', `the pool could not take it: ${(e as Error).message}`);
        return;
      }
    }
    this.emit({ kind: 'trial-started', trial: copy(lt.rec), pool: p.id });
  }

  private closePool(p: LivePool, error?: string): void {
    this.pools.splice(this.pools.indexOf(p), 1);
    try {
      p.pool.dispose();
    } catch {
      // A pool that broke may fail to free itself too; its trials are already recorded.
    }
    this.emit({ kind: 'pool-closed', pool: p.id, ...(error !== undefined ? { error } : {}) });
  }

  /** Puts a trial in a pool; false when none has room and no new pool may be made. */
  private async place(lt: LiveTrial): Promise<boolean> {
    const params = lt.rec.params;
    const open = this.pools.find((p) => p.pool.accepts(params) && p.pool.freeSlots() >= this.reps);
    if (open) {
      await this.start(lt, open);
      return true;
    }
    if (this.pools.length >= this.maxPools) return false;
    let pool: TrialPool;
    try {
      pool = await this.o.makePool(params);
    } catch (e) {
      // A lost GPU device with no new one to be had (src/gpu/errors.ts, recognized by name: src/hpo knows no GPU) ends
      // the search: every later trial would fail the same way. The stored study keeps its trials; a resume trains them.
      if ((e as Error)?.name === 'DeviceLostError') throw e;
      await this.finish(lt, 'failed', `could not make a pool: ${(e as Error).message}`);
      return true;
    }
    if (!pool.accepts(params) || pool.freeSlots() < this.reps) {
      const why = !pool.accepts(params) ? 'does not accept it' : `has ${pool.freeSlots()} free slots for ${this.reps} seeds`;
      pool.dispose();
      throw new Error(`study search: makePool made a pool for trial ${lt.rec.id} that ${why}`);
    }
    const p: LivePool = { id: this.poolCount++, pool, trials: new Set() };
    this.pools.push(p);
    this.emit({ kind: 'pool-created', pool: p.id, params });
    await this.start(lt, p);
    return true;
  }

  private hasRoom(): boolean {
    return this.pools.length < this.maxPools || this.pools.some((p) => p.pool.freeSlots() >= this.reps);
  }

  /** A trial ready to be placed, or null when its epochs are wrong (then it failed). */
  private async prepare(rec: TrialRecord, registered: boolean): Promise<LiveTrial | null> {
    const lt: LiveTrial = { rec, registered, epochs: 0, pool: null, members: new Map(this.seeds.map((s) => [s, { values: new Map(), last: 0, done: false }])) };
    const epochs = typeof this.o.epochs === 'number' ? this.o.epochs : this.o.epochs(rec.params);
    if (!(Number.isInteger(epochs) && epochs >= 1)) {
      await this.finish(lt, 'failed', `epochs must be a positive integer, got ${epochs}`);
      return null;
    }
    lt.epochs = epochs;
    this.live.set(rec.id, lt);
    return lt;
  }

  /** Places waiting trials in order, then asks the sampler while there is room. */
  private async fill(): Promise<void> {
    if (this.stopped !== 'timeout' && this.timeUp()) {
      await this.timeout();
      return;
    }
    while (this.queue.length > 0) {
      if (!(await this.place(this.queue[0]))) return;
      this.queue.shift();
    }
    while (this.stopped === null && this.hasRoom()) {
      if (this.timeUp()) {
        await this.timeout();
        break;
      }
      if (this.trials.length >= this.nTrials) {
        this.stopped = 'n-trials';
        break;
      }
      const rec = this.o.source ? await this.fromSource(this.o.source) : this.ask();
      if (rec === null) {
        this.stopped = 'exhausted';
        break;
      }
      const lt = await this.prepare(rec, !!this.o.source);
      if (lt && !(await this.place(lt))) {
        this.queue.push(lt);
        break;
      }
    }
  }

  /** The sampler's next trial (waiting, with the next id), or null when it has no more. */
  private ask(): TrialRecord | null {
    const id = this.nextId;
    const params = this.o.sampler!.sample({ space: this.o.space, history: this.trials.map(withoutTestValues), trialId: id, objective: this.o.objective });
    if (params === null) return null;
    this.nextId++;
    const rec: TrialRecord = { id, params, state: 'waiting', seeds: [...this.seeds], budget: 0, intermediate: [], values: {}, seconds: 0 };
    this.trials.push(rec);
    return rec;
  }

  /** The source's next trial, already in the store: it replaces a stale copy of the same id in the runner's list. */
  private async fromSource(source: TrialSource): Promise<TrialRecord | null> {
    const got = await source.next();
    if (got === null) return null;
    const rec: TrialRecord = { ...got, seeds: [...this.seeds], budget: 0, intermediate: [], values: {} };
    const at = this.trials.findIndex((t) => t.id === rec.id);
    if (at >= 0) this.trials.splice(at, 1);
    this.trials.push(rec);
    this.nextId = Math.max(this.nextId, rec.id + 1);
    this.emit({ kind: 'trial-created', trial: copy(rec) });
    return rec;
  }

  private async timeout(): Promise<void> {
    this.stopped = 'timeout';
    const seconds = this.o.timeoutSeconds!;
    this.emit({ kind: 'timeout', seconds });
    // Asked for but never started: not a trial of the study. Initial waiting trials stay waiting.
    // A source's trial that never started goes back to waiting, for another worker or a resume.
    for (const lt of this.queue.splice(0)) {
      if (!lt.registered) this.drop(lt);
      else {
        this.live.delete(lt.rec.id);
        if (lt.rec.state !== 'waiting') {
          lt.rec.state = 'waiting';
          await this.o.sink?.updated(copy(lt.rec));
        }
      }
    }
    for (const lt of [...this.live.values()]) await this.finish(lt, 'pruned', `timeout: the search's ${seconds} s ran out; stopped after epoch ${lt.rec.budget} of ${lt.epochs}`);
  }

  /** Records a pool step's scores: intermediate values, pruning, completion, failures. */
  private async record(results: readonly MemberEpoch[]): Promise<void> {
    for (const me of results) {
      const lt = this.live.get(me.trialId);
      if (!lt || lt.rec.state !== 'running') continue; // finished earlier in this step (a sibling seed failed)
      const m = lt.members.get(me.seed);
      if (!m) throw new Error(`study search: the pool reported seed ${me.seed} of trial ${me.trialId}, which it was not given`);
      if (me.failed !== undefined) {
        m.done = true;
        await this.finish(lt, 'failed', this.reps > 1 ? `seed ${me.seed}: ${me.failed}` : me.failed);
        continue;
      }
      m.values.set(me.epoch, me.values);
      m.last = Math.max(m.last, me.epoch);
      if (me.detail) lt.rec.detail = { ...lt.rec.detail, ...me.detail };
      if (me.done) m.done = true;
      const pruned = await this.scoreEpochs(lt);
      if (!pruned && [...lt.members.values()].every((x) => x.done)) await this.finish(lt, 'complete');
    }
  }

  /** Adds an intermediate value for every epoch all seeds have reached and asks the pruner; true if it pruned. */
  private async scoreEpochs(lt: LiveTrial): Promise<boolean> {
    const r = lt.rec;
    const members = [...lt.members.values()];
    for (let e = r.budget + 1; members.every((x) => x.values.has(e)); e++) {
      const value = meanSd(members.map((x) => x.values.get(e)![this.o.objective.name] ?? Number.NaN)).mean;
      r.intermediate.push({ epoch: e, value });
      r.budget = e;
      await this.changed(lt);
      this.emit({ kind: 'trial-epoch', trial: copy(r), epoch: e, value });
      if (e < lt.epochs) {
        const reason = this.pruner.shouldPrune(withoutTestValues(r), this.trials.map(withoutTestValues), this.o.objective.direction);
        if (reason !== null) {
          await this.finish(lt, 'pruned', reason);
          return true;
        }
      }
    }
    return false;
  }
}

const copy = (t: TrialRecord) => structuredClone(t);

function checkBudgets(o: StudySearchOptions, reps: number, seed0: number, maxPools: number): void {
  if (!(Number.isInteger(reps) && reps >= 1)) throw new RangeError(`study search: reps must be a positive integer, got ${reps}`);
  if (!Number.isInteger(seed0)) throw new RangeError(`study search: seed0 must be an integer, got ${seed0}`);
  if (!(Number.isInteger(maxPools) && maxPools >= 1)) throw new RangeError(`study search: maxPools must be a positive integer, got ${maxPools}`);
  if (o.nTrials !== undefined && !(Number.isInteger(o.nTrials) && o.nTrials >= 0)) throw new RangeError(`study search: nTrials must be an integer ≥ 0, got ${o.nTrials}`);
  if (o.timeoutSeconds !== undefined && !(o.timeoutSeconds > 0)) throw new RangeError(`study search: timeoutSeconds must be > 0, got ${o.timeoutSeconds}`);
  if (!o.sampler && !o.source) throw new RangeError('study search: give a sampler or a trial source');
  if (o.sampler && !o.source && o.nTrials === undefined && o.timeoutSeconds === undefined && !o.sampler.finite) {
    throw new RangeError(`study search: the ${o.sampler.name} sampler never runs out; give nTrials or timeoutSeconds`);
  }
}

/**
 * A finished trial's values: the mean over seeds of each seed's last scored epoch (complete), or of the last epoch
 * every seed reached (pruned, failed); valuesSd their sample sds, with two or more seeds.
 */
function finalValues(lt: LiveTrial, complete: boolean): void {
  const r = lt.rec;
  const rows = [...lt.members.values()].map((m) => m.values.get(complete ? m.last : r.budget)).filter((v): v is Record<string, number> => !!v);
  if (rows.length !== lt.members.size || rows.length === 0) return;
  const keys = [...new Set(rows.flatMap((v) => Object.keys(v)))];
  const stats = keys.map((k) => [k, meanSd(rows.map((v) => v[k] ?? Number.NaN))] as const);
  r.values = Object.fromEntries(stats.map(([k, s]) => [k, s.mean]));
  if (rows.length >= 2) r.valuesSd = Object.fromEntries(stats.map(([k, s]) => [k, s.sd]));
}
