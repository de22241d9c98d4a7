/**
 * From a CSV table to molecules and labels: finds the SMILES column by name, the id column if there is one, and the
 * task columns (0/1/empty), and checks every label. DeepChem's Tox21 puts 12 tasks first and `mol_id, smiles` last;
 * other copies put `smiles` first or drop the id, so nothing here depends on column positions; a file that names
 * its SMILES otherwise (BACE's `mol`) says so with `smilesColumn`. A column that is neither is listed in
 * `ignoredColumns` with the reason, never dropped without a word. Pure (no Node imports).
 */
import type { CsvTable } from './csv.ts';
import { DataFileError, clipText, columnList } from './data-error.ts';

export interface MoleculeTable {
  file: string;
  /** Task names in column order. */
  tasks: string[];
  smilesColumn: string;
  idColumn: string | null;
  /** One per data row of the file (failed molecules are still here; the dataset drops them later). */
  smiles: string[];
  ids: string[] | null;
  /** 1-based text line of each data row, for messages. */
  lines: number[];
  /** [rows × tasks] row-major, missing → 0. */
  y: Float32Array;
  /** [rows × tasks] 1 where the cell holds a label. */
  labelled: Uint8Array;
  ignoredColumns: { name: string; reason: string }[];
}

const ID_NAME = /^(id|name|mol_?id|molecule_?(id|name)|compound_?(id|name)|cmpd_?id|.+_id)$/i;

/**
 * 0 or 1 for a label, null for an empty cell, undefined for anything else. Accepts the decimal spellings other tools
 * write (`1.0`, `0.00`), but not what JavaScript's Number() would also read as 0 or 1 (`0x1`, `1e0`, `+1`, `-0`):
 * those are not how a label file writes a class, and taking them would hide a corrupted column.
 */
export function parseLabel(cell: string): 0 | 1 | null | undefined {
  const v = cell.trim();
  if (v === '') return null;
  const m = /^([01])(?:\.0+)?$/.exec(v);
  if (!m) return undefined;
  return m[1] === '0' ? 0 : 1;
}

/**
 * `tasks` picks task columns by exact header name (as `--tasks` passes them); without it every column other than
 * SMILES and id whose cells are 0/1/empty is a task. A column whose non-empty cells are mostly labels but holds a
 * stray value is an error at that cell (a typo in a label file must not turn an assay into an ignored column); a
 * column mostly of other values (a name, a measurement) is ignored and reported. `smilesColumn` names the SMILES
 * column exactly (default: found by name, see findSmilesColumn).
 */
export function readMoleculeTable(table: CsvTable, file: string, opts: { tasks?: string[]; smilesColumn?: string } = {}): MoleculeTable {
  const { header, records, lines } = table;
  if (records.length === 0) throw new DataFileError({ file, line: 1 }, `the file has a header (${columnList(header)}) but no data rows`);
  const dup = header.find((h, i) => header.indexOf(h) !== i);
  if (dup !== undefined) throw new DataFileError({ file, line: 1, column: dup }, `the header names column "${clipText(dup)}" twice`);
  const smilesIdx = opts.smilesColumn === undefined ? findSmilesColumn(header, file) : namedSmilesColumn(header, opts.smilesColumn, file);
  const idIdx = header.findIndex((h, i) => i !== smilesIdx && ID_NAME.test(h));
  const ignoredColumns: { name: string; reason: string }[] = [];

  let taskIdx: number[];
  if (opts.tasks && opts.tasks.length > 0) {
    taskIdx = opts.tasks.map((t) => {
      const i = header.indexOf(t);
      if (i < 0) throw new DataFileError({ file, column: t }, `task column "${clipText(t)}" not found; columns are ${columnList(header)}`);
      if (i === smilesIdx || i === idIdx) throw new DataFileError({ file, column: t }, `"${clipText(t)}" is the ${i === smilesIdx ? 'SMILES' : 'id'} column, not a task`);
      return i;
    });
    if (new Set(taskIdx).size !== taskIdx.length) throw new DataFileError({ file }, `--tasks names a column twice: ${clipText(opts.tasks.join(','))}`);
    header.forEach((h, i) => {
      if (i !== smilesIdx && i !== idIdx && !taskIdx.includes(i)) ignoredColumns.push({ name: h, reason: 'not selected by --tasks' });
    });
  } else {
    taskIdx = [];
    header.forEach((h, i) => {
      if (i === smilesIdx || i === idIdx) return;
      let labels = 0;
      let other = 0;
      let firstOther = -1;
      for (let r = 0; r < records.length; r++) {
        const v = parseLabel(records[r][i]);
        if (v === undefined) {
          if (firstOther < 0) firstOther = r;
          other++;
        } else if (v !== null) labels++;
      }
      if (other === 0 && labels > 0) taskIdx.push(i);
      else if (other > 0 && labels >= other) taskIdx.push(i); // checked below, where the bad cell becomes the error
      else if (labels === 0 && other === 0) ignoredColumns.push({ name: h, reason: 'every cell is empty' });
      else ignoredColumns.push({ name: h, reason: `not 0/1 labels (e.g. "${clipText(records[firstOther][i], 40)}" on line ${lines[firstOther]})` });
    });
    if (taskIdx.length === 0) {
      throw new DataFileError({ file }, `no task columns: no column other than SMILES${idIdx >= 0 ? ' and id' : ''} holds 0/1/empty labels (columns: ${columnList(header)})${separatorHint(header)}`);
    }
  }

  const rows = records.length;
  const T = taskIdx.length;
  const y = new Float32Array(rows * T);
  const labelled = new Uint8Array(rows * T);
  const smiles = new Array<string>(rows);
  for (let r = 0; r < rows; r++) {
    const rec = records[r];
    smiles[r] = rec[smilesIdx].trim();
    for (let t = 0; t < T; t++) {
      const v = parseLabel(rec[taskIdx[t]]);
      if (v === undefined) {
        throw new DataFileError(
          { file, line: lines[r], row: r, column: header[taskIdx[t]] },
          `label "${clipText(rec[taskIdx[t]])}" is not 0, 1 or empty`,
        );
      }
      if (v !== null) {
        y[r * T + t] = v;
        labelled[r * T + t] = 1;
      }
    }
  }
  return {
    file,
    tasks: taskIdx.map((i) => header[i]),
    smilesColumn: header[smilesIdx],
    idColumn: idIdx >= 0 ? header[idIdx] : null,
    smiles,
    ids: idIdx >= 0 ? records.map((rec) => rec[idIdx].trim()) : null,
    lines,
    y,
    labelled,
    ignoredColumns,
  };
}

/** The column named "smiles" in any case; failing that, the one column whose name contains "smiles". */
function findSmilesColumn(header: string[], file: string): number {
  const exact = header.map((h, i) => (h.toLowerCase() === 'smiles' ? i : -1)).filter((i) => i >= 0);
  const loose = header.map((h, i) => (h.toLowerCase().includes('smiles') ? i : -1)).filter((i) => i >= 0);
  const found = exact.length > 0 ? exact : loose;
  if (found.length === 0) {
    throw new DataFileError({ file, line: 1 }, `no SMILES column (no header named "smiles" in any case; name it with --smiles-column); columns are ${columnList(header)}${separatorHint(header)}`);
  }
  if (found.length > 1) throw new DataFileError({ file, line: 1 }, `more than one SMILES column: ${columnList(found.map((i) => header[i]))}; choose one with --smiles-column`);
  return found[0];
}

/** The column the user named, exactly as the header writes it. */
function namedSmilesColumn(header: string[], name: string, file: string): number {
  const i = header.indexOf(name);
  if (i < 0) throw new DataFileError({ file, line: 1, column: name }, `--smiles-column names no column of the header; columns are ${columnList(header)}`);
  return i;
}

/**
 * A header read as one column that holds another separator is a file in another dialect: say which, since "no
 * task columns" alone sends the user to the labels. Tabs with no comma are read as TSV already (csv.ts).
 */
function separatorHint(header: string[]): string {
  if (header.length !== 1) return '';
  for (const [sep, name] of [[';', 'semicolon'], ['\t', 'tab'], ['|', 'pipe']] as const) {
    if (header[0].includes(sep)) return `; the header is one column holding ${name}s: the file looks ${name}-separated, and only comma- or tab-separated files are read`;
  }
  return '';
}
