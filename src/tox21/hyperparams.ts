/** The hyperparameters of the book's `eval_tox21_hyperparams`, with its defaults, and how to check them. */
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
}

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

export function checkHyperparams(h: FcnHyperparams): void {
  const positiveInt = ['nHidden', 'nEpochs', 'batchSize'] as const;
  for (const k of positiveInt) if (!Number.isInteger(h[k]) || h[k] < 1) throw new RangeError(`${k} must be a positive integer, got ${h[k]}`);
  if (!Number.isInteger(h.nLayers) || h.nLayers < 0) throw new RangeError(`nLayers must be an integer ≥ 0, got ${h.nLayers}`);
  if (!(h.learningRate > 0) || !Number.isFinite(h.learningRate)) throw new RangeError(`learningRate must be a positive number, got ${h.learningRate}`);
  if (!(h.keepProb > 0 && h.keepProb <= 1)) throw new RangeError(`keepProb must be in (0, 1], got ${h.keepProb}`);
}
