/**
 * Errors crossing a worker boundary (Web Worker or Node worker thread). Structured clone keeps an Error's message but
 * drops its class and extra fields, so a DataFileError raised while featurizing would reach the caller as a plain
 * Error without its line and column. Workers send `serializeError(e)`; the receiving side rebuilds the same class
 * with `reviveError`.
 */
import { DataFileError, formatLocation, type DataLocation } from '../data/data-error.ts';

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  /** For DataFileError: where, and the problem without the location prefix. */
  location?: DataLocation;
  problem?: string;
}

export function serializeError(e: unknown): SerializedError {
  if (e instanceof DataFileError) {
    const location: DataLocation = { file: e.file, line: e.line, row: e.row, column: e.column };
    const prefix = `${formatLocation(location)}: `;
    return { name: e.name, message: e.message, stack: e.stack, location, problem: e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message };
  }
  if (e instanceof Error) return { name: e.name, message: e.message, stack: e.stack };
  return { name: 'Error', message: String(e) };
}

export function reviveError(s: SerializedError): Error {
  if (s.name === 'DataFileError' && s.location) return new DataFileError(s.location, s.problem ?? s.message);
  const e = new Error(s.message);
  e.name = s.name;
  if (s.stack) e.stack = s.stack;
  return e;
}
