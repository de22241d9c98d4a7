/**
 * The pruners, and one way to pick one by name (what a command line's `--pruner none|median|asha|hyperband`
 * needs), with the epochs of the longest trial as Hyperband's maximum resource.
 */
import { HyperbandPruner } from './hyperband.ts';
import { MedianPruner } from './median.ts';
import { NopPruner, type Pruner } from './pruner.ts';
import { SuccessiveHalvingPruner } from './successive-halving.ts';

export { HyperbandPruner, crc32, type HyperbandPrunerOptions } from './hyperband.ts';
export { MedianPruner, medianOf, type MedianPrunerOptions } from './median.ts';
export { NopPruner, valueAt, type Pruner } from './pruner.ts';
export { SuccessiveHalvingPruner, type SuccessiveHalvingPrunerOptions } from './successive-halving.ts';

export const PRUNER_NAMES = ['none', 'median', 'asha', 'hyperband'] as const;
export type PrunerName = (typeof PRUNER_NAMES)[number];

export interface PrunerChoice {
  /** Epochs of the longest trial: Hyperband's maxResource. */
  maxEpochs: number;
  /** ASHA's and Hyperband's minResource (default 1). */
  minEpochs?: number;
  /** η (default: Optuna's, 4 for ASHA and 3 for Hyperband). */
  reductionFactor?: number;
  /** ASHA's s (default 0). */
  minEarlyStoppingRate?: number;
  /** The median rule's start-up trials and warm-up epochs (defaults 5 and 0). */
  nStartupTrials?: number;
  nWarmupEpochs?: number;
}

export function createPruner(name: string, o: PrunerChoice): Pruner {
  switch (name) {
    case 'none': return new NopPruner();
    case 'median': return new MedianPruner({ nStartupTrials: o.nStartupTrials, nWarmupEpochs: o.nWarmupEpochs });
    case 'asha': return new SuccessiveHalvingPruner({ minResource: o.minEpochs, reductionFactor: o.reductionFactor, minEarlyStoppingRate: o.minEarlyStoppingRate });
    case 'hyperband': return new HyperbandPruner({ minResource: o.minEpochs, maxResource: o.maxEpochs, reductionFactor: o.reductionFactor });
    default: throw new RangeError(`unknown pruner "${name}": use ${PRUNER_NAMES.join(', ')}`);
  }
}
