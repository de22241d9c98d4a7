// Bad molecule files must be refused for what is actually wrong with them (issue 16, point 6): labels that only
// JavaScript's Number() reads as 0/1, a file with a header and no rows, and a gzip whose content is not UTF-8.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../src/data/csv.ts';
import { DataFileError } from '../src/data/data-error.ts';
import { readDataFile } from '../src/data/data-file.ts';
import { parseLabel, readMoleculeTable } from '../src/data/molecule-table.ts';

const dir = mkdtempSync(join(tmpdir(), 'shadergrad-wording-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const table = (text: string) => readMoleculeTable(parseCsv(text, 'mem.csv'), 'mem.csv');

function caught(f: () => unknown): DataFileError {
  try {
    f();
  } catch (e) {
    if (e instanceof DataFileError) return e;
    throw e;
  }
  throw new Error('expected a DataFileError');
}

describe('labels', () => {
  it('0x1, 1e0, +1, -0 and other Number() spellings are not labels; 1.0 and 0.00 still are', () => {
    for (const v of ['0x1', '1e0', '+1', '-0', '0b1', '.0', '1.', ' 0x0 ', '1.0e0', 'Infinity']) expect(parseLabel(v), v).toBeUndefined();
    expect(['1', '0', '1.0', '0.00', ' 1 '].map(parseLabel)).toEqual([1, 0, 1, 0, 1]);
  });

  it('a task column with one such cell is an error at that cell, not a silent 1', () => {
    const e = caught(() => table('smiles,NR-AR\nCCO,0\nCCN,1\nCCC,0x1\nCCCC,0\n'));
    expect(e).toMatchObject({ file: 'mem.csv', line: 4, row: 2, column: 'NR-AR' });
    expect(e.message).toContain('label "0x1" is not 0, 1 or empty');
  });
});

describe('files', () => {
  it('a header without rows says so, not "no task columns"', () => {
    const e = caught(() => table('NR-AR,mol_id,smiles\n'));
    expect(e.message).toBe('mem.csv, line 1: the file has a header (NR-AR, mol_id, smiles) but no data rows');
  });

  it('a valid gzip whose content is not UTF-8 is named as such', () => {
    const latin1 = Buffer.from('smiles,NR-AR\nCCO,1\n\xe9\xff,0\n', 'latin1');
    const gz = join(dir, 'latin1.csv.gz');
    writeFileSync(gz, gzipSync(latin1));
    expect(caught(() => readDataFile(gz)).message).toBe(`${gz}: the file is gzip-compressed but its content is not UTF-8 text`);
    const plain = join(dir, 'latin1.csv');
    writeFileSync(plain, latin1);
    expect(caught(() => readDataFile(plain)).message).toBe(`${plain}: the file is not UTF-8 text (nor gzip)`);
  });
});
