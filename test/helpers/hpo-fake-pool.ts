// A scripted TrialPool for the search tests: members train in memory, one epoch per step, with scores from a
// function of (params, epoch, seed); it logs every add, stop and step so tests can check how the runner fills it.
import type { TrialParams } from '../../src/hpo/space.ts';
import type { MemberEpoch, PoolMember, TrialPool } from '../../src/hpo/trial.ts';

/** Scores of a member after `epoch` epochs, or a failure message. */
export type Curve = (params: TrialParams, epoch: number, seed: number) => Record<string, number> | { fail: string };

export interface FakePoolOptions {
  capacity: number;
  curve: Curve;
  /** Only configurations with this shape key are accepted (e.g. p => String(p.layers)). */
  shape?: (p: TrialParams) => string;
  /** Runs at the start of every step (advance a fake clock, throw to simulate a device error). */
  onStep?: (pool: FakePool) => void;
}

export class FakePool implements TrialPool {
  readonly log: string[] = [];
  readonly members: { m: PoolMember; epoch: number }[] = [];
  readonly shapeKey: string | undefined;
  steps = 0;
  disposed = false;

  constructor(readonly opts: FakePoolOptions, first: TrialParams) {
    this.shapeKey = opts.shape?.(first);
  }

  freeSlots(): number {
    return this.opts.capacity - this.members.length;
  }

  accepts(p: TrialParams): boolean {
    return this.opts.shape === undefined || this.opts.shape(p) === this.shapeKey;
  }

  add(m: PoolMember): void {
    if (this.freeSlots() < 1) throw new Error('fake pool: full');
    if (!this.accepts(m.params)) throw new Error('fake pool: wrong shape');
    this.members.push({ m, epoch: 0 });
    this.log.push(`add ${m.trialId}/${m.seed}`);
  }

  async step(): Promise<MemberEpoch[]> {
    this.steps++;
    this.log.push(`step ${this.members.length}`);
    this.opts.onStep?.(this);
    const out: MemberEpoch[] = [];
    for (const x of this.members) {
      x.epoch++;
      const r = this.opts.curve(x.m.params, x.epoch, x.m.seed);
      const base = { trialId: x.m.trialId, seed: x.m.seed, epoch: x.epoch };
      if ('fail' in r) out.push({ ...base, values: {}, done: true, failed: r.fail as string });
      else out.push({ ...base, values: r, done: x.epoch >= x.m.epochs });
    }
    const finished = new Set(out.filter((e) => e.done).map((e) => `${e.trialId}/${e.seed}`));
    for (let i = this.members.length - 1; i >= 0; i--) if (finished.has(`${this.members[i].m.trialId}/${this.members[i].m.seed}`)) this.members.splice(i, 1);
    return out;
  }

  stop(trialId: number, seed: number): void {
    const i = this.members.findIndex((x) => x.m.trialId === trialId && x.m.seed === seed);
    if (i < 0) throw new Error(`fake pool: stop of ${trialId}/${seed}, which is not training`);
    this.members.splice(i, 1);
    this.log.push(`stop ${trialId}/${seed}`);
  }

  running(): number {
    return this.members.length;
  }

  dispose(): void {
    this.disposed = true;
  }
}
