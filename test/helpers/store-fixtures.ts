/**
 * What the study-store tests share: a small study spec, trial records, a temporary SQLite file, and a throwaway
 * PostgreSQL database on the server `.ci/run` starts (scripts/test-postgres.sh). Without a server the PostgreSQL
 * tests fail and say why: a store for many machines that CI never exercised must not look tested.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../src/hpo/open-store.ts';
import type { TrialRecord } from '../../src/hpo/trial.ts';
import type { StudySpec } from '../../src/hpo/store-spec.ts';
import type { NewTrial } from '../../src/hpo/store.ts';
import { runCli, type CliResult } from './cli.ts';

export function spec(name = 's', over: Partial<StudySpec> = {}): StudySpec {
  return {
    name,
    space: { lr: { kind: 'loguniform', low: 1e-4, high: 1e-1 }, hidden: { kind: 'choice', values: [50, 100, 200] } },
    sampler: { name: 'tpe', options: { seed: 1, startup: 5 } },
    pruner: { name: 'asha', options: { eta: 3 } },
    objective: { name: 'valid-wacc', direction: 'maximize' },
    reps: 2,
    nTrials: 10,
    extra: { task: 'NR-AR', base: { nEpochs: 45 } },
    ...over,
  };
}

export function running(params: Record<string, number | string | boolean> = { lr: 0.01, hidden: 50 }): NewTrial {
  return { params, state: 'running', seeds: [0, 1], budget: 0, intermediate: [], values: {}, seconds: 0 };
}

export function tempDir(prefix = 'shadergrad-store-'): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export const NO_POSTGRES = 'no PostgreSQL server: run the tests via .ci/run, or start one with scripts/test-postgres.sh and set SHADERGRAD_TEST_POSTGRES';

/** The test server's URL; throws (failing the test) when there is none. */
export function postgresUrl(): string {
  const url = process.env.SHADERGRAD_TEST_POSTGRES;
  if (!url) throw new Error(NO_POSTGRES);
  return url;
}

/** A fresh database on the test server; `drop()` removes it. */
export async function freshPostgres(): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = postgresUrl();
  const pg = (await import('pg')).default;
  const name = `sg_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const c = new pg.Client({ connectionString: admin, connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    await c.query(`CREATE DATABASE ${name}`);
  } finally {
    await c.end();
  }
  const u = new URL(admin);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      const d = new pg.Client({ connectionString: admin, connectionTimeoutMillis: 5000 });
      await d.connect();
      try {
        await d.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await d.end();
      }
    },
  };
}

const FIXTURE = join(import.meta.dirname, '../fixtures/store-worker.ts');

/** Starts test/fixtures/store-worker.ts in its own process. */
export function startWorker(args: string[]): { child: ChildProcess; done: Promise<{ code: number | null; stderr: string }> } {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, ...args], { cwd: join(import.meta.dirname, '../..'), stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<{ code: number | null; stderr: string }>((res) => child.on('exit', (code) => res({ code, stderr })));
  return { child, done };
}

/** The study's complete trials, read without creating anything. */
export async function completedTrials(url: string, study: string): Promise<TrialRecord[]> {
  const store = await openStore(url, { create: false });
  try {
    const s = await store.loadStudy(study).catch(() => null);
    return s ? (await store.trials(s)).filter((t) => t.state === 'complete') : [];
  } finally {
    await store.close();
  }
}

/** The fixture's log lines of one kind, in order. */
export function logLines(file: string, kind: 'start' | 'done'): { id: number; params: string }[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith(`${kind} `)).map((l) => {
    const [, id, params] = l.split(' ');
    return { id: Number(id), params };
  });
}

export const REPO = join(import.meta.dirname, '../..');

/**
 * Runs `shadergrad ARGS` from source in its own process (test/helpers/cli.ts, `node --import tsx`, 60 s at most);
 * `user` runs it as another account (when the tests run as root, a read-only file is read-only only to someone else).
 */
export function runShadergrad(args: string[], opts: { env?: NodeJS.ProcessEnv; user?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return runCli(args, { tsx: 'import', env: opts.env, user: opts.user, timeout: opts.timeoutMs ?? 60_000 });
}
