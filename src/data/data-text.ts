/**
 * The checks every reader of a molecule file makes once it has the bytes, whatever decompressed them (zlib in Node,
 * DecompressionStream in a browser): gzip is recognized by its magic bytes (1f 8b), not by the file name, and the
 * text must be UTF-8 and not empty. Pure (no Node imports).
 */
import { DataFileError } from './data-error.ts';

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** `bytes` already decompressed; `gzipped` words the errors (the gzip was fine, its content was not). */
export function decodeDataText(bytes: Uint8Array, file: string, gzipped: boolean): string {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new DataFileError({ file }, gzipped ? 'the file is gzip-compressed but its content is not UTF-8 text' : 'the file is not UTF-8 text (nor gzip)');
  }
  if (text.trim() === '') throw new DataFileError({ file }, `the file is empty${gzipped ? ' (after gunzip)' : ''}`);
  return text;
}
