/**
 * The hyperparameters of the book's `eval_tox21_hyperparams`, with its defaults, and how to check them; and the
 * levers the literature adds (initialisation, L2 weight decay), optional so that a configuration without them is
 * exactly the book's or today's modern one.
 */
import type { Init } from '../nn/init.ts';

export interface FcnHyperparams {
  nHidden: number;
  nLayers: number;
  learningRate: number;
  /** The book's `dropout_prob`, which is TensorFlow's keep probability: 0.5 keeps half the units. */
  keepProb: number;
  nEpochs: number;
  batchSize: number;
  /** Weigh each example's loss by the balancing weights (positives ≈ #neg/#pos); else every row weighs 1. */
  weightPositives: boolean;
  /**
   * 'book': W and b from N(0, 1); 'he': He-normal weights, zero biases; 'deepchem': DeepChem's MultitaskClassifier
   * (hidden W from N(0, 0.02²), biases 1, output Glorot). Absent: the mode's (book → 'book', modern → 'he').
   */
  init?: NetworkInit;
  /** L2 weight decay λ ≥ 0 on every parameter (torch.optim.Adam's weight_decay). Absent: 0. */
  weightDecay?: number;
  /**
   * Keep the weights of the epoch with the best validation objective (src/tox21/population.ts: early stopping),
   * not the last epoch's; the epoch is recorded. Absent: false (the last epoch's weights).
   */
  earlyStopping?: boolean;
}

export type NetworkInit = 'book' | 'he' | 'deepchem';
export const NETWORK_INITS: readonly NetworkInit[] = ['book', 'he', 'deepchem'];

export const BOOK_DEFAULTS: FcnHyperparams = {
  nHidden: 50,
  nLayers: 1,
  learningRate: 0.001,
  keepProb: 0.5,
  nEpochs: 45,
  batchSize: 100,
  weightPositives: true,
};

/** `book`: faithful to the chapter's code. `modern`: fan-scaled init, mean loss, shuffled batches. */
export type TrainingMode = 'book' | 'modern';

/** The initialiser a configuration trains with: its `init`, else its mode's (book → N(0, 1), modern → He). */
export function initOf(h: Pick<FcnHyperparams, 'init'>, mode: TrainingMode): Init {
  const init = h.init ?? (mode === 'book' ? 'book' : 'he');
  return init === 'book' ? 'normal' : init;
}

export function checkHyperparams(h: FcnHyperparams): void {
  const positiveInt = ['nHidden', 'nEpochs', 'batchSize'] as const;
  for (const k of positiveInt) if (!Number.isInteger(h[k]) || h[k] < 1) throw new RangeError(`${k} must be a positive integer, got ${h[k]}`);
  if (!Number.isInteger(h.nLayers) || h.nLayers < 0) throw new RangeError(`nLayers must be an integer ≥ 0, got ${h.nLayers}`);
  if (!(h.learningRate > 0) || !Number.isFinite(h.learningRate)) throw new RangeError(`learningRate must be a positive number, got ${h.learningRate}`);
  if (!(h.keepProb > 0 && h.keepProb <= 1)) throw new RangeError(`keepProb must be in (0, 1], got ${h.keepProb}`);
  if (h.init !== undefined && !NETWORK_INITS.includes(h.init)) throw new RangeError(`init must be one of ${NETWORK_INITS.join(', ')}, got ${String(h.init)}`);
  if (h.weightDecay !== undefined && (!(h.weightDecay >= 0) || !Number.isFinite(h.weightDecay))) throw new RangeError(`weightDecay must be a finite number ≥ 0, got ${h.weightDecay}`);
  if (h.earlyStopping !== undefined && typeof h.earlyStopping !== 'boolean') throw new RangeError(`earlyStopping must be true or false, got ${String(h.earlyStopping)}`);
}

/** The optional levers: keys a configuration may set beside the book's (BOOK_DEFAULTS). */
export const LEVER_KEYS = ['init', 'weightDecay', 'earlyStopping'] as const;

/** Every hyperparameter a configuration (a flag set, a search space) may name. */
export const HYPERPARAM_KEYS: readonly (keyof FcnHyperparams)[] = [...(Object.keys(BOOK_DEFAULTS) as (keyof FcnHyperparams)[]), ...LEVER_KEYS];
