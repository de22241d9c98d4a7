/**
 * On-disk cache of per-row molecule results (ECFP bits and parse status; Murcko scaffolds), so a second run over
 * the same file spends milliseconds instead of seconds in RDKit. The key hashes the file's decompressed contents
 * with everything the result depends on (job parameters and limits, the SMILES column, the RDKit package version,
 * this format's version), so an edited file, another fingerprint size or an RDKit upgrade misses rather than
 * returns stale bits. Each file carries the SHA-256 of its payload: a file damaged on disk (a flipped bit keeps the
 * size and may keep every length in bounds) is a miss the caller is told about, never a crash and never used. Only
 * a complete result is written: every row computed, every failed row with its own reason. Node-only.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EcfpParams, EcfpResult } from './ecfp.ts';
import { MOL_FAILED } from './parse-molecule.ts';

/** Bump when the layout or the meaning of a cached result changes (2: checksums, limits and column in the key). */
const FORMAT = 2;
const MAGIC = 'SGECFP02';
/** magic (8 bytes), SHA-256 of everything after it (32 bytes), header length (u32 LE). */
const PREFIX = 8 + 32 + 4;

/** Told why a cache file was there but unusable (damaged, or written by something else). */
export type CacheDamage = (why: string) => void;

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

/**
 * Why `r` must not be cached, or null when it may: a result is complete when it has every row, a status for each,
 * a reason for each failed row and none for the others, and bit offsets that cover its indices.
 */
export function incompleteEcfp(r: EcfpResult): string | null {
  const rows = r.status.length;
  if (r.reasons.length !== rows || r.bits.offsets.length !== rows + 1) return `${rows} statuses, ${r.reasons.length} reasons, ${r.bits.offsets.length - 1} bit rows`;
  for (let row = 0; row < rows; row++) {
    const failed = r.status[row] === MOL_FAILED;
    if (r.status[row] > MOL_FAILED) return `row ${row} has no outcome`;
    if (failed !== (typeof r.reasons[row] === 'string')) return `row ${row} ${failed ? 'failed without a reason' : 'has a reason but did not fail'}`;
    if (r.bits.offsets[row + 1] < r.bits.offsets[row]) return `row ${row} has a negative bit count`;
  }
  if (r.bits.offsets[rows] !== r.bits.indices.length) return 'bit offsets do not cover the bits';
  return null;
}

/** Layout: PREFIX, header JSON, zero pad to 4, status u8[rows], pad to 4, offsets u32[rows+1], indices u16[nIndices].
 *  Throws for an incomplete result (see incompleteEcfp): a partial run is never cached. */
export function writeEcfpCache(path: string, key: string, r: EcfpResult): void {
  const problem = incompleteEcfp(r);
  if (problem) throw new Error(`not cached: the result is incomplete (${problem})`);
  const rows = r.status.length;
  const header: Header = {
    key,
    rows,
    nBits: r.bits.nBits,
    nIndices: r.bits.indices.length,
    failures: r.reasons.flatMap((reason, row) => (reason === null ? [] : [[row, reason] as [number, string]])),
  };
  const head = new TextEncoder().encode(JSON.stringify(header));
  const statusAt = align4(PREFIX + head.length);
  const offsetsAt = align4(statusAt + rows);
  const indicesAt = offsetsAt + 4 * (rows + 1);
  const buf = new Uint8Array(indicesAt + 2 * r.bits.indices.length);
  buf.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(buf.buffer).setUint32(40, head.length, true);
  buf.set(head, PREFIX);
  buf.set(r.status, statusAt);
  buf.set(new Uint8Array(r.bits.offsets.buffer, r.bits.offsets.byteOffset, r.bits.offsets.byteLength), offsetsAt);
  buf.set(new Uint8Array(r.bits.indices.buffer, r.bits.indices.byteOffset, r.bits.indices.byteLength), indicesAt);
  buf.set(sha256(buf.subarray(40)), 8);
  atomicWrite(path, buf);
}

/** The cached result, or null when absent, for another key, or damaged (then `onDamage` hears why). */
export function readEcfpCache(path: string, key: string, onDamage: CacheDamage = () => {}): EcfpResult | null {
  const file = readIfThere(path);
  if (file === null) return null;
  if (file.length < PREFIX || file.toString('latin1', 0, 8) !== MAGIC) return damaged(onDamage, path, 'not a feature cache of this version');
  if (!sha256(file.subarray(40)).equals(file.subarray(8, 40))) return damaged(onDamage, path, 'its checksum does not match: the file is damaged');
  try {
    const headLen = file.readUInt32LE(40);
    const header = JSON.parse(file.toString('utf8', PREFIX, PREFIX + headLen)) as Header;
    if (header.key !== key) return null;
    const statusAt = align4(PREFIX + headLen);
    const offsetsAt = align4(statusAt + header.rows);
    const indicesAt = offsetsAt + 4 * (header.rows + 1);
    if (file.length !== indicesAt + 2 * header.nIndices) return damaged(onDamage, path, 'its lengths do not add up');
    // Copy into fresh buffers: typed-array views need aligned offsets, and the result outlives `file`.
    const bytes = new Uint8Array(file.buffer, file.byteOffset, file.length);
    const status = bytes.slice(statusAt, statusAt + header.rows);
    const offsets = new Uint32Array(bytes.slice(offsetsAt, indicesAt).buffer);
    const indices = new Uint16Array(bytes.slice(indicesAt).buffer);
    const reasons: (string | null)[] = new Array(header.rows).fill(null);
    for (const [row, reason] of header.failures) reasons[row] = reason;
    const result = { bits: { nBits: header.nBits, offsets, indices }, status, reasons };
    const problem = incompleteEcfp(result);
    return problem ? damaged(onDamage, path, problem) : result;
  } catch (e) {
    return damaged(onDamage, path, (e as Error).message);
  }
}

/** The scaffolds' checksum is over their JSON text, so any change to a scaffold or to the row count shows. */
export function writeScaffoldCache(path: string, key: string, scaffolds: (string | null)[]): void {
  const text = JSON.stringify(scaffolds);
  atomicWrite(path, new TextEncoder().encode(`{"key":${JSON.stringify(key)},"sha256":"${sha256(Buffer.from(text)).toString('hex')}","scaffolds":${text}}`));
}

export function readScaffoldCache(path: string, key: string, rows: number, onDamage: CacheDamage = () => {}): (string | null)[] | null {
  const file = readIfThere(path);
  if (file === null) return null;
  try {
    const doc = JSON.parse(file.toString('utf8')) as { key: string; sha256: string; scaffolds: (string | null)[] };
    if (doc.key !== key) return null;
    if (!Array.isArray(doc.scaffolds) || doc.sha256 !== sha256(Buffer.from(JSON.stringify(doc.scaffolds))).toString('hex')) {
      return damaged(onDamage, path, 'its checksum does not match: the file is damaged');
    }
    return doc.scaffolds.length === rows ? doc.scaffolds : damaged(onDamage, path, `${doc.scaffolds.length} rows, not ${rows}`);
  } catch (e) {
    return damaged(onDamage, path, (e as Error).message);
  }
}

function damaged(onDamage: CacheDamage, path: string, why: string): null {
  onDamage(`the feature cache ${path} was not used (${why.slice(0, 120)}); recomputed`);
  return null;
}

function readIfThere(path: string): Buffer | null {
  try {
    return readFileSync(path);
  } catch {
    return null;
  }
}

function sha256(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest();
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
