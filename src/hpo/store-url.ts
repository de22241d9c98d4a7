/**
 * `--storage URL` in Optuna's (SQLAlchemy's) form, parsed once so every command and error names the store the same
 * way: `sqlite:///relative/file.db` (three slashes: relative to the working directory), `sqlite:////abs/file.db`
 * (four: absolute), `postgresql://user:pass@host[:port]/db` (or `postgres://`). No URL means the default SQLite
 * file in the cache folder. Passwords never appear in messages, JSON or pages: `display` (what every store calls its
 * `url`) hides them, in whatever form the URL carried them (`redact`).
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

export function defaultStoragePath(env: Record<string, string | undefined> = process.env): string {
  return join(cacheFolder(env), 'studies.db');
}

export function parseStorageUrl(url: string | undefined, env: Record<string, string | undefined> = process.env, cwd = process.cwd()): StorageLocation {
  if (url === undefined || url === '') {
    const file = defaultStoragePath(env);
    return { kind: 'sqlite', file, display: `sqlite:///${file}` };
  }
  const bad = (why?: string) => new StorageUrlError(`--storage "${redact(url)}": ${why ? `${why}; ` : ''}${STORAGE_FORMS}`);
  if (url.startsWith('sqlite:')) {
    if (!url.startsWith('sqlite:///')) throw bad();
    const rest = url.slice('sqlite:///'.length);
    if (rest === '' || rest.endsWith('/')) throw bad('no file name');
    if (rest === ':memory:') return { kind: 'sqlite', file: ':memory:', display: redact(url) };
    const file = rest.startsWith('/') ? rest : resolve(cwd, rest);
    return { kind: 'sqlite', file, display: redact(`sqlite:///${file}`) };
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

/**
 * The URL with every secret replaced by ***: the password of `user:pass@` (up to the authority's last `@`, as URL
 * parsers read it, so a password holding an unencoded `@` is masked whole) and the value of every query parameter
 * whose name contains "password" (`?password=`, `?sslpassword=`, however cased or percent-encoded), the forms libpq
 * and node-postgres read a password from. Regex-free of URL parsing, so a URL that does not parse is masked too.
 */
export function redact(url: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url);
  if (!scheme) return redactQuery(url);
  const start = scheme[0].length;
  const cut = (re: RegExp) => {
    const i = url.slice(start).search(re);
    return i < 0 ? url.length : start + i;
  };
  // The authority ends at the first / ? or #; a password holding an unencoded / ? or # pushes its @ past that, so
  // then the first @ after a colon ends the user part (masking too much beats leaking).
  let at = url.lastIndexOf('@', cut(/[/?#]/) - 1);
  const colon = url.indexOf(':', start);
  if (at < start && colon >= 0) at = url.indexOf('@', colon);
  if (at < start) return url.slice(0, cut(/[?#]/)) + redactQuery(url.slice(cut(/[?#]/)));
  const user = colon >= 0 && colon < at ? `${url.slice(start, colon)}:***` : url.slice(start, at);
  const rest = url.slice(at);
  const q = rest.search(/[?#]/);
  return url.slice(0, start) + user + (q < 0 ? rest : rest.slice(0, q) + redactQuery(rest.slice(q)));
}

/** `/db?user=u&password=x#f` → `/db?user=u&password=***#f`. */
function redactQuery(rest: string): string {
  const q = rest.indexOf('?');
  if (q < 0) return rest;
  const hash = rest.indexOf('#', q);
  const query = rest.slice(q + 1, hash < 0 ? rest.length : hash);
  const masked = query.split(/([&;])/).map((part) => {
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq);
    return isSecretName(name) && eq >= 0 ? `${name}=***` : part;
  }).join('');
  return rest.slice(0, q + 1) + masked + (hash < 0 ? '' : rest.slice(hash));
}

function isSecretName(name: string): boolean {
  let decoded = name.replace(/\+/g, ' ');
  try {
    decoded = decodeURIComponent(decoded);
  } catch {
    // A malformed escape: judge the name as written.
  }
  return /password/i.test(decoded);
}
