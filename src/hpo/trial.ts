/**
 * The trial record: the one thing samplers, pruners, stores, the CLI's JSON and the report share (Optuna's
 * FrozenTrial). A trial is a configuration evaluated with one or more seeds; its state machine is
 * waiting → running → complete | pruned | failed. Values are a map so validation and test scores are all kept
 * while only the study's objective (e.g. "valid-wacc") drives the search — no strategy ever reads a "test-*" value.
 *
 * Trials are trained by TrialPools: groups of configurations that share a step's shape (e.g. layers, batch size)
 * and train together, one epoch at a time (src/tox21 implements one on the GPU as a population of models).
 */
import type { TrialParams } from './space.ts';

export type TrialState = 'waiting' | 'running' | 'pruned' | 'complete' | 'failed';
export const TRIAL_STATES: readonly TrialState[] = ['waiting', 'running', 'pruned', 'complete', 'failed'];

export interface IntermediateValue {
  /** 1-based: the objective after this many epochs. */
  epoch: number;
  value: number;
}

export interface TrialRecord {
  /** Unique within a study, in the order trials were created (0, 1, 2, …). */
  id: number;
  params: TrialParams;
  state: TrialState;
  /** Why a trial failed ("loss became NaN at epoch 7", an error's message) or was pruned ("asha rung 2"). */
  reason?: string;
  /** One training run per seed (the book's repetitions); values are means over them. */
  seeds: number[];
  /** Epochs trained so far (the resource of successive halving). */
  budget: number;
  /** The objective after each scored epoch, mean over seeds. */
  intermediate: IntermediateValue[];
  /** Final values, e.g. {"valid-wacc", "valid-auc", "test-wacc", "test-auc", "train-wacc", …}: means over seeds. */
  values: Record<string, number>;
  /** Standard deviations over seeds of `values`, with two or more seeds. */
  valuesSd?: Record<string, number>;
  /** Wall time spent on the trial. */
  seconds: number;
  /**
   * Anything else the trainer reports, not read by strategies; the runner sets `startedAt` and `endedAt` (ms since
   * 1970), which the charts' time axis uses (trials of a population run side by side).
   */
  detail?: Record<string, unknown>;
}

export type Direction = 'maximize' | 'minimize';

export interface Objective {
  /** A key of TrialRecord.values; never a "test-*" one. */
  name: string;
  direction: Direction;
}

export function checkObjective(o: Objective): void {
  if (o.name.startsWith('test-')) throw new RangeError(`objective "${o.name}" is a test score: searches choose on validation scores only`);
  if (o.direction !== 'maximize' && o.direction !== 'minimize') throw new RangeError(`objective direction must be maximize or minimize, got "${o.direction}"`);
}

/** The objective's value of a finished trial, or NaN. */
export function objectiveValue(t: TrialRecord, o: Objective): number {
  const v = t.values[o.name];
  return typeof v === 'number' ? v : Number.NaN;
}

/** The complete trial with the best finite objective (direction-aware; lowest id on ties), or null. */
export function bestTrial(trials: readonly TrialRecord[], objective: Objective): TrialRecord | null {
  let best: TrialRecord | null = null;
  for (const t of trials) {
    if (t.state !== 'complete') continue;
    const v = objectiveValue(t, objective);
    if (!Number.isFinite(v)) continue;
    if (best === null) best = t;
    else {
      const b = objectiveValue(best, objective);
      if (objective.direction === 'maximize' ? v > b : v < b) best = t;
    }
  }
  return best;
}

/** A copy of a trial that a strategy may see: test values removed, so no sampler or pruner can use them. */
export function withoutTestValues(t: TrialRecord): TrialRecord {
  const strip = (m: Record<string, number> | undefined) => m && Object.fromEntries(Object.entries(m).filter(([k]) => !k.startsWith('test-')));
  return { ...t, values: strip(t.values)!, ...(t.valuesSd ? { valuesSd: strip(t.valuesSd) } : {}), detail: undefined };
}

/** One training run of a trial inside a pool: a (trial, seed) pair trained for up to `epochs` epochs. */
export interface PoolMember {
  trialId: number;
  seed: number;
  params: TrialParams;
  epochs: number;
}

/** A member's scores after an epoch: all the values (objective and test alike) at that point. */
export interface MemberEpoch {
  trialId: number;
  seed: number;
  /** 1-based epochs trained by this member. */
  epoch: number;
  values: Record<string, number>;
  /** The member reached its epochs, was stopped, or failed: it trains no more. */
  done: boolean;
  /** Set when it failed: why ("loss became NaN at epoch 3", an error's message). */
  failed?: string;
  /** Merged into the trial record's detail (e.g. a finished trial's predictions); never read by a strategy. */
  detail?: Record<string, unknown>;
}

/**
 * Members trained together, one epoch at a time. A stopped (pruned) member is frozen; its slot can take a new member
 * at the next epoch boundary, so the device stays full.
 */
export interface TrialPool {
  /** Members that can be added now. */
  freeSlots(): number;
  /** Whether a configuration can train in this pool (same shape-changing parameters). */
  accepts(params: TrialParams): boolean;
  add(member: PoolMember): void;
  /** Trains one more epoch of every running member and scores it; resolves to one entry per member that trained. */
  step(): Promise<MemberEpoch[]>;
  /** Freezes a member: it trains no more and its slot frees at the next epoch boundary. */
  stop(trialId: number, seed: number): void;
  /** Members still training. */
  running(): number;
  dispose(): void;
}
