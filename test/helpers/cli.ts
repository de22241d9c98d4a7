/**
 * The one way the tests run `shadergrad ARGS` (src/cli/main.ts from source) in a child process, and the Tox21 slices
 * those runs read.
 *
 * - runCli resolves with { stdout, stderr, code, signal, ms } whatever the exit code: a failing command is a result
 *   to assert on, not a rejection. It never hangs: past `timeout` (or `maxBuffer`) the process gets SIGTERM, then
 *   SIGKILL; a process stopped so, or ended by any signal, has code null and `failure` saying why, a line also
 *   appended to stderr so that `expect(r.code, r.stderr).toBe(0)` prints the reason. It rejects only when nothing
 *   started.
 * - runCliOk rejects with a CliError (carrying stdout, stderr and code) unless the exit code is 0: for tests that
 *   only want the output of a command that must succeed.
 * - startCli also hands back the child, for tests that read its output as it comes or kill it mid-run.
 * - `tsx: 'bin'` (the default) runs node_modules/.bin/tsx, which starts node again in a second process; `'import'`
 *   runs `node --import tsx` in one. Each test keeps the one it had, since workers inherit different exec arguments.
 * - cliWorkspace: a temporary folder with its own XDG_CACHE_HOME (dir/cache), so runs never touch ~/.cache.
 * - tox21Lines / tox21Csv / writeTox21Slice: the header and first N molecules of ../shared/data/tox21.csv.gz, read
 *   in place (never copied into the repository).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

export const ROOT = join(import.meta.dirname, '..', '..');
export const TOX21 = join(ROOT, '..', 'shared', 'data', 'tox21.csv.gz');
const MAIN = join(ROOT, 'src', 'cli', 'main.ts');
const TSX_BIN = join(ROOT, 'node_modules', '.bin', 'tsx');
/** After SIGTERM, how long a process has before SIGKILL; after it exits, how long its pipes have to close. */
const KILL_GRACE_MS = 5_000;
const CLOSE_GRACE_MS = 2_000;

export interface CliOptions {
  /** Working folder; the repository root by default. */
  cwd?: string;
  /** Added to (and overriding) process.env. */
  env?: NodeJS.ProcessEnv;
  /** Milliseconds before the process is stopped; 240 000 by default. */
  timeout?: number;
  /** Bytes of stdout (or of stderr) past which the process is stopped; 64 MiB by default. */
  maxBuffer?: number;
  /** 'bin': node_modules/.bin/tsx (default); 'import': node --import tsx. */
  tsx?: 'bin' | 'import';
  /** Run as this account (`runuser -u USER --`), for tests that need permissions to bite while running as root. */
  user?: string;
}

export interface CliResult {
  stdout: string;
  stderr: string;
  /** The exit code; null when the process ended by a signal or was stopped (timeout, maxBuffer). */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Why the process did not exit by itself (timed out, too much output, killed); absent when it did. */
  failure?: string;
  /** Milliseconds from start to exit. */
  ms: number;
}

/** A started CLI process, and its result once it has ended and its output is read. */
export interface CliProcess {
  child: ChildProcess;
  done: Promise<CliResult>;
}

/** Starts `shadergrad ARGS`; stdin is /dev/null. Kill `child` at will: `done` still resolves, saying by what. */
export function startCli(args: string[], opts: CliOptions = {}): CliProcess {
  const timeout = opts.timeout ?? 240_000;
  const maxBuffer = opts.maxBuffer ?? 64 << 20;
  const node = opts.tsx === 'import' ? [process.execPath, '--import', 'tsx', MAIN, ...args] : [TSX_BIN, MAIN, ...args];
  const [cmd, ...argv] = opts.user ? ['runuser', '-u', opts.user, '--', ...node] : node;
  const t0 = Date.now();
  const child = spawn(cmd, argv, { cwd: opts.cwd ?? ROOT, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [], err: Buffer[] = [];
  const size = { out: 0, err: 0 };
  let failure: string | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  const stop = (why: string) => {
    if (failure !== undefined) return;
    failure = why;
    if (child.exitCode !== null || child.signalCode !== null) return; // output still coming after the exit
    child.kill('SIGTERM');
    killTimer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
  };
  const collect = (into: Buffer[], key: 'out' | 'err', name: string) => (d: Buffer) => {
    if (size[key] + d.length > maxBuffer) return stop(`${name} passed maxBuffer (${maxBuffer} bytes)`);
    size[key] += d.length;
    into.push(d);
  };
  child.stdout!.on('data', collect(out, 'out', 'stdout'));
  child.stderr!.on('data', collect(err, 'err', 'stderr'));
  const timer = setTimeout(() => stop(`timed out after ${timeout} ms`), timeout);

  const done = new Promise<CliResult>((resolve, reject) => {
    let started = false;
    child.once('spawn', () => (started = true));
    child.on('error', (e) => {
      if (started) return; // a failed kill: 'exit' still comes
      clearTimeout(timer);
      reject(new Error(`could not start ${cmd}: ${e.message}`));
    });
    child.once('exit', (exitCode, signal) => {
      const ms = Date.now() - t0;
      clearTimeout(timer);
      clearTimeout(killTimer);
      if (signal) failure = failure === undefined ? `killed by ${signal}` : `${failure}; killed by ${signal}`;
      let finished = false;
      const finish = () => {
        if (finished) return;
        finished = true;
        clearTimeout(closeTimer);
        let stderr = Buffer.concat(err).toString('utf8');
        if (failure !== undefined) {
          const command = `shadergrad ${args.join(' ')}`.slice(0, 200);
          stderr += `${stderr && !stderr.endsWith('\n') ? '\n' : ''}[runCli] ${command}: ${failure}\n`;
        }
        // Stopped here (its output cut short) or by a signal: no exit code to pass for a success, even where the
        // process managed one (tsx exits 143 on the SIGTERM it relays; a quick process may exit 0 before it lands).
        const code = failure === undefined ? exitCode : null;
        resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr, code, signal, ...(failure !== undefined && { failure }), ms });
      };
      // Normally the pipes close right after the exit; a grandchild left holding them (tsx's node, after a
      // SIGKILL to tsx) must not hang the test, so after a grace period the output so far is the output.
      const closeTimer = setTimeout(() => {
        failure ??= `its output was still open ${CLOSE_GRACE_MS} ms after it exited`;
        child.stdout!.destroy();
        child.stderr!.destroy();
        finish();
      }, CLOSE_GRACE_MS);
      if (child.stdout!.closed && child.stderr!.closed) finish();
      else child.once('close', finish);
    });
  });
  return { child, done };
}

/** Runs `shadergrad ARGS` to its end; see the top of this file. */
export function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  return startCli(args, opts).done;
}

/** A CLI run that did not exit with code 0. */
export class CliError extends Error {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number | null;
  constructor(args: string[], r: CliResult) {
    super(`shadergrad ${args.join(' ')} failed (${r.code === null ? r.failure : `exit code ${r.code}`}): ${r.stderr || '(nothing on stderr)'}`);
    this.stdout = r.stdout;
    this.stderr = r.stderr;
    this.code = r.code;
  }
}

/** Runs `shadergrad ARGS`; resolves when it exits with code 0, else rejects with a CliError. */
export async function runCliOk(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const r = await runCli(args, opts);
  if (r.code !== 0) throw new CliError(args, r);
  return r;
}

export interface CliWorkspace {
  dir: string;
  /** XDG_CACHE_HOME=dir/cache, and any extra variables given. */
  env: NodeJS.ProcessEnv;
  /** runCli in `dir` with `env` (options given here are added on top). */
  run(args: string[], opts?: CliOptions): Promise<CliResult>;
  /** runCliOk in `dir` with `env`. */
  runOk(args: string[], opts?: CliOptions): Promise<CliResult>;
}

/** A new temporary folder (named from `prefix`) to run the CLI in, with its own feature cache. */
export function cliWorkspace(prefix: string, env: NodeJS.ProcessEnv = {}): CliWorkspace {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const wsEnv = { XDG_CACHE_HOME: join(dir, 'cache'), ...env };
  const options = (opts: CliOptions = {}): CliOptions => ({ cwd: dir, ...opts, env: { ...wsEnv, ...opts.env } });
  return { dir, env: wsEnv, run: (args, opts) => runCli(args, options(opts)), runOk: (args, opts) => runCliOk(args, options(opts)) };
}

let tox21All: string[] | null = null;

/** Tox21's header line and its first `molecules` rows. */
export function tox21Lines(molecules: number): string[] {
  if (!tox21All) {
    if (!existsSync(TOX21)) throw new Error(`these tests need Tox21 at ${TOX21} (the shared data folder beside the repository)`);
    tox21All = gunzipSync(readFileSync(TOX21)).toString('utf8').split(/\r?\n/);
  }
  return tox21All.slice(0, molecules + 1);
}

/** Tox21's header and its first `molecules` rows, as CSV text (ending in a newline). */
export function tox21Csv(molecules: number): string {
  return `${tox21Lines(molecules).join('\n')}\n`;
}

/** Writes tox21Csv(molecules) to dir/name (tox21-N.csv by default); returns the path. */
export function writeTox21Slice(dir: string, molecules: number, name = `tox21-${molecules}.csv`): string {
  const file = join(dir, name);
  writeFileSync(file, tox21Csv(molecules));
  return file;
}
