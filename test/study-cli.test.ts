/**
 * `shadergrad study list|show|export|delete` on a SQLite store written through the library: what each prints,
 * the CSV and JSON exports (one row per trial, params and values as columns), and delete.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../src/hpo/open-store.ts';
import { runShadergrad, running, spec, tempDir } from './helpers/store-fixtures.ts';

describe('shadergrad study', () => {
  const t = tempDir();
  const url = `sqlite:///${join(t.dir, 'studies.db')}`;
  beforeAll(async () => {
    const store = await openStore(url);
    const a = await store.createStudy(spec('alpha'));
    for (const [i, state] of (['complete', 'complete', 'pruned', 'failed', 'running'] as const).entries()) {
      const tr = (await store.createTrial(a, running({ lr: 0.001 * (i + 1), hidden: [50, 100][i % 2] })))!;
      if (state === 'running') continue;
      await store.updateTrial(a, {
        ...tr, state, budget: 3, seconds: 1.5,
        intermediate: [{ epoch: 1, value: 0.5 }, { epoch: 2, value: 0.55 + i / 100 }],
        values: state === 'failed' ? {} : { 'valid-wacc': 0.6 + i / 100, 'test-wacc': 0.58 },
        ...(state === 'failed' ? { reason: 'loss became NaN, at epoch 2' } : {}),
      });
    }
    await store.createStudy(spec('beta', { objective: { name: 'valid-loss', direction: 'minimize' } }));
    await store.close();
  });
  afterAll(() => t.remove());

  it('lists studies with trials by state, the best value and the last update', async () => {
    const r = await runShadergrad(['study', 'list', '--storage', url]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe(url);
    expect(lines[2]).toMatch(/^alpha\s+1 running, 1 pruned, 2 complete, 1 failed\s+0\.6100 \(max valid-wacc\)\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    expect(lines[3]).toMatch(/^beta\s+no trials\s+—/);
    const json = JSON.parse((await runShadergrad(['study', 'list', '--storage', url, '--json'])).stdout);
    expect(json.studies.map((s: { name: string; best: number | null }) => [s.name, s.best])).toEqual([['alpha', 0.61], ['beta', null]]);
  });

  it('shows the spec and a table of trials', async () => {
    const r = await runShadergrad(['study', 'show', 'alpha', '--storage', url]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`study "alpha" in ${url}`);
    expect(r.stdout).toContain('objective: maximize valid-wacc; 10 trials of 2 seeds');
    expect(r.stdout).toContain('sampler: tpe {"seed":1,"startup":5}; pruner: asha {"eta":3}');
    expect(r.stdout).toContain('lr loguniform [0.0001, 0.1]; hidden ∈ {50, 100, 200}');
    expect(r.stdout).toMatch(/\n3\s+failed\s+—\s+3\s+1\.5\s+1\s+lr=0\.00400, hidden=100 {2}\(loss became NaN, at epoch 2\)\n/);
    expect(r.stdout).toMatch(/\n1\s+complete\s+0\.6100\s+3\s+1\.5\s+1\s+lr=0\.00200, hidden=100\n/);
  });

  it('exports JSON with every trial record and CSV with one row per trial', async () => {
    const j = await runShadergrad(['study', 'export', 'alpha', '--format', 'json', '--storage', url]);
    const data = JSON.parse(j.stdout);
    expect(data.study.name).toBe('alpha');
    expect(data.trials).toHaveLength(5);
    expect(data.trials[1]).toMatchObject({ id: 1, state: 'complete', params: { lr: 0.002, hidden: 100 }, intermediate: [{ epoch: 1, value: 0.5 }, { epoch: 2, value: 0.56 }], attempts: 1 });
    const c = await runShadergrad(['study', 'export', 'alpha', '--format', 'csv', '--storage', url]);
    const lines = c.stdout.trim().split('\n');
    expect(lines[0]).toBe('id,state,reason,epochs,seconds,attempts,params_lr,params_hidden,values_test-wacc,values_valid-wacc');
    expect(lines).toHaveLength(6);
    expect(lines[1]).toBe('0,complete,,3,1.5,1,0.001,50,0.58,0.6');
    expect(lines[4]).toBe('3,failed,"loss became NaN, at epoch 2",3,1.5,1,0.004,100,,');
    expect(lines[5]).toBe('4,running,,0,0,1,0.005,50,,');
  });

  it('deletes a study, then no longer finds it', async () => {
    const r = await runShadergrad(['study', 'delete', 'beta', '--storage', url]);
    expect(r.stdout).toBe(`deleted study "beta" from ${url}\n`);
    const again = await runShadergrad(['study', 'show', 'beta', '--storage', url]);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`shadergrad study show: no study named "beta" in ${url}; studies: alpha\n`);
  });

  it('says what it expected for a missing name or sub-command (usage, exit 2)', async () => {
    const r = await runShadergrad(['study', 'show', '--storage', url]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^shadergrad study: study show needs the study's NAME\nusage: study list/);
    const s = await runShadergrad(['study', 'frobnicate']);
    expect(s.stderr).toMatch(/expected list, show NAME, export NAME, delete NAME or import FILE, got "frobnicate"/);
  });
});
