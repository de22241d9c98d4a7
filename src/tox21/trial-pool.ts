/**
 * The search's TrialPool (src/hpo/trial.ts) for the book's network: members that share a step's shape (layers, batch
 * size, training mode, loss weighting, task) train as one Tox21Population, epoch by epoch. After each epoch every
 * member that trained is scored on validation (weighted accuracy and ROC-AUC: the objective's candidates); a member
 * that finishes is also scored on train and test (reported, never read by a strategy). A stopped (pruned) member
 * frees its slot, which the next `add` refills before the next epoch — the GPU stays full; a slot nobody refills is
 * packed out (Tox21Population.repack), so no population computes members that left. Members are packed by width:
 * one population per width where padding does not pay (CPU, emulators), one padded to the pool's width where it
 * does (a dispatch-bound GPU), measured (src/train/population-cost.ts: widthSlack).
 *
 * Early stopping (a configuration's `earlyStopping`) compares the search's objective (valid-auc or valid-wacc) after
 * each epoch; a finished member's values, test included, are then its best epoch's (Tox21Population.restoreBest).
 * When every seed of a trial has finished, the pool hands the runner the trial's `detail`: the mean of its seeds'
 * probabilities on valid and test (encoded: src/tox21/split-predictions.ts), the seeds' kept epochs and their mean.
 *
 * Search parameters are FcnHyperparams keys (nHidden, learningRate, …) plus `mode` (book|modern); the rest comes
 * from `base`. Members are built lazily: populations are allocated at the next `step`, for the members added by
 * then (at most `capacity` in all), and grow or shrink between epochs; no member is wider than `width`.
 * `solo: true` trains every member as its own population of one, one after another in each epoch — the
 * sequential path (`--population 1`), same arithmetic, one set of dispatches per model.
 */
import type { Backend } from '../backend/backend.ts';
import type { MemberEpoch, PoolMember, TrialPool } from '../hpo/trial.ts';
import type { TrialParams } from '../hpo/space.ts';
import { SPLITS, type SplitName } from '../metrics/split-scores.ts';
import { KeptRuns } from './kept-runs.ts';
import { widthSlack } from '../train/population-cost.ts';
import { packingStats, withDefaults, type PackingStats } from './eval-hyperparams.ts';
import { HYPERPARAM_KEYS, type FcnHyperparams, type TrainingMode } from './hyperparams.ts';
import { groupShape, memberOf, shapeKey, Tox21Population, type MemberScores, type StopMetric, type Tox21Data } from './population.ts';

/** A search configuration as the network's hyperparameters and training mode. */
export function configOf(params: TrialParams, base: Partial<FcnHyperparams> = {}, defaultMode: TrainingMode = 'book'): { h: FcnHyperparams; mode: TrainingMode } {
  const { mode = defaultMode, ...hp } = params as TrialParams & { mode?: string };
  if (mode !== 'book' && mode !== 'modern') throw new RangeError(`search parameter mode must be book or modern, got ${String(mode)}`);
  for (const k of Object.keys(hp)) if (!(HYPERPARAM_KEYS as readonly string[]).includes(k)) throw new RangeError(`search parameter "${k}" is not a hyperparameter of the network (${[...HYPERPARAM_KEYS, 'mode'].join(', ')})`);
  const h = withDefaults({ ...base, ...(hp as Partial<FcnHyperparams>) });
  return { h, mode };
}

/**
 * Values of a member's scores, named as the trial record's values are ("valid-wacc", "test-auc", …): with several
 * tasks the means over tasks (a task whose split has one class is left out of the AUC mean), and each task's
 * valid and test values as "valid-auc/NR-AR" — only where defined, so a left-out task is visible by its absence.
 */
export function scoreValues(s: MemberScores, splits: readonly SplitName[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const split of splits) {
    out[`${split}-wacc`] = s.metrics[split].weightedAccuracy;
    out[`${split}-auc`] = s.metrics[split].rocAuc;
  }
  for (const [task, m] of Object.entries(s.tasks ?? {})) {
    for (const split of splits.filter((x) => x !== 'train')) {
      if (Number.isFinite(m[split].rocAuc)) out[`${split}-auc/${task}`] = m[split].rocAuc;
      if (Number.isFinite(m[split].weightedAccuracy)) out[`${split}-wacc/${task}`] = m[split].weightedAccuracy;
    }
  }
  return out;
}

/** The shape key of a pool's first configuration: what every configuration it takes must share. */
export function poolKey(first: TrialParams, opts: Pick<Tox21PoolOptions, 'base' | 'mode' | 'task'>): string {
  const { h, mode } = configOf(first, opts.base, opts.mode);
  return shapeKey(groupShape(h, mode, opts.task));
}

/** Whether a pool of shape `key` and width `opts.width` can train `params` (same shape, no wider). */
export function fitsPool(key: string, params: TrialParams, opts: Pick<Tox21PoolOptions, 'base' | 'mode' | 'task' | 'width'>): boolean {
  const { h, mode } = configOf(params, opts.base, opts.mode);
  return shapeKey(groupShape(h, mode, opts.task)) === key && h.nHidden <= opts.width;
}

/** The metric early stopping compares for a search objective ("valid-auc" → AUC; anything else weighted accuracy). */
export function stopMetricOf(objective: string | undefined): StopMetric {
  return objective === undefined || /-auc$/.test(objective) ? 'auc' : 'wacc';
}

export interface Tox21PoolOptions {
  task: string;
  base?: Partial<FcnHyperparams>;
  /** Training mode of configurations that do not set `mode`. */
  mode?: TrainingMode;
  /** Most members at once. */
  capacity: number;
  /** Hidden units every slot is padded to (the widest configuration it may take). */
  width: number;
  /** Shared batch order (modern mode). */
  dataSeed?: number;
  /** Train each member alone (no shared dispatches). */
  solo?: boolean;
  /** The search's objective: what early stopping compares (default valid-auc). */
  objective?: string;
}

/** A population, the member each of its slots holds, and the hidden width its slots are padded to. */
interface Group {
  pop: Tox21Population;
  slots: PoolMember[];
  width: number;
}

export class Tox21TrialPool implements TrialPool {
  private groups: Group[] = [];
  private pending: PoolMember[] = [];
  private readonly key: string;
  /** Hidden units computed and those of training members, per population epoch (packingStats). */
  private readonly units: { computed: number; useful: number }[] = [];
  /** Largest population trained. */
  models = 0;
  /** Seeds each trial was given, and the kept probabilities and epoch of those that finished. */
  private readonly kept = new KeptRuns();

  constructor(readonly be: Backend, readonly data: Tox21Data, first: TrialParams, readonly opts: Tox21PoolOptions) {
    if (!Number.isInteger(opts.capacity) || opts.capacity < 1) throw new RangeError(`trial pool capacity must be a positive integer, got ${opts.capacity}`);
    this.key = poolKey(first, opts);
  }

  accepts(params: TrialParams): boolean {
    return fitsPool(this.key, params, this.opts);
  }

  freeSlots(): number {
    return this.opts.capacity - this.running();
  }

  running(): number {
    return this.groups.reduce((a, g) => a + g.pop.trainer.running(), 0) + this.pending.length;
  }

  /** How much of the computed hidden units were padding or idle slots, over every epoch so far. */
  packing(): PackingStats {
    return packingStats(this.units);
  }

  /** Hidden units computed and those of training members, per population epoch so far. */
  unitEpochs(): readonly { computed: number; useful: number }[] {
    return this.units;
  }

  add(member: PoolMember): void {
    if (!this.accepts(member.params)) throw new RangeError(`trial ${member.trialId} does not fit this pool (${this.key}, width ${this.opts.width})`);
    if (this.freeSlots() < 1) throw new RangeError(`trial pool is full (${this.opts.capacity} members)`);
    this.pending.push(member);
    this.kept.addSeed(member.trialId, member.seed);
  }

  stop(trialId: number, seed: number): void {
    this.kept.forget(trialId);
    const i = this.pending.findIndex((p) => p.trialId === trialId && p.seed === seed);
    if (i >= 0) {
      this.pending.splice(i, 1);
      return;
    }
    for (const g of this.groups) {
      const m = g.slots.findIndex((p) => p.trialId === trialId && p.seed === seed);
      if (m >= 0) g.pop.trainer.stop(m);
    }
  }

  private spec(member: PoolMember) {
    const { h } = configOf(member.params, this.opts.base, this.opts.mode);
    return memberOf({ ...h, nEpochs: member.epochs }, member.seed);
  }

  private widthOf(member: PoolMember): number {
    return configOf(member.params, this.opts.base, this.opts.mode).h.nHidden;
  }

  private newGroup(members: PoolMember[], width?: number): void {
    const first = configOf(members[0].params, this.opts.base, this.opts.mode);
    const pop = new Tox21Population(this.be, this.data, groupShape(first.h, first.mode, this.opts.task), members.map((p) => this.spec(p)), {
      width, dataSeed: this.opts.dataSeed, stopOn: stopMetricOf(this.opts.objective),
    });
    this.groups.push({ pop, slots: [...members], width: pop.net.width });
  }

  /**
   * Between epochs: pending members go into freed slots of a population of their width, populations grow for the
   * rest or new ones start, and members that left (done, failed, pruned) and were not replaced are packed out, so
   * every population computes only members that train. A member joins a population only as much narrower than it
   * as padding pays here (widthSlack: none on an arithmetic-bound CPU or emulator, any on a dispatch-bound GPU,
   * whose populations are padded to the pool's width so every later member fits). With shuffled batches (modern
   * mode) a member joins only a population that has not trained yet, else starts one: the population's epoch picks
   * the batch order, and a member must train as its solo run would. Solo: each member its own.
   */
  private async place(): Promise<void> {
    if (this.opts.solo) {
      // Finished solo runs free their memory; each new member is a population of one.
      for (const g of this.groups.filter((x) => x.pop.trainer.running() === 0)) g.pop.dispose();
      this.groups = this.groups.filter((x) => x.pop.trainer.running() > 0);
      for (const p of this.pending) this.newGroup([p]);
      this.pending = [];
      this.models = Math.max(this.models, 1);
      return;
    }
    const slack = widthSlack(this.be);
    const fits = (width: number, w: number) => w <= width && w >= width * (1 - slack);
    const adds = new Map<Group, PoolMember[]>();
    const fresh: { width: number; members: PoolMember[] }[] = [];
    for (const p of [...this.pending].sort((a, b) => this.widthOf(b) - this.widthOf(a))) {
      const w = this.widthOf(p);
      const g = this.groups.find((x) => x.pop.trainer.joinable && fits(x.width, w));
      if (g) adds.set(g, [...(adds.get(g) ?? []), p]);
      else {
        const f = fresh.find((x) => fits(x.width, w));
        if (f) f.members.push(p);
        else fresh.push({ width: slack >= 1 ? this.opts.width : w, members: [p] });
      }
    }
    this.pending = [];
    for (const g of [...this.groups]) await this.refill(g, adds.get(g) ?? []);
    for (const f of fresh) this.newGroup(f.members, f.width);
    this.models = Math.max(this.models, ...this.groups.map((g) => g.pop.models));
  }

  /** Freed slots of g take `add` in place; what does not fit grows it; slots nobody took are packed out. */
  private async refill(g: Group, add: PoolMember[]): Promise<void> {
    const status = g.pop.trainer.status;
    for (let m = 0; m < status.length && add.length > 0; m++) {
      if (status[m] === 'running') continue;
      const member = add.shift()!;
      g.pop.replace(m, this.spec(member));
      g.slots[m] = member;
    }
    const live = g.pop.trainer.status.flatMap((st, m) => (st === 'running' ? [m] : []));
    if (add.length === 0 && live.length === g.pop.models) return;
    if (live.length + add.length === 0) {
      g.pop.dispose();
      this.groups = this.groups.filter((x) => x !== g);
      return;
    }
    await g.pop.repack(live, add.map((p) => this.spec(p)), g.width);
    g.slots = [...live.map((m) => g.slots[m]), ...add];
  }

  async step(): Promise<MemberEpoch[]> {
    await this.place();
    const out: MemberEpoch[] = [];
    for (const g of this.groups) out.push(...(await this.stepGroup(g)));
    // By trial and seed, not by population: the search records (and prunes) in this order, which must not depend
    // on how members were packed — nor on how a sharded pool spread them (sharded-trial-pool.ts reports so too).
    out.sort((a, b) => a.trialId - b.trialId || a.seed - b.seed);
    this.kept.attachDetails(out);
    return out;
  }

  private async stepGroup({ pop, slots }: Group): Promise<MemberEpoch[]> {
    const report = await pop.epoch();
    if (report.trained.length === 0) return [];
    this.units.push(report.units);
    const finished = new Set([...report.finished, ...report.failed]);
    // Validation every epoch (the objective); train and test only for members that finished.
    const splits: SplitName[] = finished.size > 0 ? [...SPLITS] : ['valid'];
    const scores = await pop.score(splits);
    await pop.track(scores, report.trained);
    // Early stopping: members that finished go back to their best epoch, and are scored there.
    const restored = pop.restoreBest(report.finished);
    if (restored.length > 0) (await pop.scoreSlots(restored)).forEach((sc, k) => (scores[restored[k]] = sc));
    const preds = await pop.predictions(report.finished);
    report.finished.forEach((m, k) => {
      const member = slots[m];
      this.kept.keep(member.trialId, member.seed, preds[k], pop.keptEpoch(m));
    });
    return report.trained.map((m) => {
      const member = slots[m];
      const failed = report.failed.includes(m);
      if (failed) this.kept.forget(member.trialId);
      const values = failed ? {} : scoreValues(scores[m], finished.has(m) ? SPLITS : ['valid']);
      values.loss = report.loss[m];
      return {
        trialId: member.trialId,
        seed: member.seed,
        epoch: pop.trainer.epochsDone[m],
        values,
        done: finished.has(m),
        ...(failed ? { failed: pop.trainer.reasons[m] ?? 'training failed' } : {}),
      };
    });
  }

  dispose(): void {
    for (const g of this.groups) g.pop.dispose();
    this.groups = [];
  }
}

/** The packing of a search's pools together. */
export function poolsPacking(pools: readonly Tox21TrialPool[]): PackingStats {
  return packingStats(pools.flatMap((p) => p.unitEpochs()));
}
