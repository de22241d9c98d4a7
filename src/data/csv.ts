/**
 * CSV as RFC 4180 writes it: comma-separated, `"`-quoted fields that may hold commas, doubled quotes and newlines,
 * `\n` or `\r\n` line ends. Molecule files from other tools quote SMILES and names, so splitting lines on commas is
 * not enough. Every record must have as many fields as the header; a mismatch is an error naming the line, because a
 * shifted row would silently put a label under the wrong assay. A file whose first line holds tabs and no comma is
 * read as tab-separated (TSV, as pandas writes it with sep="\t"): sniffed from the content, like gzip, because such
 * files circulate under .csv and .txt names too. Pure (no Node imports) so a browser can use it.
 */
import { DataFileError } from './data-error.ts';

export interface CsvTable {
  header: string[];
  /** Data records (header excluded), each with header.length fields. */
  records: string[][];
  /** 1-based text line on which each record starts. */
  lines: number[];
  /** The field separator: "," or, sniffed from the first line, a tab. */
  delimiter: ',' | '\t';
}

/** Tab when the first line holds a tab and no comma, else comma. */
export function sniffDelimiter(text: string): ',' | '\t' {
  const end = text.indexOf('\n');
  const first = end < 0 ? text : text.slice(0, end);
  return first.includes('\t') && !first.includes(',') ? '\t' : ',';
}

/** Parses `text` (already decompressed and decoded); `file` only names the source in errors. */
export function parseCsv(text: string, file: string): CsvTable {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a UTF-8 byte-order mark is not part of the first name
  const delimiter = sniffDelimiter(text);
  const sep = delimiter.charCodeAt(0);
  const all: string[][] = [];
  const lines: number[] = [];
  let line = 1;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const startLine = line;
    // Blank lines (a trailing newline, spacing between blocks) hold no record.
    if (text[i] === '\n' || (text[i] === '\r' && text[i + 1] === '\n')) {
      i += text[i] === '\r' ? 2 : 1;
      line++;
      continue;
    }
    const fields: string[] = [];
    for (;;) {
      let field: string;
      if (text[i] === '"') {
        let value = '';
        let j = i + 1;
        for (;;) {
          const q = text.indexOf('"', j);
          if (q < 0) throw new DataFileError({ file, line: startLine, row: dataRow(all.length) }, 'quoted field is never closed');
          value += text.slice(j, q);
          for (let k = j; k < q; k++) if (text.charCodeAt(k) === 10) line++;
          if (text[q + 1] === '"') {
            value += '"';
            j = q + 2;
          } else {
            i = q + 1;
            break;
          }
        }
        if (i < n && text[i] !== delimiter && text[i] !== '\n' && !(text[i] === '\r' && text[i + 1] === '\n')) {
          throw new DataFileError({ file, line, row: dataRow(all.length) }, `unexpected "${text[i]}" after a closing quote (a quote inside a quoted field must be doubled)`);
        }
        field = value;
      } else {
        let j = i;
        while (j < n) {
          const c = text.charCodeAt(j);
          if (c === sep || c === 10 || (c === 13 && text.charCodeAt(j + 1) === 10)) break;
          j++;
        }
        field = text.slice(i, j);
        i = j;
      }
      fields.push(field);
      if (i >= n) break;
      if (text[i] === delimiter) {
        i++;
        if (i >= n) {
          fields.push(''); // "a,b," ends with an empty field
          break;
        }
        continue;
      }
      // end of record
      i += text[i] === '\r' ? 2 : 1;
      line++;
      break;
    }
    all.push(fields);
    lines.push(startLine);
  }
  if (all.length === 0) throw new DataFileError({ file }, 'the file is empty (no header line)');
  const header = all[0].map((h) => h.trim());
  const records = all.slice(1);
  const recordLines = lines.slice(1);
  for (let r = 0; r < records.length; r++) {
    if (records[r].length !== header.length) {
      throw new DataFileError(
        { file, line: recordLines[r], row: r },
        `expected ${header.length} fields as in the header, found ${records[r].length}`,
      );
    }
  }
  return { header, records, lines: recordLines, delimiter };
}

/** Records before the current one include the header, so record k is data row k − 1 (the header has none). */
function dataRow(recordIndex: number): number | undefined {
  return recordIndex === 0 ? undefined : recordIndex - 1;
}
