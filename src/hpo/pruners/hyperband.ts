/**
 * Hyperband (Li et al. 2018, JMLR) as Optuna 3.1's HyperbandPruner: n = ⌊log_η(maxResource / minResource)⌋ + 1
 * brackets of successive halving, bracket i starting its rungs at minResource · η^i (min_early_stopping_rate = i),
 * so bracket 0 prunes hardest and the last barely prunes. A trial's bracket comes from a hash of its id:
 * crc32("<studyName>_<id>") modulo the sum of the brackets' budgets ⌈n · η^(n−1−i) / (n − i)⌉, as Optuna assigns
 * it (same study name and number → same bracket). Each bracket compares only trials of its own bracket.
 * Not copied: Optuna also narrows TPE's history to the trial's bracket; here samplers see every trial.
 */
import type { Direction, TrialRecord } from '../trial.ts';
import type { Pruner } from './pruner.ts';
import { SuccessiveHalvingPruner } from './successive-halving.ts';

export interface HyperbandPrunerOptions {
  /** Epochs before the first rung of bracket 0 (Optuna: min_resource = 1). */
  minResource?: number;
  /** The most epochs a trial trains (Optuna: max_resource; 'auto' is not offered). */
  maxResource: number;
  /** η (Optuna: reduction_factor = 3). */
  reductionFactor?: number;
  /** Hashed with the trial id to pick its bracket (Optuna hashes the study's name). */
  studyName?: string;
}

export class HyperbandPruner implements Pruner {
  readonly name = 'hyperband';
  readonly minResource: number;
  readonly maxResource: number;
  readonly reductionFactor: number;
  readonly studyName: string;
  readonly brackets: SuccessiveHalvingPruner[] = [];
  /** Trials per bracket in a round: ⌈n · η^s / (s + 1)⌉ with s = n − 1 − i. */
  readonly budgets: number[] = [];

  constructor(opts: HyperbandPrunerOptions) {
    this.minResource = opts.minResource ?? 1;
    this.maxResource = opts.maxResource;
    this.reductionFactor = opts.reductionFactor ?? 3;
    this.studyName = opts.studyName ?? 'study';
    if (!(Number.isInteger(this.minResource) && this.minResource >= 1)) throw new RangeError(`hyperband pruner: minResource must be an integer ≥ 1 (epochs), got ${this.minResource}`);
    if (!(Number.isInteger(this.maxResource) && this.maxResource >= this.minResource)) throw new RangeError(`hyperband pruner: maxResource must be an integer ≥ minResource (${this.minResource}), got ${this.maxResource}`);
    if (!(Number.isInteger(this.reductionFactor) && this.reductionFactor >= 2)) throw new RangeError(`hyperband pruner: reductionFactor must be an integer ≥ 2, got ${this.reductionFactor}`);
    let n = 0;
    while (this.minResource * this.reductionFactor ** n <= this.maxResource) n++;
    for (let i = 0; i < n; i++) {
      this.brackets.push(new SuccessiveHalvingPruner({ minResource: this.minResource, reductionFactor: this.reductionFactor, minEarlyStoppingRate: i }));
      const s = n - 1 - i;
      this.budgets.push(Math.ceil((n * this.reductionFactor ** s) / (s + 1)));
    }
  }

  /** The bracket of a trial id. */
  bracketOf(trialId: number): number {
    let h = crc32(`${this.studyName}_${trialId}`) % this.budgets.reduce((a, b) => a + b, 0);
    for (let i = 0; i < this.budgets.length; i++) {
      h -= this.budgets[i];
      if (h < 0) return i;
    }
    return this.budgets.length - 1;
  }

  shouldPrune(trial: TrialRecord, all: readonly TrialRecord[], direction: Direction): string | null {
    const b = this.bracketOf(trial.id);
    const reason = this.brackets[b].shouldPrune(trial, all.filter((t) => this.bracketOf(t.id) === b), direction);
    return reason && `hyperband bracket ${b}: ${reason}`;
  }
}

let table: Uint32Array | null = null;

/** CRC-32 (IEEE, as zlib and Python's binascii.crc32) of a string's UTF-8 bytes. */
export function crc32(s: string): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (const byte of new TextEncoder().encode(s)) crc = table[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
