// End-to-end: the Tox21 network commands on a small slice of Tox21 (the first 300 molecules, written by the test),
// checking their JSON, and the study's HTML report: its charts must hold data.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliWorkspace, writeTox21Slice } from './helpers/cli.ts';

const { dir, run: cli } = cliWorkspace('shadergrad-cli-');
let slice = '';

beforeAll(() => {
  slice = writeTox21Slice(dir, 300);
});

describe('tox21 fcn', () => {
  it('prints one JSON object with metrics, loss curve and adapter', async () => {
    const r = await cli(['tox21', 'fcn', '--data', slice, '--epochs', '3', '--seed', '1', '--backend', 'webgpu', '--json']);
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
    const again = JSON.parse((await cli(['tox21', 'fcn', '--data', slice, '--epochs', '3', '--seed', '1', '--backend', 'webgpu', '--json'])).stdout);
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
  const space = 'hidden=20|40,layers=1|2,epochs=2|3,keep=0.5';
  it('a grid trains as populations: trial records, the best, seconds and the population size; --population 1 agrees', async () => {
    // A software adapter trains one run at a time by default (defaultPopulation): ask for populations.
    const r = await cli(['tox21', 'search', '--data', slice, '--space', space, '--reps', '2', '--population', '64', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.sampler).toBe('grid');
    expect(j.trials).toHaveLength(8);
    expect(j.population).toBeGreaterThan(2);
    expect(j.seconds).toBeGreaterThan(0);
    for (const t of j.trials) {
      expect(Object.keys(t).sort()).toEqual(expect.arrayContaining(['id', 'params', 'state', 'seeds', 'budget', 'intermediate', 'values', 'seconds']));
      expect(t.state).toBe('complete');
      expect(t.seeds).toEqual([0, 1]);
      expect(t.budget).toBe(t.params.nEpochs);
      expect(t.intermediate.map((v: { epoch: number }) => v.epoch)).toEqual(Array.from({ length: t.params.nEpochs }, (_, i) => i + 1));
      for (const k of ['valid-wacc', 'test-wacc', 'train-wacc', 'train-auc']) expect(typeof t.values[k], k).toBe('number');
      // An AUC is undefined (NaN, null in JSON) where a 30-row split holds one class.
      for (const k of ['valid-auc', 'test-auc']) expect(k in t.values, k).toBe(true);
      expect(t.valuesSd['valid-wacc']).toBeGreaterThanOrEqual(0);
    }
    const values = j.trials.map((t: { values: Record<string, number> }) => t.values['valid-wacc']);
    expect(values).toEqual([...values].sort((a: number, b: number) => b - a));
    expect(j.best.id).toBe(j.trials[0].id);

    const seq = JSON.parse((await cli(['tox21', 'search', '--data', slice, '--space', space, '--reps', '2', '--population', '1', '--json'])).stdout);
    expect(seq.population).toBe(1);
    const byId = new Map(seq.trials.map((t: { id: number }) => [t.id, t]));
    for (const t of j.trials) {
      const u = byId.get(t.id) as { params: unknown; values: Record<string, number> };
      expect(u.params).toEqual(t.params);
      // The book's training in file order: a member is its solo run, so the rounded predictions agree.
      expect(u.values['valid-wacc']).toBeCloseTo(t.values['valid-wacc'], 6);
      expect(u.values['test-wacc']).toBeCloseTo(t.values['test-wacc'], 6);
      if (t.values['valid-auc'] !== null) expect(u.values['valid-auc']).toBeCloseTo(t.values['valid-auc'], 3);
    }
  });

  it('TPE with ASHA prunes by rungs and records why; failed trials carry their reason', async () => {
    const r = await cli(['tox21', 'search', '--data', slice, '--space', 'lr=log:1e-4:1e-2,hidden=20|40,keep=0.3:1.0,epochs=6,mode=modern',
      '--sampler', 'tpe', '--pruner', 'asha', '--reduction', '2', '--trials', '10', '--reps', '1', '--objective', 'valid-auc', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.trials).toHaveLength(10);
    expect(j.objective).toEqual({ name: 'valid-auc', direction: 'maximize' });
    for (const t of j.trials) {
      expect(['complete', 'pruned']).toContain(t.state);
      if (t.state === 'pruned') {
        expect(t.reason).toMatch(/^asha: rung/);
        expect(t.budget).toBeLessThan(6);
      }
    }
    const bad = await cli(['tox21', 'search', '--data', slice, '--space', 'lr=1e30,hidden=20,epochs=2', '--reps', '1', '--json']);
    expect(bad.code).toBe(1);
    const jb = JSON.parse(bad.stdout);
    expect(jb.trials[0].state).toBe('failed');
    expect(jb.trials[0].reason).toMatch(/loss became (NaN|infinite) at epoch 1/);
    expect(bad.stderr).toMatch(/every trial failed \(1\); most common reason: loss became/);
  });

  it('names a bad --space term', async () => {
    const r = await cli(['tox21', 'search', '--data', slice, '--space', 'lr=log:1e-4:1e-2,keep=0.2:']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('term 2 "keep=0.2:"');
    const k = await cli(['tox21', 'search', '--data', slice, '--space', 'width=1|2']);
    expect(k.code).toBe(2);
    expect(k.stderr).toContain('"width" is not a hyperparameter');
  });
});

describe('tox21 study', () => {
  it('--quick prints the table and writes a report whose charts have data', async () => {
    const r = await cli(['tox21', 'study', '--quick', '--data', slice, '--backend', 'webgpu', '--out', join(dir, 'reports')]);
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
    // The search's trial charts, and the verdict from the retrained configuration on both metrics.
    for (const kind of ['history', 'intermediate', 'parallel']) expect(html).toMatch(new RegExp(`<figure class="trial-chart [^"]*${kind}`));
    expect(r.stdout).toMatch(/best configuration retrained, fresh seeds 100, 101/);
    expect(r.stdout).toMatch(/on weighted accuracy the tuned network (beats|does not beat) the forest .*; on ROC-AUC the tuned network (beats|does not beat) the forest/);
    // The verdict across model families follows the book's challenge (test/tox21-study-verdict.test.ts checks its JSON).
    expect(r.stdout).toContain('verdict (NR-AR):');
    expect(html).toContain('Verdict across model families');
  });
});
