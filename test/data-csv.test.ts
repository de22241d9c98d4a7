import { describe, expect, it } from 'vitest';
import { parseCsv } from '../src/data/csv.ts';
import { DataFileError } from '../src/data/data-error.ts';
import { parseLabel, readMoleculeTable } from '../src/data/molecule-table.ts';

const table = (text: string, tasks?: string[]) => readMoleculeTable(parseCsv(text, 'mem.csv'), 'mem.csv', { tasks });

describe('parseCsv', () => {
  it('reads quoted fields with commas, doubled quotes and newlines, and tracks the line of each record', () => {
    const t = parseCsv('a,b,c\n1,"x,y",3\n"multi\nline","say ""hi""",\n4,5,6\n', 'q.csv');
    expect(t.header).toEqual(['a', 'b', 'c']);
    expect(t.records).toEqual([
      ['1', 'x,y', '3'],
      ['multi\nline', 'say "hi"', ''],
      ['4', '5', '6'],
    ]);
    expect(t.lines).toEqual([2, 3, 5]);
  });

  it('accepts CRLF, a byte-order mark, a missing final newline and blank lines', () => {
    const t = parseCsv('\ufeffsmiles,y\r\nCCO,1\r\n\r\nCCN,0', 'crlf.csv');
    expect(t.header).toEqual(['smiles', 'y']);
    expect(t.records).toEqual([
      ['CCO', '1'],
      ['CCN', '0'],
    ]);
    expect(t.lines).toEqual([2, 4]);
  });

  it('rejects a record with the wrong number of fields, naming line and data row', () => {
    const err = catchError(() => parseCsv('smiles,y\nCCO,1\nCCN,0,1\n', 'bad.csv'));
    expect(err).toBeInstanceOf(DataFileError);
    expect(err).toMatchObject({ file: 'bad.csv', line: 3, row: 1 });
    expect(err.message).toContain('expected 2 fields as in the header, found 3');
  });

  it('rejects an unclosed quote and text after a closing quote', () => {
    expect(catchError(() => parseCsv('smiles,y\n"CCO,1\n', 'q.csv'))).toMatchObject({ line: 2, row: 0 });
    expect(catchError(() => parseCsv('smiles,y\n"CC"O,1\n', 'q.csv')).message).toContain('after a closing quote');
  });

  it('reads a tab-separated file, sniffed from a first line with tabs and no comma; commas are then plain text', () => {
    const t = parseCsv('smiles\tname\tNR-AR\n"C\tC"\tethane, a gas\t1\nCCO\tethanol\t\n', 'x.tsv');
    expect(t.delimiter).toBe('\t');
    expect(t.header).toEqual(['smiles', 'name', 'NR-AR']);
    expect(t.records).toEqual([['C\tC', 'ethane, a gas', '1'], ['CCO', 'ethanol', '']]);
    expect(parseCsv('a,b\n1,2\n', 'x.csv').delimiter).toBe(',');
    expect(() => parseCsv('a\tb\n1\t2\t3\n', 'x.tsv')).toThrow(/line 2, data row 0: expected 2 fields as in the header, found 3/);
  });

  it('rejects an empty text', () => {
    expect(catchError(() => parseCsv('', 'empty.csv'))).toBeInstanceOf(DataFileError);
  });
});

describe('readMoleculeTable', () => {
  it("reads DeepChem's layout: tasks first, mol_id, smiles last", () => {
    const t = table('NR-AR,SR-p53,mol_id,smiles\n0,1,TOX1,CCO\n,0,TOX2,c1ccccc1\n1,,TOX3,CCN\n');
    expect(t.tasks).toEqual(['NR-AR', 'SR-p53']);
    expect(t.idColumn).toBe('mol_id');
    expect(t.ids).toEqual(['TOX1', 'TOX2', 'TOX3']);
    expect(t.smiles).toEqual(['CCO', 'c1ccccc1', 'CCN']);
    expect(Array.from(t.y)).toEqual([0, 1, 0, 0, 1, 0]);
    expect(Array.from(t.labelled)).toEqual([1, 1, 0, 1, 1, 0]);
  });

  it('reads smiles first, in any case, without an id column, with quoted SMILES', () => {
    const t = table('SMILES,toxic,active\n"C(=O)O",1,0\n"CC,bad? no: quoted",,1\n');
    expect(t.smilesColumn).toBe('SMILES');
    expect(t.idColumn).toBeNull();
    expect(t.ids).toBeNull();
    expect(t.tasks).toEqual(['toxic', 'active']);
    expect(t.smiles[1]).toBe('CC,bad? no: quoted');
  });

  it('accepts numeric spellings of 0 and 1 and nothing else', () => {
    expect([parseLabel('0'), parseLabel('1'), parseLabel(' 1.0 '), parseLabel('0.0'), parseLabel('')]).toEqual([0, 1, 1, 0, null]);
    expect([parseLabel('2'), parseLabel('yes'), parseLabel('0.5'), parseLabel('NaN')]).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('reports a column of other values as ignored instead of dropping it silently', () => {
    const t = table('smiles,name,mw,y\nCCO,ethanol,46.07,1\nCCN,ethylamine,45.08,0\n');
    expect(t.tasks).toEqual(['y']);
    expect(t.idColumn).toBe('name');
    expect(t.ignoredColumns).toEqual([{ name: 'mw', reason: 'not 0/1 labels (e.g. "46.07" on line 2)' }]);
  });

  it('takes only the --tasks columns when given, in the order given', () => {
    const t = table('a,b,c,smiles\n0,1,0,CCO\n1,0,,CCN\n', ['c', 'a']);
    expect(t.tasks).toEqual(['c', 'a']);
    expect(Array.from(t.y)).toEqual([0, 0, 0, 1]);
    expect(t.ignoredColumns).toEqual([{ name: 'b', reason: 'not selected by --tasks' }]);
    expect(catchError(() => table('a,smiles\n0,CCO\n', ['zz'])).message).toContain('task column "zz" not found');
  });

  it('rejects a label that is not 0/1/empty with file, line, row and column', () => {
    const err = catchError(() => table('NR-AR,SR-p53,smiles\n0,1,CCO\n0,2,CCN\n1,0,CCC\n'));
    expect(err).toBeInstanceOf(DataFileError);
    expect(err).toMatchObject({ file: 'mem.csv', line: 3, row: 1, column: 'SR-p53' });
    expect(err.message).toContain('label "2" is not 0, 1 or empty');
  });

  it('rejects a header that names a column twice', () => {
    expect(catchError(() => table('NR-AR,NR-AR,smiles\n0,1,CCO\n'))).toMatchObject({ line: 1, column: 'NR-AR' });
  });

  it('rejects a file without a SMILES column or without any task column', () => {
    expect(catchError(() => table('mol,y\nCCO,1\n')).message).toContain('no SMILES column');
    expect(catchError(() => table('smiles,name\nCCO,ethanol\n')).message).toContain('no task columns');
  });
});

function catchError(f: () => unknown): DataFileError {
  try {
    f();
  } catch (e) {
    return e as DataFileError;
  }
  throw new Error('expected an error');
}
