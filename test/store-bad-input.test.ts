/**
 * Bad storage input, through the CLI in its own process: an unreachable PostgreSQL server, malformed URLs, a
 * read-only SQLite file, a corrupt database file, a study name that does not exist. Each must be one line on
 * stderr naming the server, URL, file or study, a non-zero exit code, and nothing written.
 */
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../src/hpo/open-store.ts';
import { REPO, runShadergrad, running, spec, tempDir } from './helpers/store-fixtures.ts';

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const root = process.getuid?.() === 0;

function oneLine(r: { code: number | null; stderr: string; stdout: string }, expected: string | RegExp) {
  expect(r.code).not.toBe(0);
  expect(r.stdout).toBe('');
  const lines = r.stderr.replace(/\n$/, '').split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  if (typeof expected === 'string') expect(lines[0]).toBe(expected);
  else expect(lines[0]).toMatch(expected);
}

describe('bad storage input', () => {
  const t = tempDir();
  const good = join(t.dir, 'good.db');
  beforeAll(async () => {
    const store = await openStore(`sqlite:///${good}`);
    await store.createStudy(spec('a'));
    await store.createStudy(spec('b'));
    await store.close();
  });
  afterAll(() => t.remove());

  it('an unreachable PostgreSQL server: named, within seconds, password hidden', async () => {
    const r = await runShadergrad(['study', 'list', '--storage', 'postgresql://user:secret@127.0.0.1:5/db']);
    oneLine(r, 'shadergrad study list: cannot reach PostgreSQL at 127.0.0.1:5 (ECONNREFUSED)');
    expect(r.stderr).not.toContain('secret');
    expect(r.ms).toBeLessThan(15_000);
  });

  it('malformed URLs: named, with the forms that work', async () => {
    for (const url of ['foo://x', 'sqlite://relative.db', 'postgresql://user:secret@/db', 'sqlite:///']) {
      const r = await runShadergrad(['study', 'show', 'a', '--storage', url]);
      oneLine(r, new RegExp(`^shadergrad study show: --storage "${url.replace('secret', '\\*\\*\\*').replace(/[/.:]/g, (c) => `\\${c}`)}": .*expected sqlite:///file\\.db, sqlite:////abs/file\\.db or postgresql://user:pass@host/db$`));
    }
    expect(readdirSync(REPO).filter((f) => f.endsWith('.db'))).toEqual([]);
  });

  it('a study name that does not exist: named, with the studies there are, nothing written', async () => {
    const before = sha(good);
    for (const sub of ['show', 'export', 'delete']) {
      const r = await runShadergrad(['study', sub, 'nope', '--storage', `sqlite:///${good}`]);
      oneLine(r, `shadergrad study ${sub}: no study named "nope" in sqlite:///${good}; studies: a, b`);
    }
    expect(sha(good)).toBe(before);
    const missing = join(t.dir, 'missing.db');
    const r = await runShadergrad(['study', 'show', 'x', '--storage', `sqlite:///${missing}`]);
    oneLine(r, `shadergrad study show: no study named "x" in sqlite:///${missing}; it holds no studies`);
    expect(existsSync(missing)).toBe(false);
  });

  it('a corrupt database file: named as not a SQLite database, left as it was', async () => {
    const bad = join(t.dir, 'corrupt.db');
    writeFileSync(bad, 'this is not a database\n'.repeat(200));
    const before = sha(bad);
    for (const args of [['study', 'list'], ['study', 'delete', 'a']]) {
      const r = await runShadergrad([...args, '--storage', `sqlite:///${bad}`]);
      oneLine(r, `shadergrad ${args.slice(0, 2).join(' ')}: ${bad} is not a SQLite database (file is not a database)`);
    }
    const lib = await openStore(`sqlite:///${bad}`).catch((e) => e);
    expect(lib.message).toBe(`${bad} is not a SQLite database (file is not a database)`);
    expect(sha(bad)).toBe(before);
    expect(readdirSync(t.dir).filter((f) => f.startsWith('corrupt'))).toEqual(['corrupt.db']);
  });

  it('a read-only SQLite file: named, and the study left as it was', async () => {
    const ro = join(t.dir, 'readonly.db');
    const s = await openStore(`sqlite:///${ro}`);
    await s.createStudy(spec('kept'));
    await s.close();
    chmodSync(ro, 0o444);
    chmodSync(t.dir, 0o755);
    const before = sha(ro);
    const user = root ? 'nobody' : undefined;
    for (const args of [['study', 'delete', 'kept'], ['study', 'list']]) {
      const r = await runShadergrad([...args, '--storage', `sqlite:///${ro}`], { user });
      oneLine(r, `shadergrad ${args.slice(0, 2).join(' ')}: sqlite:///${ro}: ${ro} is read-only, so the study store cannot be opened (SQLite in WAL mode writes beside it even to read)`);
    }
    // a writer (a search) refuses it at once, naming the file
    const w = await runWriter(`sqlite:///${ro}`, user);
    oneLine(w, `sqlite:///${ro}: ${ro} is read-only, so the study cannot be written`);
    expect(sha(ro)).toBe(before);
  });
});

/** Opens the store for writing, as a search does, in a process of `user`; prints the error's message. */
function runWriter(url: string, user: string | undefined) {
  const script = join(REPO, 'test/fixtures/store-open.ts');
  const node = [process.execPath, '--import', 'tsx', script, url];
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((res) => {
    import('node:child_process').then(({ spawn }) => {
      const [cmd, ...argv] = user ? ['runuser', '-u', user, '--', ...node] : node;
      const child = spawn(cmd, argv, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '', stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('exit', (code) => res({ code, stdout, stderr }));
    });
  });
}
