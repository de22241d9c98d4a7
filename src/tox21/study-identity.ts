/**
 * What a stored study was made on, beyond its space and sampler: the data (a hash of the molecules and their
 * labels, so a renamed copy of a file is the same data and an edited one is not), the split (kind and seed), the
 * task and the featurizer. It goes into the study's spec, so a resume on another file, split, task or featurizer is
 * refused, naming which (store-spec.ts's specDifference). Hashed here from the dataset rather than the file's bytes,
 * so the browser, which holds only the parsed dataset, identifies a study the same way. Pure JS: no node:crypto.
 */
import type { DatasetSummary, MoleculeDataset } from '../data/molecule-dataset.ts';

export interface StudyIdentity {
  task: string;
  /** e.g. "ecfp4-1024": ECFP with radius 2 (diameter 4) folded to 1024 bits. */
  featurizer: string;
  data: { hash: string; molecules: number };
  split: { kind: string; seed: number | null };
}

export function studyIdentity(dataset: MoleculeDataset, summary: Pick<DatasetSummary, 'featurizer' | 'split'>, task: string): StudyIdentity {
  const f = summary.featurizer;
  return {
    task,
    featurizer: `${f.kind}${2 * f.radius}-${f.nBits}`,
    data: { hash: datasetHash(dataset), molecules: dataset.smiles.length },
    split: { kind: summary.split.kind, seed: summary.split.seed },
  };
}

/** FNV-1a (64 bits, as two 32-bit halves) over the tasks, every molecule's SMILES and its labels (missing: '-'). */
export function datasetHash(d: Pick<MoleculeDataset, 'tasks' | 'smiles' | 'y' | 'labelled'>): string {
  const h = new Fnv64();
  h.text(d.tasks.join(','));
  const nTasks = d.tasks.length;
  for (let r = 0; r < d.smiles.length; r++) {
    h.text(`\n${d.smiles[r]}\t`);
    let labels = '';
    for (let t = 0; t < nTasks; t++) labels += d.labelled[r * nTasks + t] ? String(d.y[r * nTasks + t]) : '-';
    h.text(labels);
  }
  return h.hex();
}

class Fnv64 {
  // The 64-bit state as four 16-bit limbs, low first (offset basis 0xcbf29ce484222325).
  private v = [0x2325, 0x8422, 0x9ce4, 0xcbf2];

  text(s: string): void {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      this.byte(c & 0xff);
      if (c > 0xff) this.byte(c >> 8);
    }
  }

  /** state ^= b; state *= 0x100000001b3 (mod 2^64), limb by limb. */
  private byte(b: number): void {
    const v = this.v;
    v[0] ^= b;
    // 0x100000001b3 = 2^40 + 0x1b3: v * 0x1b3 plus v shifted left by 40 bits (limb 2 gets v[0] << 8, …).
    const p = [v[0] * 0x1b3, v[1] * 0x1b3, v[2] * 0x1b3, v[3] * 0x1b3];
    p[2] += (v[0] << 8) & 0xffff;
    p[3] += ((v[0] >> 8) & 0xff) + ((v[1] << 8) & 0xffff);
    let carry = 0;
    for (let i = 0; i < 4; i++) {
      const x = p[i] + carry;
      v[i] = x & 0xffff;
      carry = Math.floor(x / 0x10000);
    }
  }

  hex(): string {
    return this.v.map((x) => x.toString(16).padStart(4, '0')).reverse().join('');
  }
}
