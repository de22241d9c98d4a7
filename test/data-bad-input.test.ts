import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { run as tox21DataCli } from '../src/cli/tox21-data.ts';
import { DataFileError } from '../src/data/data-error.ts';
import { loadTox21 } from '../src/data/tox21.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const tox21 = resolve(repoRoot, '../shared/data/tox21.csv.gz');
const dir = mkdtempSync(join(tmpdir(), 'shadergrad-bad-'));
const cacheDir = join(dir, 'cache');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

async function loadError(path: string): Promise<DataFileError> {
  try {
    await loadTox21({ data: path, cacheDir, threads: 1 });
  } catch (e) {
    return e as DataFileError;
  }
  throw new Error(`loading ${path} should have failed`);
}

describe('bad input files', () => {
  it('a row with the wrong number of fields', async () => {
    const p = file('fields.csv', 'NR-AR,mol_id,smiles\n0,M1,CCO\n1,M2\n0,M3,CCN\n');
    const e = await loadError(p);
    expect(e).toBeInstanceOf(DataFileError);
    expect(e).toMatchObject({ file: p, line: 3, row: 1 });
  });

  it('a label that is not 0/1/empty', async () => {
    const p = file('label.csv', 'NR-AR,NR-ER,smiles\n0,1,CCO\n1,0,CCN\n0,yes,CCC\n');
    const e = await loadError(p);
    expect(e).toBeInstanceOf(DataFileError);
    expect(e).toMatchObject({ file: p, line: 4, row: 2, column: 'NR-ER' });
  });

  it('an empty file, plain or gzipped', async () => {
    for (const [name, content] of [['empty.csv', ''], ['blank.csv', '\n\n'], ['empty.csv.gz', gzipSync('')]] as const) {
      const p = file(name, content);
      const e = await loadError(p);
      expect(e).toBeInstanceOf(DataFileError);
      expect(e.file).toBe(p);
      expect(e.message).toContain('empty');
    }
  });

  it('a file without a SMILES column', async () => {
    const p = file('nosmiles.csv', 'NR-AR,mol_id,structure\n0,M1,CCO\n');
    const e = await loadError(p);
    expect(e).toBeInstanceOf(DataFileError);
    expect(e).toMatchObject({ file: p, line: 1 });
    expect(e.message).toContain('no SMILES column');
  });

  it('a truncated gzip', async () => {
    const whole = readFileSync(tox21);
    const p = file('truncated.csv.gz', whole.subarray(0, Math.floor(whole.length / 2)));
    const e = await loadError(p);
    expect(e).toBeInstanceOf(DataFileError);
    expect(e.file).toBe(p);
    expect(e.message).toMatch(/gzip data is truncated or corrupt/);
  });

  it('molecules RDKit cannot read are excluded and reported by file, row, line and column', async () => {
    const p = file(
      'smiles.csv',
      ['smiles,NR-AR,mol_id', 'CCO,0,A', 'C1CC,1,B', ',0,C', 'O=CO[AlH3](OC=O)OC=O,1,D', 'c1ccccc1,,E', 'not a molecule,0,F', 'CCN,1,G'].join('\n'),
    );
    const { dataset, split, report } = await loadTox21({ data: p, cacheDir, threads: 1 });
    expect(report.rows).toBe(7);
    expect(report.featurized + report.failed).toBe(report.rows);
    expect(report.failed).toBe(3);
    expect(report.unsanitized).toBe(1);
    expect(report.unsanitizedRows).toEqual([3]);
    expect(report.failures.map((f) => [f.row, f.line, f.column, f.smiles])).toEqual([
      [1, 3, 'smiles', 'C1CC'],
      [2, 4, 'smiles', ''],
      [5, 7, 'smiles', 'not a molecule'],
    ]);
    expect(report.failures[1].reason).toBe('empty SMILES');
    expect(Array.from(dataset.rowIndex)).toEqual([0, 3, 4, 6]);
    expect(dataset.ids).toEqual(['A', 'D', 'E', 'G']);
    expect(Array.from(dataset.y)).toEqual([0, 1, 0, 1]);
    expect(Array.from(dataset.labelled)).toEqual([1, 1, 0, 1]);
    // deepchem2017 weights over the 3 labelled kept rows: 1 negative, 2 positives → positives weigh 1/2.
    expect(Array.from(dataset.w)).toEqual([1, 0.5, 0, 0.5]);
    expect(split.train.length + split.valid.length + split.test.length).toBe(4);
  });

  it('the CLI prints the location and exits 1', async () => {
    const p = file('cli-label.csv', 'NR-AR,smiles\n0,CCO\n7,CCN\n');
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const prev = process.env.XDG_CACHE_HOME;
    process.env.XDG_CACHE_HOME = cacheDir;
    try {
      expect(await tox21DataCli(['--data', p, '--json'])).toBe(1);
      expect(String(err.mock.calls[0][0])).toContain(`${p}, line 3, data row 1, column "NR-AR": label "7" is not 0, 1 or empty`);
      expect(out).not.toHaveBeenCalled();
    } finally {
      err.mockRestore();
      out.mockRestore();
      if (prev === undefined) delete process.env.XDG_CACHE_HOME;
      else process.env.XDG_CACHE_HOME = prev;
    }
  });
});
