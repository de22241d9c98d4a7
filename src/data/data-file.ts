/**
 * Reads a molecule file from disk as text, gunzipping it when its first two bytes are gzip's magic (1f 8b) rather
 * than trusting the name: copies of Tox21 circulate as `.csv.gz`, `.csv`, and gzip data named `.csv`. A truncated
 * download fails here with the file named, not later as a short table. Node-only (fs, zlib).
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { DataFileError } from './data-error.ts';

export interface DataFileText {
  /** The decompressed bytes: what the feature cache key hashes. */
  bytes: Uint8Array;
  text: string;
  gzipped: boolean;
}

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

export function readDataFile(file: string): DataFileText {
  let raw: Uint8Array;
  try {
    raw = readFileSync(file);
  } catch (e) {
    throw new DataFileError({ file }, `cannot read the file: ${(e as Error).message}`);
  }
  return decodeDataBytes(raw, file);
}

export function decodeDataBytes(raw: Uint8Array, file: string): DataFileText {
  const gzipped = isGzip(raw);
  let bytes = raw;
  if (gzipped) {
    try {
      bytes = gunzipSync(raw);
    } catch (e) {
      throw new DataFileError({ file }, `gzip data is truncated or corrupt (${(e as Error).message}); download or copy the file again`);
    }
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new DataFileError({ file }, 'the file is not UTF-8 text (nor gzip)');
  }
  if (text.trim() === '') throw new DataFileError({ file }, `the file is empty${gzipped ? ' (after gunzip)' : ''}`);
  return { bytes, text, gzipped };
}
