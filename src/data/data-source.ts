/**
 * Where the Tox21 file comes from, in a fixed order so a run is reproducible and explainable: `--data PATH`, then
 * the SHADERGRAD_TOX21 environment variable, then the copy in the user's cache dir, then a download of the exact
 * file DeepChem's `load_tox21` fetches into that cache. The data is never shipped in the repository. Node-only.
 */
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheFolder } from '../cache-folder.ts';
import { decodeDataBytes } from './data-file.ts';

export const TOX21_URL = 'https://deepchemdata.s3-us-west-1.amazonaws.com/datasets/tox21.csv.gz';
export const TOX21_ENV = 'SHADERGRAD_TOX21';

/** The data could not be found or fetched; the message says how to point shadergrad at a copy. */
export class DataUnavailableError extends Error {
  override name = 'DataUnavailableError';
}

export type SourceKind = 'option' | 'env' | 'cache' | 'download';

/** The cache folder (src/cache-folder.ts), under the name the data commands have always used. */
export const defaultCacheDir = cacheFolder;

const HOW_TO_PASS = `pass a local copy with --data PATH or the environment variable ${TOX21_ENV}=PATH`;

export async function resolveTox21File(opts: {
  data?: string;
  cacheDir: string;
  env?: Record<string, string | undefined>;
  /** Injected by tests so they never touch the network. */
  fetch?: typeof fetch;
  url?: string;
}): Promise<{ path: string; from: SourceKind }> {
  const env = opts.env ?? process.env;
  if (opts.data) {
    if (!existsSync(opts.data)) throw new DataUnavailableError(`--data ${opts.data}: no such file`);
    return { path: opts.data, from: 'option' };
  }
  const fromEnv = env[TOX21_ENV];
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new DataUnavailableError(`${TOX21_ENV}=${fromEnv}: no such file`);
    return { path: fromEnv, from: 'env' };
  }
  const cached = join(opts.cacheDir, 'tox21.csv.gz');
  if (existsSync(cached)) return { path: cached, from: 'cache' };

  const url = opts.url ?? TOX21_URL;
  const doFetch = opts.fetch ?? globalThis.fetch;
  let body: Uint8Array;
  try {
    const res = await doFetch(url, { signal: AbortSignal.timeout(60_000) });
    if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`);
    body = new Uint8Array(await res.arrayBuffer());
  } catch (e) {
    const cause = (e as Error & { cause?: Error }).cause;
    throw new DataUnavailableError(
      `Tox21 data not found locally and the download of ${url} failed (${(e as Error).message}${cause ? `: ${cause.message}` : ''}); ${HOW_TO_PASS}`,
    );
  }
  try {
    decodeDataBytes(body, url); // a truncated or HTML error body must not become the cached copy
  } catch (e) {
    throw new DataUnavailableError(`the download of ${url} is not a readable gzip CSV (${(e as Error).message}); ${HOW_TO_PASS}`);
  }
  mkdirSync(opts.cacheDir, { recursive: true });
  const tmp = `${cached}.${process.pid}.part`;
  writeFileSync(tmp, body);
  renameSync(tmp, cached); // atomic: a concurrent reader sees the whole file or none
  return { path: cached, from: 'download' };
}
