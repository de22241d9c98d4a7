/**
 * What a forest reads: binary rows as `SparseBits` (the fast path for ECFP fingerprints, split as "bit set / not
 * set"), or a dense row-major Float32 matrix split at thresholds (general CART). Both become a `FeatureTable`, a
 * plain structured-cloneable object, so the same value can be posted to a Node worker or a Web Worker.
 */
import { sparseRows, type SparseBits } from '../data/sparse-bits.ts';

/** Row-major [rows, cols] matrix. */
export interface DenseMatrix {
  rows: number;
  cols: number;
  values: Float32Array;
}

export type FeatureMatrix = SparseBits | DenseMatrix;

/**
 * Binary rows keep both forms: CSR set-bit lists (to accumulate per-bit class weights over a node's samples) and
 * packed bit words (to test one bit of one row in O(1) when partitioning or predicting) — 1 bit per entry, 1/32 of
 * a dense float matrix.
 */
export interface BinaryTable {
  kind: 'binary';
  rows: number;
  nFeatures: number;
  offsets: Uint32Array;
  indices: Uint16Array;
  /** Row r's bit f is bit (f & 31) of words[r · wordsPerRow + (f >>> 5)]. */
  words: Uint32Array;
  wordsPerRow: number;
}

export interface DenseTable {
  kind: 'dense';
  rows: number;
  nFeatures: number;
  values: Float32Array;
}

export type FeatureTable = BinaryTable | DenseTable;

export function isSparseBits(x: FeatureMatrix): x is SparseBits {
  return (x as SparseBits).offsets !== undefined && (x as SparseBits).indices !== undefined;
}

/** Checks `x` and wraps it; errors name the field and the offending value. */
export function featureTable(x: FeatureMatrix): FeatureTable {
  if (isSparseBits(x)) {
    const rows = sparseRows(x);
    if (!Number.isInteger(x.nBits) || x.nBits < 1 || x.nBits > 65536) throw new RangeError(`SparseBits.nBits must be an integer in [1, 65536], got ${x.nBits}`);
    if (rows < 0 || x.offsets[0] !== 0 || x.offsets[rows] !== x.indices.length) {
      throw new RangeError(`SparseBits.offsets must run from 0 to indices.length (${x.indices.length}), got ${x.offsets[0]} … ${x.offsets[rows]}`);
    }
    const wordsPerRow = Math.ceil(x.nBits / 32);
    const words = new Uint32Array(rows * wordsPerRow);
    for (let r = 0; r < rows; r++) {
      for (let j = x.offsets[r]; j < x.offsets[r + 1]; j++) {
        const b = x.indices[j];
        if (b >= x.nBits) throw new RangeError(`SparseBits row ${r} sets bit ${b}, but nBits is ${x.nBits}`);
        if (j > x.offsets[r] && b <= x.indices[j - 1]) throw new RangeError(`SparseBits row ${r} bits must be strictly ascending, got ${x.indices[j - 1]} then ${b}`);
        words[r * wordsPerRow + (b >>> 5)] |= 1 << (b & 31);
      }
    }
    return { kind: 'binary', rows, nFeatures: x.nBits, offsets: x.offsets, indices: x.indices, words, wordsPerRow };
  }
  const { rows, cols, values } = x;
  if (!Number.isInteger(rows) || rows < 0 || !Number.isInteger(cols) || cols < 1) throw new RangeError(`DenseMatrix needs integer rows ≥ 0 and cols ≥ 1, got rows=${rows}, cols=${cols}`);
  if (!(values instanceof Float32Array)) throw new TypeError(`DenseMatrix.values must be a Float32Array, got ${Object.prototype.toString.call(values)}`);
  if (values.length !== rows * cols) throw new RangeError(`DenseMatrix.values has ${values.length} entries, expected rows·cols = ${rows}·${cols} = ${rows * cols}`);
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) throw new RangeError(`DenseMatrix value at row ${Math.floor(i / cols)}, column ${i % cols} is ${values[i]}; features must be finite`);
  }
  return { kind: 'dense', rows, nFeatures: cols, values };
}
