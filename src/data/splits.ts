/**
 * Train/valid/test splits as DeepChem defines them, 80/10/10. `index` (DeepChem 2017's default for Tox21): the first
 * ⌊0.8 n⌋ rows train, up to ⌊0.9 n⌋ valid, the rest test — which is why file order and excluded rows matter.
 * `random`: a seeded permutation cut at the same points. `scaffold`: molecules grouped by Bemis–Murcko scaffold,
 * groups taken largest first (ties: the group whose first row is later goes first, as DeepChem's reverse sort does),
 * each group whole into train until it would pass 0.8 n, then valid until 0.9 n, then test. The cut points copy
 * DeepChem's float arithmetic (0.8 + 0.1 is 0.9000000000000001) so sizes match it for every n. Pure.
 */
import { permutation, Rng } from '../random/rng.ts';

export interface DataSplit {
  train: Uint32Array;
  valid: Uint32Array;
  test: Uint32Array;
}

export type SplitKind = 'index' | 'random' | 'scaffold';

const FRAC_TRAIN = 0.8;
const FRAC_VALID = 0.1;

export function indexSplit(n: number): DataSplit {
  return cutOrder(range(n));
}

export function randomSplit(n: number, seed: number): DataSplit {
  return cutOrder(permutation(n, new Rng(seed)));
}

/** `scaffolds[i]` is row i's scaffold key (rows with equal keys stay together). */
export function scaffoldSplit(scaffolds: readonly string[]): DataSplit {
  const n = scaffolds.length;
  const groups = new Map<string, number[]>();
  for (let i = 0; i < n; i++) {
    const g = groups.get(scaffolds[i]);
    if (g) g.push(i);
    else groups.set(scaffolds[i], [i]);
  }
  const sets = [...groups.values()].sort((a, b) => b.length - a.length || b[0] - a[0]);
  const trainCutoff = FRAC_TRAIN * n;
  const validCutoff = (FRAC_TRAIN + FRAC_VALID) * n;
  const train: number[] = [];
  const valid: number[] = [];
  const test: number[] = [];
  for (const set of sets) {
    if (train.length + set.length > trainCutoff) {
      if (train.length + valid.length + set.length > validCutoff) test.push(...set);
      else valid.push(...set);
    } else train.push(...set);
  }
  return { train: Uint32Array.from(train), valid: Uint32Array.from(valid), test: Uint32Array.from(test) };
}

function cutOrder(order: Uint32Array): DataSplit {
  const n = order.length;
  const trainCut = Math.floor(FRAC_TRAIN * n);
  const validCut = Math.floor((FRAC_TRAIN + FRAC_VALID) * n);
  return { train: order.slice(0, trainCut), valid: order.slice(trainCut, validCut), test: order.slice(validCut) };
}

function range(n: number): Uint32Array {
  const r = new Uint32Array(n);
  for (let i = 0; i < n; i++) r[i] = i;
  return r;
}
