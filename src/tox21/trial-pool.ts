/**
 * The search's TrialPool (src/hpo/trial.ts) for the book's network: members that share a step's shape (layers, batch
 * size, training mode, loss weighting, task) train as one Tox21Population, epoch by epoch. After each epoch every
 * member that trained is scored on validation (weighted accuracy and ROC-AUC: the objective's candidates); a member
 * that finishes is also scored on train and test (reported, never read by a strategy). A stopped (pruned) member
 * frees its slot, which the next `add` refills before the next epoch — the GPU stays full.
 *
 * Search parameters are FcnHyperparams keys (nHidden, learningRate, …) plus `mode` (book|modern); the rest comes
 * from `base`. Members are built lazily: the population is allocated at the first `step`, sized for the members
 * added by then (at most `capacity`), padded to `width` hidden units so later members up to that width fit.
 * `solo: true` trains every member as its own population of one, one after another in each epoch — the
 * sequential path (`--population 1`), same arithmetic, one set of dispatches per model.
 */
import type { Backend } from '../backend/backend.ts';
import type { MemberEpoch, PoolMember, TrialPool } from '../hpo/trial.ts';
import type { TrialParams } from '../hpo/space.ts';
import { SPLITS, type SplitName } from '../metrics/split-scores.ts';
import { withDefaults } from './eval-hyperparams.ts';
import { BOOK_DEFAULTS, type FcnHyperparams, type TrainingMode } from './hyperparams.ts';
import { groupShape, memberOf, shapeKey, Tox21Population, type MemberScores, type Tox21Data } from './population.ts';

/** A search configuration as the network's hyperparameters and training mode. */
export function configOf(params: TrialParams, base: Partial<FcnHyperparams> = {}, defaultMode: TrainingMode = 'book'): { h: FcnHyperparams; mode: TrainingMode } {
  const { mode = defaultMode, ...hp } = params as TrialParams & { mode?: string };
  if (mode !== 'book' && mode !== 'modern') throw new RangeError(`search parameter mode must be book or modern, got ${String(mode)}`);
  for (const k of Object.keys(hp)) if (!(k in BOOK_DEFAULTS)) throw new RangeError(`search parameter "${k}" is not a hyperparameter of the network (${[...Object.keys(BOOK_DEFAULTS), 'mode'].join(', ')})`);
  const h = withDefaults({ ...base, ...(hp as Partial<FcnHyperparams>) });
  return { h, mode };
}

/** Values of a member's scores, named as the trial record's values are ("valid-wacc", "test-auc", …). */
export function scoreValues(s: MemberScores, splits: readonly SplitName[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const split of splits) {
    out[`${split}-wacc`] = s.metrics[split].weightedAccuracy;
    out[`${split}-auc`] = s.metrics[split].rocAuc;
  }
  return out;
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
}

/** A population and the member each of its slots holds. */
interface Group {
  pop: Tox21Population;
  slots: PoolMember[];
}

export class Tox21TrialPool implements TrialPool {
  private groups: Group[] = [];
  private pending: PoolMember[] = [];
  private readonly key: string;
  /** Largest population trained. */
  models = 0;

  constructor(readonly be: Backend, readonly data: Tox21Data, first: TrialParams, readonly opts: Tox21PoolOptions) {
    if (!Number.isInteger(opts.capacity) || opts.capacity < 1) throw new RangeError(`trial pool capacity must be a positive integer, got ${opts.capacity}`);
    const { h, mode } = configOf(first, opts.base, opts.mode);
    this.key = shapeKey(groupShape(h, mode, opts.task));
  }

  accepts(params: TrialParams): boolean {
    const { h, mode } = configOf(params, this.opts.base, this.opts.mode);
    return shapeKey(groupShape(h, mode, this.opts.task)) === this.key && h.nHidden <= this.opts.width;
  }

  freeSlots(): number {
    if (this.groups.length === 0 || this.opts.solo) return this.opts.capacity - this.running();
    return this.groups[0].pop.trainer.status.filter((s) => s !== 'running').length - this.pending.length;
  }

  running(): number {
    return this.groups.reduce((a, g) => a + g.pop.trainer.running(), 0) + this.pending.length;
  }

  add(member: PoolMember): void {
    if (!this.accepts(member.params)) throw new RangeError(`trial ${member.trialId} does not fit this pool (${this.key}, width ${this.opts.width})`);
    if (this.freeSlots() < 1) throw new RangeError(`trial pool is full (${this.opts.capacity} members)`);
    this.pending.push(member);
  }

  stop(trialId: number, seed: number): void {
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

  private newGroup(members: PoolMember[]): void {
    const first = configOf(members[0].params, this.opts.base, this.opts.mode);
    const pop = new Tox21Population(this.be, this.data, groupShape(first.h, first.mode, this.opts.task), members.map((p) => this.spec(p)), {
      width: this.opts.solo ? undefined : this.opts.width,
      dataSeed: this.opts.dataSeed,
    });
    this.groups.push({ pop, slots: [...members] });
  }

  /** Places pending members: in a new population, into freed slots, or (solo) each in its own. */
  private place(): void {
    if (this.opts.solo) {
      // Finished solo runs free their memory; each new member is a population of one.
      for (const g of this.groups.filter((x) => x.pop.trainer.running() === 0)) g.pop.dispose();
      this.groups = this.groups.filter((x) => x.pop.trainer.running() > 0);
      for (const p of this.pending) this.newGroup([p]);
      this.pending = [];
      this.models = Math.max(this.models, 1);
      return;
    }
    if (this.groups.length === 0) {
      this.newGroup(this.pending);
      this.models = this.pending.length;
      this.pending = [];
      return;
    }
    const g = this.groups[0];
    const status = g.pop.trainer.status;
    for (let m = 0; m < status.length && this.pending.length > 0; m++) {
      if (status[m] === 'running') continue;
      const member = this.pending.shift()!;
      g.pop.replace(m, this.spec(member));
      g.slots[m] = member;
    }
  }

  async step(): Promise<MemberEpoch[]> {
    if (this.pending.length > 0) this.place();
    const out: MemberEpoch[] = [];
    for (const g of this.groups) out.push(...(await this.stepGroup(g)));
    return out;
  }

  private async stepGroup({ pop, slots }: Group): Promise<MemberEpoch[]> {
    const report = await pop.epoch();
    if (report.trained.length === 0) return [];
    const finished = new Set([...report.finished, ...report.failed]);
    // Validation every epoch (the objective); train and test only for members that finished.
    const splits: SplitName[] = finished.size > 0 ? [...SPLITS] : ['valid'];
    const scores = await pop.score(splits);
    return report.trained.map((m) => {
      const member = slots[m];
      const failed = report.failed.includes(m);
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
