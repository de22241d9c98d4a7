import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { DataUnavailableError, TOX21_URL, defaultCacheDir, resolveTox21File } from '../src/data/data-source.ts';

const dir = mkdtempSync(join(tmpdir(), 'shadergrad-source-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const offline: typeof fetch = async () => {
  throw new TypeError('fetch failed', { cause: new Error('getaddrinfo ENOTFOUND deepchemdata.s3-us-west-1.amazonaws.com') });
};
const noFetch: typeof fetch = async () => {
  throw new Error('the network must not be touched here');
};

describe('where the data comes from', () => {
  const a = join(dir, 'a.csv');
  const b = join(dir, 'b.csv');
  writeFileSync(a, 'smiles,y\nCCO,1\n');
  writeFileSync(b, 'smiles,y\nCCN,0\n');

  it('--data wins over the environment, the environment over the cache', async () => {
    const cacheDir = join(dir, 'c1');
    mkdirSync(cacheDir);
    writeFileSync(join(cacheDir, 'tox21.csv.gz'), gzipSync('smiles,y\nC,1\n'));
    const env = { SHADERGRAD_TOX21: b };
    expect(await resolveTox21File({ data: a, cacheDir, env, fetch: noFetch })).toEqual({ path: a, from: 'option' });
    expect(await resolveTox21File({ cacheDir, env, fetch: noFetch })).toEqual({ path: b, from: 'env' });
    expect(await resolveTox21File({ cacheDir, env: {}, fetch: noFetch })).toEqual({ path: join(cacheDir, 'tox21.csv.gz'), from: 'cache' });
  });

  it('a path that does not exist is an error naming where it came from', async () => {
    await expect(resolveTox21File({ data: join(dir, 'nope.csv'), cacheDir: dir, env: {}, fetch: noFetch })).rejects.toThrow(/--data .*nope\.csv: no such file/);
    await expect(resolveTox21File({ cacheDir: dir, env: { SHADERGRAD_TOX21: join(dir, 'nope.csv') }, fetch: noFetch })).rejects.toThrow(
      /SHADERGRAD_TOX21=.*nope\.csv: no such file/,
    );
  });

  it('without a local copy it downloads; offline, the error says how to pass a path', async () => {
    const cacheDir = join(dir, 'c2');
    const e = await resolveTox21File({ cacheDir, env: {}, fetch: offline }).catch((x: Error) => x);
    expect(e).toBeInstanceOf(DataUnavailableError);
    expect((e as Error).message).toContain(TOX21_URL);
    expect((e as Error).message).toContain('ENOTFOUND');
    expect((e as Error).message).toContain('--data PATH');
    expect((e as Error).message).toContain('SHADERGRAD_TOX21');
    expect(existsSync(join(cacheDir, 'tox21.csv.gz'))).toBe(false);
  });

  it('an HTTP error or a body that is not gzip CSV is not cached', async () => {
    const cacheDir = join(dir, 'c3');
    const notFound: typeof fetch = async () => new Response('no', { status: 404, statusText: 'Not Found' });
    await expect(resolveTox21File({ cacheDir, env: {}, fetch: notFound })).rejects.toThrow(/HTTP 404.*--data PATH/);
    const truncated = gzipSync('smiles,y\n'.repeat(1000)).subarray(0, 30);
    const partial: typeof fetch = async () => new Response(truncated);
    await expect(resolveTox21File({ cacheDir, env: {}, fetch: partial })).rejects.toThrow(/not a readable gzip CSV.*SHADERGRAD_TOX21/);
    expect(existsSync(join(cacheDir, 'tox21.csv.gz'))).toBe(false);
  });

  it('a good download lands in the cache and is used from there next time', async () => {
    const cacheDir = join(dir, 'c4');
    const body = gzipSync('smiles,y\nCCO,1\n');
    let calls = 0;
    const ok: typeof fetch = async (url) => {
      calls++;
      expect(String(url)).toBe(TOX21_URL);
      return new Response(body);
    };
    expect(await resolveTox21File({ cacheDir, env: {}, fetch: ok })).toEqual({ path: join(cacheDir, 'tox21.csv.gz'), from: 'download' });
    expect(readFileSync(join(cacheDir, 'tox21.csv.gz'))).toEqual(Buffer.from(body));
    expect(await resolveTox21File({ cacheDir, env: {}, fetch: ok })).toEqual({ path: join(cacheDir, 'tox21.csv.gz'), from: 'cache' });
    expect(calls).toBe(1);
  });

  it('the cache dir follows XDG_CACHE_HOME, else ~/.cache', () => {
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/x/cache' })).toBe('/x/cache/shadergrad');
    expect(defaultCacheDir({})).toMatch(/\.cache\/shadergrad$/);
  });
});
