/**
 * A checked training problem — features, 0/1 labels and per-class weights — as one structured-cloneable value:
 * the thread that fits the forest builds it once and every tree-growing thread (Node worker or Web Worker) reads it.
 */
import { featureTable, type FeatureMatrix, type FeatureTable } from './features.ts';

export interface TrainingSet {
  table: FeatureTable;
  y: Uint8Array;
  /** Weight of a class-0 and a class-1 sample before bootstrap counts: [1, 1] unless classWeight is 'balanced'. */
  classWeight: [number, number];
}

export function trainingSet(x: FeatureMatrix, y: ArrayLike<number>, classWeight: 'balanced' | null): TrainingSet {
  const table = featureTable(x);
  if (y.length !== table.rows) throw new RangeError(`y has ${y.length} labels but X has ${table.rows} rows`);
  if (table.rows === 0) throw new RangeError('cannot fit on an empty training set (X has 0 rows)');
  const labels = new Uint8Array(y.length);
  const count = [0, 0];
  for (let i = 0; i < y.length; i++) {
    const v = y[i];
    if (v !== 0 && v !== 1) throw new RangeError(`y must hold 0/1 labels, got y[${i}] = ${v}`);
    labels[i] = v;
    count[v]++;
  }
  // sklearn's compute_class_weight('balanced'): n_samples / (n_classes · bincount), over the full training labels
  // (not each bootstrap sample — that would be 'balanced_subsample'). An absent class's weight is never used.
  const present = (count[0] > 0 ? 1 : 0) + (count[1] > 0 ? 1 : 0);
  const balanced = (c: number) => (count[c] > 0 ? y.length / (present * count[c]) : 0);
  const weights: [number, number] = classWeight === 'balanced' ? [balanced(0), balanced(1)] : [1, 1];
  return { table, y: labels, classWeight: weights };
}
