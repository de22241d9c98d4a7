/**
 * The stored spec of a Tox21 search study (`tox21 search --study NAME`), built in one place for the CLI and the
 * page: a study begun in a browser is resumed by CLI workers only if both write the same spec field for field
 * (store-spec.ts refuses any difference), so neither may assemble it on its own. Also the pruner's epoch horizon,
 * which is part of that spec.
 */
import type { SearchSpace } from '../hpo/space.ts';
import type { StudySpec } from '../hpo/store-spec.ts';
import type { Objective } from '../hpo/trial.ts';
import { BOOK_DEFAULTS, type FcnHyperparams, type TrainingMode } from './hyperparams.ts';
import type { StudyIdentity } from './study-identity.ts';

export interface SearchStudyInput {
  name: string;
  space: SearchSpace;
  objective: Objective;
  reps: number;
  nTrials?: number;
  sampler: string;
  pruner: string;
  /** Seed of the first repetition; the sampler is seeded with seed0 + 1. */
  seed0: number;
  /** `--min-epochs` and `--reduction` as given (the CLI stores the flag's text), absent when not given. */
  minEpochs?: string;
  reduction?: string;
  /** The hyperparameters given besides the space (flags on the command line, the form on the page). */
  base: Partial<FcnHyperparams>;
  mode: TrainingMode;
  identity: StudyIdentity;
}

/** The most epochs any trial may train: the base's (or the book's 45) or the space's largest. */
export function searchMaxEpochs(space: SearchSpace, base: Partial<FcnHyperparams>): number {
  const e = space.nEpochs;
  return Math.max(base.nEpochs ?? BOOK_DEFAULTS.nEpochs, ...(e ? (e.kind === 'choice' ? e.values.map(Number) : [e.high]) : []));
}

/** The base of a search whose every hyperparameter has a value (the page's form): those the space does not set. */
export function baseOutside(h: FcnHyperparams, space: SearchSpace): Partial<FcnHyperparams> {
  return Object.fromEntries(Object.entries(h).filter(([k]) => !(k in space)));
}

export function searchStudySpec(i: SearchStudyInput): StudySpec {
  return {
    name: i.name, space: i.space, objective: i.objective, reps: i.reps, nTrials: i.nTrials,
    sampler: { name: i.sampler, options: { seed: i.seed0 + 1 } },
    pruner: { name: i.pruner, options: { maxEpochs: searchMaxEpochs(i.space, i.base), minEpochs: i.minEpochs ?? 1, reduction: i.reduction ?? null } },
    extra: { ...i.identity, base: i.base, mode: i.mode, seed0: i.seed0 },
  };
}
