// Issue 23, the data minors: BACE names its SMILES column `mol` (--smiles-column), a TSV was read as one column and
// got "no task columns" (now sniffed and read; other separators get a hint), a 10 MB cell was echoed whole in the
// error (now clipped), and the study report printed the machine's absolute data path and "300 molecules" when 299
// were used. Through the CLI where the user meets them.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runMain } from './helpers/cli-in-process.ts';
import { parseCsv } from '../src/data/csv.ts';
import { clipText } from '../src/data/data-error.ts';
import { readMoleculeTable } from '../src/data/molecule-table.ts';
import { renderStudyReport } from '../src/report/study-report.ts';
import type { StudyResult } from '../src/tox21/study.ts';

const dir = mkdtempSync(join(tmpdir(), 'shadergrad-robust-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SMALL = ['CCO', 'c1ccccc1O', 'CC(=O)Nc1ccc(O)cc1', 'CCN(CC)CC', 'C1CCCCC1', 'OC(=O)c1ccccc1', 'CCCl', 'c1ccncc1'];
const write = (name: string, text: string) => (writeFileSync(join(dir, name), text), join(dir, name));

const cli = (args: string[]) => runMain(args, { cacheHome: join(dir, 'cache') });

describe('--smiles-column', () => {
  // BACE's layout: mol (SMILES), CID, Class (0/1), Model, pIC50.
  const bace = write('bace.csv', `mol,CID,Class,Model,pIC50\n${Array.from({ length: 60 }, (_, i) => `${SMALL[i % 8]},BACE_${i},${i % 2},Train,${5 + (i % 3)}.1`).join('\n')}\n`);

  it('reads a file whose SMILES column is named otherwise', async () => {
    const { code, out } = await cli(['tox21', 'data', '--data', bace, '--smiles-column', 'mol', '--threads', '1', '--json']);
    expect(code).toBe(0);
    const r = JSON.parse(out);
    expect([r.rows, r.featurized, Object.keys(r.tasks)]).toEqual([60, 60, ['Class']]);
  });

  it('without it, the error names the flag; with a name the header lacks, one line naming the column', async () => {
    const plain = await cli(['tox21', 'data', '--data', bace]);
    expect(plain.code).toBe(1);
    expect(plain.err).toMatch(/no SMILES column .*--smiles-column.*columns are mol, CID, Class, Model, pIC50\n$/);
    const wrong = await cli(['tox21', 'data', '--data', bace, '--smiles-column', 'SMILES']);
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(/^shadergrad tox21 data: .*bace\.csv, line 1, column "SMILES": --smiles-column names no column of the header; columns are mol, CID/);
    expect(wrong.err.trim().split('\n')).toHaveLength(1);
  });

  it('is in the feature-cache key: the same file through another column is other molecules', async () => {
    const two = write('two.csv', `smiles,alt,active\n${Array.from({ length: 40 }, (_, i) => `${SMALL[i % 8]},${SMALL[(i + 3) % 8]},${i % 2}`).join('\n')}\n`);
    const a = JSON.parse((await cli(['tox21', 'data', '--data', two, '--tasks', 'active', '--json'])).out);
    const b = JSON.parse((await cli(['tox21', 'data', '--data', two, '--tasks', 'active', '--smiles-column', 'alt', '--json'])).out);
    expect(b.cached).toBe(false);
    expect(a.tasks.active).toEqual(b.tasks.active);
    const again = (await cli(['tox21', 'data', '--data', two, '--tasks', 'active', '--smiles-column', 'alt', '--json'])).out;
    expect(JSON.parse(again).cached).toBe(true);
  });
});

describe('separators', () => {
  it('a tab-separated file is read as such, and says so', async () => {
    const tsv = write('tox.tsv', `smiles\tactive\tother\n${Array.from({ length: 40 }, (_, i) => `${SMALL[i % 8]}\t${i % 2}\t${(i + 1) % 2}`).join('\n')}\n`);
    const { code, out } = await cli(['tox21', 'data', '--data', tsv, '--threads', '1']);
    expect(code).toBe(0);
    expect(out).toMatch(/^source {7}.*tox\.tsv \(option, tab-separated\)$/m);
    expect(out).toMatch(/^rows {9}40 = 40 featurized/m);
    expect(parseCsv('a\tb,c\n1\t2,3\n', 'f').header).toEqual(['a\tb', 'c']); // a comma in the first line: CSV
  });

  it('a semicolon-separated file gets a hint, not just "no SMILES column"', async () => {
    const semi = write('semi.csv', `smiles;active\n${Array.from({ length: 10 }, (_, i) => `${SMALL[i % 8]};${i % 2}`).join('\n')}\n`);
    const { code, err } = await cli(['tox21', 'data', '--data', semi]);
    expect(code).toBe(1);
    expect(err).toMatch(/the header is one column holding semicolons: the file looks semicolon-separated, and only comma- or tab-separated files are read\n$/);
  });
});

describe('echoed input is clipped', () => {
  it('a 10 MB label cell gives a short error line', async () => {
    const rows = Array.from({ length: 30 }, (_, i) => `${SMALL[i % 8]},${i % 2}`);
    rows[4] = `CCO,${'1'.repeat(10_000_000)}`;
    const big = write('big-cell.csv', `smiles,active\n${rows.join('\n')}\n`);
    const { code, err } = await cli(['tox21', 'data', '--data', big]);
    expect(code).toBe(1);
    expect(err.length).toBeLessThan(300);
    expect(err).toMatch(/line 6, data row 4, column "active": label "1{80}… \(10000000 chars\)" is not 0, 1 or empty\n$/);
  });

  it('a 10 MB column name too', () => {
    const name = 'x'.repeat(10_000_000);
    const e = (() => {
      try {
        readMoleculeTable(parseCsv(`smiles,${name}\nCCO,abc\n`, 'f.csv'), 'f.csv');
      } catch (x) {
        return x as Error;
      }
    })();
    expect(e?.message.length).toBeLessThan(400);
    expect(clipText('abc')).toBe('abc');
  });
});

describe('the study report', () => {
  it('names the data file by its base name and counts the molecules used out of those read', () => {
    const scores = { wacc: { mean: 0.7, sd: 0.01 }, auc: { mean: 0.8, sd: 0.01 } };
    const result = {
      plan: { name: 'quick', task: 'NR-AR', objective: { name: 'valid-wacc' } },
      adapter: { vendor: 'cpu', architecture: '', description: '', software: true, runtime: 'cpu' },
      data: { source: '/home/alice/private/projects/tox21.csv.gz', rows: 300, split: { kind: 'index', train: 239, valid: 30, test: 30 }, featurizeSeconds: 1, cached: false },
      forest: { runs: [], valid: scores.wacc, test: scores.wacc, validScores: scores, testScores: scores },
      network: { runs: [], valid: scores.wacc, test: scores.wacc, population: 1 },
      searches: [],
      retrained: null,
      challenge: { params: null, searched: 0, valid: scores, test: scores, forest: { valid: scores, test: scores }, beatsForest: { wacc: false, auc: false } },
      seconds: { forest: 1, network: 1, search: 1, retrain: 0, total: 3 },
    } as unknown as StudyResult;
    const html = renderStudyReport(result, new Date(0));
    expect(html).not.toContain('/home/alice');
    expect(html).toContain('data tox21.csv.gz: 299 of 300 molecules used (1 could not be featurized), index split 239/30/30');
    const all = renderStudyReport({ ...result, data: { ...result.data, source: 'C:\\data\\tox21.csv', split: { kind: 'index', train: 240, valid: 30, test: 30 } } }, new Date(0));
    expect(all).toContain('data tox21.csv: 300 molecules,');
  });
});
