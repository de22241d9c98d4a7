/**
 * A problem in a user's data file, carrying where it is: the file, the 1-based line of the text, the 0-based data
 * row (the record after the header, as the index split counts them) and the column name. Callers and tests read the
 * fields; the message repeats them so a person reading a terminal can open the file at the right line. Whatever a
 * message quotes from the file is clipped (clipText): a 10 MB cell must not become a 10 MB error line.
 */
export interface DataLocation {
  file: string;
  /** 1-based line in the (decompressed) text where the record starts. */
  line?: number;
  /** 0-based data row (record index after the header). */
  row?: number;
  /** Column name as written in the header. */
  column?: string;
}

export class DataFileError extends Error {
  override name = 'DataFileError';
  readonly file: string;
  readonly line: number | undefined;
  readonly row: number | undefined;
  readonly column: string | undefined;

  constructor(where: DataLocation, problem: string) {
    super(`${formatLocation(where)}: ${problem}`);
    this.file = where.file;
    this.line = where.line;
    this.row = where.row;
    this.column = where.column;
  }
}

export function formatLocation(where: DataLocation): string {
  const parts = [where.file];
  if (where.line !== undefined) parts.push(`line ${where.line}`);
  if (where.row !== undefined) parts.push(`data row ${where.row}`);
  if (where.column !== undefined) parts.push(`column "${clipText(where.column)}"`);
  return parts.join(', ');
}

/** Input text as a message quotes it: whole up to `max` characters, else its start and its length. */
export function clipText(text: string, max = 80): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} chars)`;
}

/** Header names as a message lists them: each clipped, and at most `max` of them. */
export function columnList(header: readonly string[], max = 30): string {
  const shown = header.slice(0, max).map((h) => clipText(h, 40)).join(', ');
  return header.length > max ? `${shown}, … (${header.length} columns)` : shown;
}
