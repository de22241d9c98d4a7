/**
 * datasetFromText is the loader's pure core: from CSV text and any molecule-job runner (here RDKit on this thread)
 * it must build exactly the dataset, split and summary that loadTox21 builds from the same file with its cache and
 * threads — the browser's Web Worker relies on it. Checked on a Tox21 slice with every split kind, and with a row
 * RDKit cannot parse.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { datasetFromText, type MoleculeJobRunner } from '../src/data/molecule-dataset.ts';
import { runMoleculeJob } from '../src/data/molecule-jobs.ts';
import { loadRDKit, rdkitPackageVersion } from '../src/data/rdkit-node.ts';
import type { SplitKind } from '../src/data/splits.ts';
import { loadTox21 } from '../src/data/tox21.ts';
import { tox21Slice } from './helpers/browser.ts';

const dir = mkdtempSync(join(tmpdir(), 'shadergrad-dataset-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const rdkit = await loadRDKit();
const run: MoleculeJobRunner = (job, smiles) => runMoleculeJob(rdkit, job, smiles);

// Row 3 of the data is not a molecule: both paths must drop it and report it the same way.
const lines = tox21Slice(300).split('\n');
const smilesCol = lines[0].split(',').indexOf('smiles');
const broken = lines[4].split(',');
broken[smilesCol] = 'C1CC(';
lines[4] = broken.join(',');
const text = lines.join('\n');
const file = join(dir, 'slice.csv');
writeFileSync(file, text);

describe('datasetFromText', () => {
  for (const split of ['index', 'random', 'scaffold'] as SplitKind[]) {
    it(`builds loadTox21's dataset, ${split} split`, async () => {
      const fromText = await datasetFromText(text, file, run, { split, seed: 3, rdkit: rdkitPackageVersion() });
      const loaded = await loadTox21({ data: file, split, seed: 3, noCache: true, threads: 1 });
      expect(fromText.dataset).toEqual(loaded.dataset);
      expect(fromText.split).toEqual(loaded.split);
      const { sourceKind, delimiter, cached, cacheFile, cacheNote, threads, threadNote, seconds, ...summary } = loaded.report;
      expect(fromText.summary).toEqual(summary);
      expect(fromText.summary.failures).toMatchObject([{ row: 3, line: 5, column: 'smiles', smiles: 'C1CC(' }]);
      expect(fromText.summary.featurized).toBe(299);
    });
  }
});
