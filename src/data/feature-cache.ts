/**
 * On-disk cache of per-row molecule results (ECFP bits and parse status; Murcko scaffolds), so a second run over
 * the same file spends milliseconds instead of seconds in RDKit. The key hashes the file's decompressed contents
 * with everything the result depends on (job parameters, the RDKit package version, this format's version), so an
 * edited file, another fingerprint size or an RDKit upgrade misses rather than returns stale bits. A file that does
 * not match its key or its own lengths is treated as a miss and rewritten. Node-only.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EcfpParams, EcfpResult } from './ecfp.ts';

/** Bump when the layout or the meaning of a cached result changes. */
const FORMAT = 1;
const MAGIC = 'SGECFP01';

export function contentHash(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function cacheKey(content: string, job: string, params: unknown, rdkitVersion: string): string {
  return createHash('sha256').update(JSON.stringify({ content, job, params, rdkitVersion, format: FORMAT })).digest('hex');
}

export function ecfpCachePath(dir: string, params: EcfpParams, key: string): string {
  return join(dir, 'features', `ecfp-r${params.radius}-${params.nBits}-${key.slice(0, 24)}.bin`);
}

export function scaffoldCachePath(dir: string, key: string): string {
  return join(dir, 'features', `murcko-${key.slice(0, 24)}.json`);
}

interface Header {
  key: string;
  rows: number;
  nBits: number;
  nIndices: number;
  failures: [number, string][];
}

/** Layout: magic (8 bytes), header length (u32 LE), header JSON, zero pad to 4, status u8[rows], pad to 4,
 *  offsets u32[rows+1], indices u16[nIndices]. */
export function writeEcfpCache(path: string, key: string, r: EcfpResult): void {
  const rows = r.status.length;
  const header: Header = {
    key,
    rows,
    nBits: r.bits.nBits,
    nIndices: r.bits.indices.length,
    failures: r.reasons.flatMap((reason, row) => (reason === null ? [] : [[row, reason] as [number, string]])),
  };
  const head = new TextEncoder().encode(JSON.stringify(header));
  const statusAt = align4(12 + head.length);
  const offsetsAt = align4(statusAt + rows);
  const indicesAt = offsetsAt + 4 * (rows + 1);
  const buf = new Uint8Array(indicesAt + 2 * r.bits.indices.length);
  buf.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(buf.buffer).setUint32(8, head.length, true);
  buf.set(head, 12);
  buf.set(r.status, statusAt);
  buf.set(new Uint8Array(r.bits.offsets.buffer, r.bits.offsets.byteOffset, r.bits.offsets.byteLength), offsetsAt);
  buf.set(new Uint8Array(r.bits.indices.buffer, r.bits.indices.byteOffset, r.bits.indices.byteLength), indicesAt);
  atomicWrite(path, buf);
}

/** The cached result, or null when absent, for another key, or damaged. */
export function readEcfpCache(path: string, key: string): EcfpResult | null {
  let file: Buffer;
  try {
    file = readFileSync(path);
  } catch {
    return null;
  }
  try {
    if (file.length < 12 || file.toString('latin1', 0, 8) !== MAGIC) return null;
    const headLen = file.readUInt32LE(8);
    const header = JSON.parse(file.toString('utf8', 12, 12 + headLen)) as Header;
    if (header.key !== key) return null;
    const statusAt = align4(12 + headLen);
    const offsetsAt = align4(statusAt + header.rows);
    const indicesAt = offsetsAt + 4 * (header.rows + 1);
    if (file.length !== indicesAt + 2 * header.nIndices) return null;
    // Copy into fresh buffers: typed-array views need aligned offsets, and the result outlives `file`.
    const bytes = new Uint8Array(file.buffer, file.byteOffset, file.length);
    const status = bytes.slice(statusAt, statusAt + header.rows);
    const offsets = new Uint32Array(bytes.slice(offsetsAt, indicesAt).buffer);
    const indices = new Uint16Array(bytes.slice(indicesAt).buffer);
    if (offsets[header.rows] !== header.nIndices) return null;
    const reasons: (string | null)[] = new Array(header.rows).fill(null);
    for (const [row, reason] of header.failures) reasons[row] = reason;
    return { bits: { nBits: header.nBits, offsets, indices }, status, reasons };
  } catch {
    return null;
  }
}

export function writeScaffoldCache(path: string, key: string, scaffolds: (string | null)[]): void {
  atomicWrite(path, new TextEncoder().encode(JSON.stringify({ key, scaffolds })));
}

export function readScaffoldCache(path: string, key: string, rows: number): (string | null)[] | null {
  try {
    const doc = JSON.parse(readFileSync(path, 'utf8')) as { key: string; scaffolds: (string | null)[] };
    return doc.key === key && Array.isArray(doc.scaffolds) && doc.scaffolds.length === rows ? doc.scaffolds : null;
  } catch {
    return null;
  }
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

/** Write then rename, so a reader never sees half a file (two runs may fill the cache at once). */
function atomicWrite(path: string, data: Uint8Array): void {
  mkdirSync(join(path, '..'), { recursive: true });
  const tmp = `${path}.${process.pid}.${Date.now()}.part`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}
