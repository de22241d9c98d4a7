import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDataFile } from '../src/data/data-file.ts';
import { cacheKey, contentHash, readScaffoldCache, scaffoldCachePath } from '../src/data/feature-cache.ts';
import { runMoleculeJobThreaded } from '../src/data/molecule-threads.ts';
import { rdkitPackageVersion } from '../src/data/rdkit-node.ts';
import { sparseRows } from '../src/data/sparse-bits.ts';
import { loadTox21, subsetDataset, type DataSplit, type LoadReport, type MoleculeDataset } from '../src/data/tox21.ts';
import { runCliOk } from './helpers/cli.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const data = resolve(repoRoot, '../shared/data/tox21.csv.gz');
const reference = resolve(repoRoot, '../shared/data/tox21_ecfp4_1024.rdkit.txt.gz');
// A temp XDG_CACHE_HOME whose shadergrad/ is the cache dir, so the CLI run below shares the cache of the loads.
const xdg = mkdtempSync(join(tmpdir(), 'shadergrad-tox21-'));
const cacheDir = join(xdg, 'shadergrad');
afterAll(() => rmSync(xdg, { recursive: true, force: true }));

// Labelled / positive per task, from shared/data/README.md.
const README_COUNTS: Record<string, [number, number]> = {
  'NR-AR': [7265, 309],
  'NR-AR-LBD': [6758, 237],
  'NR-AhR': [6549, 768],
  'NR-Aromatase': [5821, 300],
  'NR-ER': [6193, 793],
  'NR-ER-LBD': [6955, 350],
  'NR-PPAR-gamma': [6450, 186],
  'SR-ARE': [5832, 942],
  'SR-ATAD5': [7072, 264],
  'SR-HSE': [6467, 372],
  'SR-MMP': [5810, 918],
  'SR-p53': [6774, 423],
};

let cold: { dataset: MoleculeDataset; split: DataSplit; report: LoadReport };

beforeAll(async () => {
  // Two threads whatever the machine, so the worker path is what this checks.
  cold = await loadTox21({ data, cacheDir, threads: 2 });
});

describe('Tox21 as DeepChem 2017 loads it', () => {
  it('keeps every row: 7,831 featurized, 8 without sanitization, none failed', () => {
    const r = cold.report;
    expect([r.rows, r.featurized, r.unsanitized, r.failed]).toEqual([7831, 7831, 8, 0]);
    expect(r.unsanitizedRows).toEqual([1322, 2290, 2297, 3558, 4565, 4649, 5538, 6723]);
    expect(r.cached).toBe(false);
    expect(r.threads).toBeGreaterThan(0); // 2 unless the worker started after the caller had done every chunk
    expect(r.threadNote).toBeUndefined();
    expect(cold.dataset.smiles[1322]).toContain('[AlH3]');
  });

  it('has the 12 tasks in file order with the README label counts', () => {
    expect(cold.dataset.tasks).toEqual(Object.keys(README_COUNTS));
    for (const [task, [labelled, positive]] of Object.entries(README_COUNTS)) {
      expect([task, cold.report.tasks[task].labelled, cold.report.tasks[task].positive]).toEqual([task, labelled, positive]);
    }
    expect(cold.dataset.ids!.slice(0, 2)).toEqual(['TOX3021', 'TOX3020']);
  });

  it('splits by index 6264 / 783 / 784 in file order', () => {
    const { train, valid, test } = cold.split;
    expect([train.length, valid.length, test.length]).toEqual([6264, 783, 784]);
    expect([train[0], train[6263], valid[0], valid[782], test[0], test[783]]).toEqual([0, 6263, 6264, 7046, 7047, 7830]);
  });

  it('weights positives #neg/#pos over the whole dataset (NR-AR: 6956/309), negatives 1, missing 0', () => {
    const { dataset, report } = cold;
    expect(report.tasks['NR-AR'].positiveWeight).toBe(6956 / 309);
    expect(report.tasks['NR-AR'].positiveWeight.toFixed(3)).toBe('22.511');
    const T = dataset.tasks.length;
    dataset.tasks.forEach((task, t) => {
      const [labelled, positive] = README_COUNTS[task];
      const expected = Math.fround((labelled - positive) / positive);
      for (let i = t; i < dataset.w.length; i += T) {
        const want = !dataset.labelled[i] ? 0 : dataset.y[i] === 1 ? expected : 1;
        if (dataset.w[i] !== want) throw new Error(`w[${i}] of ${task} is ${dataset.w[i]}, expected ${want}`);
        if (!dataset.labelled[i] && dataset.y[i] !== 0) throw new Error(`missing label at ${i} has y ${dataset.y[i]}`);
      }
    });
  });

  it('has ECFP4 features equal, bit for bit, to RDKit’s reference for all 7,831 rows', () => {
    const lines = gunzipSync(readFileSync(reference)).toString('utf8').split('\n').filter((l) => l && !l.startsWith('#'));
    expect(lines.length).toBe(7831);
    const f = cold.dataset.features;
    expect(f.nBits).toBe(1024);
    expect(sparseRows(f)).toBe(7831);
    let mismatched = 0;
    for (const line of lines) {
      const [row, ...bits] = line.trim().split(/\s+/).map(Number);
      const ours = Array.from(f.indices.subarray(f.offsets[row], f.offsets[row + 1]));
      if (cold.dataset.rowIndex[row] !== row || ours.join(' ') !== bits.join(' ')) mismatched++;
    }
    expect(mismatched).toBe(0);
  });

  it('a second load reads the cache and spends ≤ 0.1 s featurizing, with identical features', async () => {
    const warm = await loadTox21({ data, cacheDir });
    expect(warm.report.cached).toBe(true);
    expect(warm.report.threads).toBe(0);
    expect(warm.report.seconds.featurize).toBeLessThanOrEqual(0.1);
    expect(warm.dataset.features.offsets).toEqual(cold.dataset.features.offsets);
    expect(warm.dataset.features.indices).toEqual(cold.dataset.features.indices);
    expect(warm.report.unsanitizedRows).toEqual(cold.report.unsanitizedRows);
  });

  it('train-balanced weights are fitted on train only (w_c = n/count_c) and applied to every split', async () => {
    const { dataset, split, report } = await loadTox21({ data, cacheDir, weights: 'train-balanced' });
    const T = dataset.tasks.length;
    const t = dataset.tasks.indexOf('NR-AR');
    let pos = 0;
    let neg = 0;
    for (const r of split.train) {
      if (!dataset.labelled[r * T + t]) continue;
      if (dataset.y[r * T + t] === 1) pos++;
      else neg++;
    }
    expect(report.tasks['NR-AR'].positiveWeight).toBe((pos + neg) / pos);
    expect(report.tasks['NR-AR'].negativeWeight).toBe((pos + neg) / neg);
    const testRow = split.test.find((r) => dataset.labelled[r * T + t] === 1 && dataset.y[r * T + t] === 1)!;
    expect(dataset.w[testRow * T + t]).toBe(Math.fround((pos + neg) / pos));
  });

  it('random split: seeded, a permutation, DeepChem sizes', async () => {
    const a = await loadTox21({ data, cacheDir, split: 'random', seed: 7 });
    const b = await loadTox21({ data, cacheDir, split: 'random', seed: 7 });
    const c = await loadTox21({ data, cacheDir, split: 'random', seed: 8 });
    expect(a.split).toEqual(b.split);
    expect(a.split.train).not.toEqual(c.split.train);
    expect([a.split.train.length, a.split.valid.length, a.split.test.length]).toEqual([6264, 783, 784]);
    const all = [...a.split.train, ...a.split.valid, ...a.split.test].sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: 7831 }, (_, i) => i));
  });

  it('scaffold split keeps each Murcko scaffold in one split, groups largest first', async () => {
    const { split, report } = await loadTox21({ data, cacheDir, split: 'scaffold' });
    const { train, valid, test } = split;
    expect(report.split.kind).toBe('scaffold');
    expect(train.length + valid.length + test.length).toBe(7831);
    expect(new Set([...train, ...valid, ...test]).size).toBe(7831);
    expect(train.length).toBeLessThanOrEqual(0.8 * 7831);
    expect(train.length + valid.length).toBeLessThanOrEqual(0.9 * 7831);

    // The scaffolds the split used, from the cache it wrote; a sample recomputed fresh must agree.
    const key = cacheKey(contentHash(readDataFile(data).bytes), 'murcko', null, rdkitPackageVersion());
    const scaffolds = readScaffoldCache(scaffoldCachePath(cacheDir, key), key, 7831)!;
    expect(scaffolds).not.toBeNull();
    const sample = [0, 1, 2, 1322, 4000, 7830];
    const fresh = await runMoleculeJobThreaded({ kind: 'scaffold' }, sample.map((r) => cold.dataset.smiles[r]), 1);
    expect(fresh.result.scaffolds).toEqual(sample.map((r) => scaffolds[r]));

    const where = new Map<string, string>();
    const groupSize = new Map<string, number>();
    for (const s of scaffolds) groupSize.set(s!, (groupSize.get(s!) ?? 0) + 1);
    for (const [name, rows] of Object.entries({ train, valid, test })) {
      for (const r of rows) {
        const s = scaffolds[r]!;
        if (where.has(s) && where.get(s) !== name) throw new Error(`scaffold ${s} is in ${where.get(s)} and ${name}`);
        where.set(s, name);
      }
    }
    // Train opens with the largest group: acyclic molecules (scaffold ""), then benzene.
    const largest = [...groupSize.entries()].sort((a, b) => b[1] - a[1]);
    expect(largest[0][0]).toBe('');
    expect(largest[1][0]).toBe('c1ccccc1');
    const first = largest[0][1];
    expect(Array.from(train.slice(0, first), (r) => scaffolds[r])).toEqual(new Array(first).fill(''));
    expect(scaffolds[train[first]]).toBe('c1ccccc1');
    // Test holds the smallest groups: singletons.
    expect(groupSize.get(scaffolds[test[test.length - 1]]!)).toBe(1);

    const again = await loadTox21({ data, cacheDir, split: 'scaffold' });
    expect(again.split).toEqual(split);
    expect(again.report.seconds.split).toBeLessThan(0.5); // scaffolds came from the cache
  });

  it('subsetDataset takes rows of every array, features included', () => {
    const sub = subsetDataset(cold.dataset, cold.split.valid);
    const T = cold.dataset.tasks.length;
    const r = cold.split.valid[10];
    expect(sub.smiles.length).toBe(783);
    expect(sub.smiles[10]).toBe(cold.dataset.smiles[r]);
    expect(sub.rowIndex[10]).toBe(cold.dataset.rowIndex[r]);
    expect(Array.from(sub.y.subarray(10 * T, 11 * T))).toEqual(Array.from(cold.dataset.y.subarray(r * T, (r + 1) * T)));
    expect(Array.from(sub.w.subarray(10 * T, 11 * T))).toEqual(Array.from(cold.dataset.w.subarray(r * T, (r + 1) * T)));
    const f = cold.dataset.features;
    expect(Array.from(sub.features.indices.subarray(sub.features.offsets[10], sub.features.offsets[11]))).toEqual(
      Array.from(f.indices.subarray(f.offsets[r], f.offsets[r + 1])),
    );
  });

  it('`shadergrad tox21 data --json` prints exactly one JSON object, from the cache', async () => {
    const { stdout } = await runCliOk(['tox21', 'data', '--data', data, '--json'], { tsx: 'import', cwd: repoRoot, env: { XDG_CACHE_HOME: xdg } });
    const lines = stdout.trim().split('\n');
    expect(lines.length).toBe(1);
    const j = JSON.parse(lines[0]);
    expect(j).toMatchObject({ rows: 7831, featurized: 7831, unsanitized: 8, failed: 0, split: { train: 6264, valid: 783, test: 784 } });
    expect(j.tasks['NR-AR']).toMatchObject({ labelled: 7265, positive: 309, positiveWeight: 6956 / 309 });
    expect(j.cached).toBe(true);
    expect(j.seconds.featurize).toBeLessThanOrEqual(0.1);
  });
});
