/**
 * Reads a molecule file from disk as text, gunzipping it when its first two bytes are gzip's magic (1f 8b) rather
 * than trusting the name: copies of Tox21 circulate as `.csv.gz`, `.csv`, and gzip data named `.csv`. A truncated
 * download fails here with the file named, not later as a short table. Node-only (fs, zlib).
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { DataFileError } from './data-error.ts';
import { decodeDataText, isGzip } from './data-text.ts';

export { isGzip };

export interface DataFileText {
  /** The decompressed bytes: what the feature cache key hashes. */
  bytes: Uint8Array;
  text: string;
  gzipped: boolean;
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
  return { bytes, text: decodeDataText(bytes, file, gzipped), gzipped };
}
