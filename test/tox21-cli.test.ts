// End-to-end: the Tox21 network commands on a small slice of Tox21 (the first 300 molecules, written by the test),
// checking their JSON, and the study's HTML report: its charts must hold data.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const run = promisify(execFile);
let dir = '';
let slice = '';

async function cli(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const r = await run(join(root, 'node_modules', '.bin', 'tsx'), [join(root, 'src/cli/main.ts'), ...args], {
      cwd: dir, timeout: 240_000, env: { ...process.env, XDG_CACHE_HOME: join(dir, 'cache') }, maxBuffer: 64 << 20,
    });
    return { ...r, code: 0 };
  } catch (e) {
    const err = e as { stdout: string; stderr: string; code: number };
    return { stdout: err.stdout, stderr: err.stderr, code: err.code };
  }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'shadergrad-cli-'));
  const text = gunzipSync(readFileSync(join(root, '../shared/data/tox21.csv.gz'))).toString('utf8');
  slice = join(dir, 'tox21-300.csv');
  writeFileSync(slice, text.split('\n').slice(0, 301).join('\n') + '\n');
});

describe('tox21 fcn', () => {
  it('prints one JSON object with metrics, loss curve and adapter', async () => {
    const r = await cli(['tox21', 'fcn', '--data', slice, '--epochs', '3', '--seed', '1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.model).toBe('fcn');
    expect(j.task).toBe('NR-AR');
    expect(j.split).toEqual({ train: 240, valid: 30, test: 30 });
    expect(j.lossCurve).toHaveLength(3);
    expect(j.lossCurve.every((v: number) => Number.isFinite(v) && v > 0)).toBe(true);
    for (const s of ['train', 'valid', 'test']) expect(j.metrics[s].weightedAccuracy).toBeGreaterThanOrEqual(0);
    expect(j.hyperparameters).toEqual({ nHidden: 50, nLayers: 1, learningRate: 0.001, keepProb: 0.5, nEpochs: 3, batchSize: 100, weightPositives: true });
    expect(j.adapter.runtime).toBe('node-dawn');
    // Same seed, same adapter → the same numbers.
    const again = JSON.parse((await cli(['tox21', 'fcn', '--data', slice, '--epochs', '3', '--seed', '1', '--json'])).stdout);
    expect(again.lossCurve).toEqual(j.lossCurve);
    expect(again.metrics).toEqual(j.metrics);
  });

  it('--task all trains one multitask network and reports every task and the mean', async () => {
    const r = await cli(['tox21', 'fcn', '--data', slice, '--task', 'all', '--epochs', '2', '--mode', 'modern', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j.tasks)).toHaveLength(12);
    expect(j.mean.train.rocAuc).toBeGreaterThan(0);
  });

  it('bad flags are usage errors that name the flag', async () => {
    const r = await cli(['tox21', 'fcn', '--data', slice, '--keep-prob', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--keep-prob must be in (0, 1], got "0"');
    const t = await cli(['tox21', 'fcn', '--data', slice, '--task', 'NOPE']);
    expect(t.code).toBe(2);
    expect(t.stderr).toContain('--task must be all or one of NR-AR');
  });
});

describe('tox21 search', () => {
  it('ranks configurations and reports the best', async () => {
    const r = await cli(['tox21', 'search', '--data', slice, '--preset', 'random-lr', '--trials', '3', '--reps', '2', '--epochs', '2', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.strategy).toBe('random');
    expect(j.trials).toHaveLength(3);
    for (const t of j.trials) expect(t.params.learningRate).toBeGreaterThanOrEqual(1e-6);
    const means = j.trials.filter((t: { status: string }) => t.status === 'ok').map((t: { valid: { mean: number } }) => t.valid.mean);
    expect(means).toEqual([...means].sort((a: number, b: number) => b - a));
    expect(j.best.params).toEqual(j.trials[0].params);
  });
});

describe('tox21 study', () => {
  it('--quick prints the table and writes a report whose charts have data', async () => {
    const r = await cli(['tox21', 'study', '--quick', '--data', slice, '--out', join(dir, 'reports')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('random forest (50 trees, balanced)');
    expect(r.stdout).toContain("network, book's defaults");
    const file = /report: (.*\.html)/.exec(r.stdout)![1];
    expect(readdirSync(join(dir, 'reports'))).toHaveLength(1);
    const html = readFileSync(file, 'utf8');
    const lines = [...html.matchAll(/<polyline class="series"[^>]*data-points="(\d+)"[^>]*points="([^"]*)"/g)];
    expect(lines.length).toBe(2); // one loss curve per seed of the quick plan
    for (const [, n, pts] of lines) {
      expect(Number(n)).toBeGreaterThan(0);
      expect(pts.trim().split(/\s+/)).toHaveLength(Number(n));
    }
    const dots = [...html.matchAll(/<g class="dot" data-label="[^"]*" data-mean="([^"]*)"/g)];
    expect(dots.length).toBeGreaterThan(0);
    for (const [, m] of dots) expect(Number.isFinite(Number(m))).toBe(true);
    expect(html).toContain('swiftshader');
  });
});
