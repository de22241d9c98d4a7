/**
 * The search runner's write-through to a study store. A runner reports each trial when it creates it and after
 * every change (state, an epoch's intermediate value, final values); the sink turns each report into one store
 * transaction, so a killed search loses at most the epoch in flight.
 *
 * Ids belong to the store, not the runner: `created(t)` inserts the trial with the study's next id and writes that
 * id back into `t.id` (the runner must await it before using the id), so several workers on one study never clash.
 * With `limit`, a study that already holds that many trials refuses the new one (StudyFullError), so N workers
 * together create exactly N trials.
 *
 * The sink also knows which trials this worker is running, for the coordinator's heartbeats, and writes updates only
 * while a trial is still this worker's (a trial reaped after a late heartbeat is dropped, not overwritten).
 */
import { StoreError, type StudyStore } from './store.ts';
import type { Study } from './store-spec.ts';
import type { TrialRecord } from './trial.ts';

export class StudyFullError extends StoreError {
  override name = 'StudyFullError';
  constructor(study: string, limit: number) {
    super(`study "${study}" already holds its ${limit} trials`);
  }
}

export interface StoreSinkOptions {
  worker: string;
  /** The study may hold at most this many trials (its nTrials). */
  limit?: number;
  /** Called when an update was refused because the trial was handed to another worker; default: drop it silently. */
  onTaken?: (t: TrialRecord, e: StoreError) => void;
}

const FINAL = new Set(['complete', 'pruned', 'failed']);

export class StoreSink {
  private readonly owned = new Set<number>();
  /** Trials handed to another worker: whatever this one still reports of them is dropped. */
  private readonly lost = new Set<number>();

  constructor(readonly store: StudyStore, readonly study: Study, readonly opts: StoreSinkOptions) {}

  /** Inserts a trial the runner made; sets `t.id` to the id the store gave it. */
  async created(t: TrialRecord): Promise<void> {
    const { id: _ignored, ...rest } = t;
    const limit = this.opts.limit === Infinity ? undefined : this.opts.limit;
    const rec = await this.store.createTrial(this.study, rest, { worker: this.opts.worker, limit });
    if (!rec) throw new StudyFullError(this.study.name, this.opts.limit ?? 0);
    t.id = rec.id;
    if (t.state === 'running') this.owned.add(t.id);
  }

  /** Writes the trial's current state and its new intermediate values in one transaction. */
  async updated(t: TrialRecord): Promise<void> {
    if (this.lost.has(t.id)) return;
    const mine = this.owned.has(t.id);
    try {
      await this.store.updateTrial(this.study, t, mine ? this.opts.worker : undefined);
    } catch (e) {
      if (e instanceof StoreError && e.name === 'TrialTakenError') {
        this.owned.delete(t.id);
        this.lost.add(t.id);
        this.opts.onTaken?.(t, e);
        return;
      }
      throw e;
    }
    if (FINAL.has(t.state)) this.owned.delete(t.id);
  }

  /** Marks trials this worker took from the store (claimed, or created running elsewhere) as its own. */
  adopt(trials: TrialRecord[]): void {
    for (const t of trials) if (t.state === 'running') this.owned.add(t.id);
  }

  /** Ids of the trials this worker is running now. */
  running(): number[] {
    return [...this.owned];
  }
}
