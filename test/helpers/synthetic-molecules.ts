/**
 * A small Tox21-shaped dataset made in memory (sparse ECFP-like bits, a few tasks with missing labels, balancing
 * weights) and its index split, for training tests that should not wait for RDKit.
 */
import type { MoleculeDataset } from '../../src/data/molecule-dataset.ts';
import type { DataSplit } from '../../src/data/splits.ts';
import { Rng } from '../../src/random/rng.ts';

export function syntheticMolecules(rows: number, nBits = 64, tasks = 2, seed = 1): { dataset: MoleculeDataset; split: DataSplit } {
  const rng = new Rng(seed);
  const offsets = new Uint32Array(rows + 1);
  const idx: number[] = [];
  const y = new Float32Array(rows * tasks), w = new Float32Array(rows * tasks), labelled = new Uint8Array(rows * tasks);
  for (let r = 0; r < rows; r++) {
    let score = 0;
    for (let b = 0; b < nBits; b++) {
      if (rng.float() < 0.1) {
        idx.push(b);
        score += b % 3 === 0 ? 1 : -0.3;
      }
    }
    offsets[r + 1] = idx.length;
    for (let t = 0; t < tasks; t++) {
      if (rng.float() < 0.1) continue;
      labelled[r * tasks + t] = 1;
      y[r * tasks + t] = score + rng.normal() * 0.5 > 0.8 ? 1 : 0;
    }
  }
  for (let t = 0; t < tasks; t++) {
    let pos = 0, neg = 0;
    for (let r = 0; r < rows; r++) if (labelled[r * tasks + t]) y[r * tasks + t] ? pos++ : neg++;
    for (let r = 0; r < rows; r++) if (labelled[r * tasks + t]) w[r * tasks + t] = y[r * tasks + t] ? neg / Math.max(1, pos) : 1;
  }
  const a = Math.floor(rows * 0.8), b = Math.floor(rows * 0.9);
  const range = (lo: number, hi: number) => Uint32Array.from({ length: hi - lo }, (_, i) => lo + i);
  return {
    dataset: {
      source: 'synthetic', tasks: Array.from({ length: tasks }, (_, t) => `T${t}`), ids: null,
      smiles: Array.from({ length: rows }, () => 'C'), rowIndex: range(0, rows), y, w, labelled,
      features: { nBits, offsets, indices: Uint16Array.from(idx) },
    },
    split: { train: range(0, a), valid: range(a, b), test: range(b, rows) },
  };
}
