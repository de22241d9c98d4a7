/**
 * `--storage URL` in Optuna's (SQLAlchemy's) form, parsed once so every command and error names the store the same
 * way: `sqlite:///relative/file.db` (three slashes: relative to the working directory), `sqlite:////abs/file.db`
 * (four: absolute), `postgresql://user:pass@host[:port]/db` (or `postgres://`). No URL means the default SQLite
 * file in the cache folder. Passwords never appear in messages: `display` hides them.
 */
import { join, resolve } from 'node:path';
import { cacheFolder } from '../cache-folder.ts';
import { StoreError } from './store-error.ts';

export type StorageLocation =
  | { kind: 'sqlite'; /** absolute path, or ':memory:' */ file: string; display: string }
  | { kind: 'postgres'; connectionString: string; /** host:port, for "cannot reach" messages */ address: string; display: string };

export const STORAGE_FORMS = 'expected sqlite:///file.db, sqlite:////abs/file.db or postgresql://user:pass@host/db';

/** A URL that cannot be used: the message names it and the forms that work. */
export class StorageUrlError extends StoreError {
  override name = 'StorageUrlError';
}

export function defaultStoragePath(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheFolder(env), 'studies.db');
}

export function parseStorageUrl(url: string | undefined, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): StorageLocation {
  if (url === undefined || url === '') {
    const file = defaultStoragePath(env);
    return { kind: 'sqlite', file, display: `sqlite:///${file}` };
  }
  const bad = (why?: string) => new StorageUrlError(`--storage "${redact(url)}": ${why ? `${why}; ` : ''}${STORAGE_FORMS}`);
  if (url.startsWith('sqlite:')) {
    if (!url.startsWith('sqlite:///')) throw bad();
    const rest = url.slice('sqlite:///'.length);
    if (rest === '' || rest.endsWith('/')) throw bad('no file name');
    if (rest === ':memory:') return { kind: 'sqlite', file: ':memory:', display: url };
    const file = rest.startsWith('/') ? rest : resolve(cwd, rest);
    return { kind: 'sqlite', file, display: `sqlite:///${file}` };
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw bad('not a valid URL');
    }
    if (!u.hostname) throw bad('no host');
    const db = decodeURIComponent(u.pathname.replace(/^\//, ''));
    if (!db || db.includes('/')) throw bad('no database name after the host');
    const port = u.port || '5432';
    return { kind: 'postgres', connectionString: url, address: `${u.hostname}:${port}`, display: redact(url) };
  }
  throw bad();
}

/** The URL with its password replaced by ***. */
export function redact(url: string): string {
  return url.replace(/^([a-z0-9+]+:\/\/[^:/@]*):[^@/]*@/i, '$1:***@');
}
