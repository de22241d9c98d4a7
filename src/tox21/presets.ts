/**
 * The chapter's searches as presets: its two grids (`simple`, `hidden`) and its random learning rates 10^-U(1, 6),
 * i.e. log-uniform on [1e-6, 1e-1]; plus `challenge`, a random search over all of them at once. They name the
 * network's hyperparameters, so they live beside it in src/tox21/, not in the generic src/hpo/.
 */
import type { SearchSpace } from '../hpo/space.ts';

export type PresetName = 'simple' | 'hidden' | 'random-lr' | 'challenge';

export const PRESETS: Record<PresetName, SearchSpace> = {
  // hidden [50] × epochs [10] × keepProb [0.5, 1.0] × layers [1, 2]
  simple: {
    nHidden: { kind: 'choice', values: [50] },
    nEpochs: { kind: 'choice', values: [10] },
    keepProb: { kind: 'choice', values: [0.5, 1.0] },
    nLayers: { kind: 'choice', values: [1, 2] },
  },
  // hidden [30, 60] × epochs [15, 30, 45] × keepProb [0.5] × layers [1, 2]
  hidden: {
    nHidden: { kind: 'choice', values: [30, 60] },
    nEpochs: { kind: 'choice', values: [15, 30, 45] },
    keepProb: { kind: 'choice', values: [0.5] },
    nLayers: { kind: 'choice', values: [1, 2] },
  },
  'random-lr': {
    learningRate: { kind: 'loguniform', low: 1e-6, high: 1e-1 },
  },
  // Our search for the book's challenge (beat the forest on validation), narrowed in two rounds of random search on
  // this machine: first both training modes, learning rates 3e-4..3e-3, 50-200 units, keep 0.2-0.8, 5-40 epochs,
  // batches of 50-200 (24 configurations × 2 seeds; modern training on top, ~0.665-0.675); then hand-picked probes,
  // where strong dropout with large batches and small learning rates did best. Wider or deeper nets only overfit
  // NR-AR's 309 positives.
  challenge: {
    mode: { kind: 'choice', values: ['modern'] },
    learningRate: { kind: 'loguniform', low: 2e-4, high: 1e-3 },
    nHidden: { kind: 'choice', values: [50, 100, 200] },
    keepProb: { kind: 'uniform', low: 0.25, high: 0.45 },
    nEpochs: { kind: 'int', low: 15, high: 35 },
    batchSize: { kind: 'choice', values: [200] },
  },
};
