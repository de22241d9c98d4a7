/**
 * The book's baseline on the real Tox21 file, against the numbers scikit-learn 1.2.1 gives on the same features and
 * split (means over seeds 0-2): NR-AR under the book's protocol and with --labeled-only. The twelve-task means
 * (36 forests, ~10 s) are left to `shadergrad tox21 rf --task all`; here that command runs small. Also the CLI end
 * to end.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMain } from './helpers/cli-in-process.ts';
import { loadTox21, type DataSplit, type MoleculeDataset } from '../src/data/tox21.ts';
import { RandomForest } from '../src/forest/forest.ts';
import { BOOK_FOREST, runTaskBaseline, type TaskBaseline } from '../src/forest/tox21-baseline.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const data = resolve(repoRoot, '../shared/data/tox21.csv.gz');
// A temporary XDG_CACHE_HOME: the loads here and the CLI runs share one feature cache, and none lands in $HOME.
const xdg = mkdtempSync(join(tmpdir(), 'shadergrad-forest-'));
const cacheDir = join(xdg, 'shadergrad');
afterAll(() => rmSync(xdg, { recursive: true, force: true }));

let dataset: MoleculeDataset;
let split: DataSplit;
beforeAll(async () => {
  ({ dataset, split } = await loadTox21({ data, split: 'index', cacheDir }));
});

const fitHere = (x: Parameters<typeof RandomForest.fit>[0], y: Uint8Array, options: typeof BOOK_FOREST) => RandomForest.fit(x, y, options);
const seeds = [0, 1, 2];
async function overSeeds(task: string, labeledOnly: boolean): Promise<TaskBaseline[]> {
  const out: TaskBaseline[] = [];
  for (const seed of seeds) out.push(await runTaskBaseline(dataset, split, task, { forest: { ...BOOK_FOREST, seed }, labeledOnly }, fitHere));
  return out;
}
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;

describe('random forest on Tox21 (scikit-learn reference ± tolerance)', () => {
  it('NR-AR, book protocol: all training rows, missing labels as negatives', async () => {
    const runs = await overSeeds('NR-AR', false);
    expect(runs[0].trainRows).toBe(6264);
    for (const r of runs) expect(r.metrics.train.weightedAccuracy).toBeGreaterThanOrEqual(0.97);
    expect(Math.abs(mean(runs.map((r) => r.metrics.valid.weightedAccuracy)) - 0.664)).toBeLessThanOrEqual(0.02);
    expect(Math.abs(mean(runs.map((r) => r.metrics.valid.rocAuc)) - 0.714)).toBeLessThanOrEqual(0.03);
    expect(Math.abs(mean(runs.map((r) => r.metrics.test.rocAuc)) - 0.783)).toBeLessThanOrEqual(0.03);
  });

  it('NR-AR, labelled rows only', async () => {
    const runs = await overSeeds('NR-AR', true);
    expect(runs[0].trainRows).toBeLessThan(6264);
    expect(Math.abs(mean(runs.map((r) => r.metrics.valid.weightedAccuracy)) - 0.68)).toBeLessThanOrEqual(0.02);
  });
});

describe('shadergrad tox21 rf', () => {
  const cli = (args: string[]) => runMain(['tox21', 'rf', '--data', data, ...args], { cacheHome: xdg });

  it('prints one JSON object for a task, the same on 1 and 2 threads', async () => {
    const one = await cli(['--task', 'SR-MMP', '--trees', '6', '--max-depth', '12', '--seed', '4', '--threads', '1', '--json']);
    expect(one.code).toBe(0);
    const json = JSON.parse(one.out);
    expect(Object.keys(json)).toEqual(['model', 'task', 'split', 'trainRows', 'metrics', 'seconds', 'hyperparameters', 'seed', 'threads', 'data']);
    expect(json.data).toMatchObject({ rows: 7831, featurized: 7831, unsanitized: 8, failed: 0, ignoredColumns: [], split: { kind: 'index', seed: null, train: 6264 } });
    expect(json).toMatchObject({ model: 'rf', task: 'SR-MMP', split: { train: 6264, valid: 783, test: 784 }, seed: 4 });
    expect(json.hyperparameters).toMatchObject({ nEstimators: 6, maxFeatures: 'sqrt', maxDepth: 12, classWeight: 'balanced', labeledOnly: false });
    for (const s of ['train', 'valid', 'test']) {
      expect(json.metrics[s].weightedAccuracy).toBeGreaterThan(0.5);
      expect(json.metrics[s].rocAuc).toBeGreaterThan(0.6);
    }
    const two = JSON.parse((await cli(['--task', 'SR-MMP', '--trees', '6', '--max-depth', '12', '--seed', '4', '--threads', '2', '--json'])).out);
    expect(two.metrics).toEqual(json.metrics);
  });

  it('reports every task and their mean with --task all', async () => {
    const { code, out } = await cli(['--task', 'all', '--trees', '2', '--max-depth', '4', '--labeled-only', '--max-features', '0.05', '--json']);
    expect(code).toBe(0);
    const json = JSON.parse(out);
    expect(Object.keys(json.tasks)).toEqual(dataset.tasks);
    expect(json.tasks['NR-AR'].trainRows).toBeLessThan(6264);
    const validAucs = dataset.tasks.map((t) => json.tasks[t].metrics.valid.rocAuc as number);
    expect(json.mean.valid.rocAuc).toBeCloseTo(mean(validAucs), 12);
    expect(json.hyperparameters).toMatchObject({ maxFeatures: 0.05, labeledOnly: true });
  });

  it('prints a table without --json', async () => {
    const { code, out } = await cli(['--trees', '3', '--threads', '1']);
    expect(code).toBe(0);
    expect(out).toMatch(/^task +train w-acc +train AUC +valid w-acc +valid AUC +test w-acc +test AUC/);
    expect(out).toMatch(/\nNR-AR +0\.\d{3} /);
    expect(out).toContain('3 trees, max features sqrt, max depth none, seed 0, 1 thread; trained on all training rows, missing labels as 0');
  });

  it('rejects bad options with exit code 2, naming the flag', async () => {
    const bad = async (args: string[], message: string) => {
      const { code, err } = await cli(args);
      expect(code).toBe(2);
      expect(err).toContain(message);
    };
    await bad(['--task', 'NR-XX'], '--task must be all or one of NR-AR, NR-AR-LBD');
    await bad(['--max-features', '2000'], "--max-features: maxFeatures must be 'sqrt', 'log2', an integer in [1, 1024] or a fraction in (0, 1), got 2000 with 1024 features");
    await bad(['--max-features', 'many'], '--max-features must be sqrt, log2, an integer or a fraction in (0, 1), got "many"');
    await bad(['--trees', '0'], '--trees must be an integer ≥ 1, got "0"');
    await bad(['--threads', '1.5'], '--threads must be an integer ≥ 1, got "1.5"');
    await bad(['--frobnicate'], "Unknown option '--frobnicate'");
  });
});
