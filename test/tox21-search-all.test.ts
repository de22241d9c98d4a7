// `tox21 search --task all` and the levers, end to end on a slice of Tox21 (the first 400 molecules): one 12-output
// network per trial, valid-auc the mean over the tasks the validation split can score (the others named on stderr
// and absent from the trial's per-task values), per-task values beside the means, the levers as search-space terms
// (init, wd, early), the JSON without the trials' probabilities; and `tox21 fcn` with --init, --weight-decay and
// --early-stopping keeping its JSON's shape. Bad lever values are one-line usage errors before any data loads.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliWorkspace, writeTox21Slice } from './helpers/cli.ts';

const { dir, run: cli } = cliWorkspace('sg-search-all-', { XDG_RUNTIME_DIR: '/tmp' });
let slice = '';

beforeAll(() => {
  slice = writeTox21Slice(dir, 400);
});

describe('tox21 search --task all', () => {
  it('trains one multitask network per trial; valid-auc is the mean of the per-task values it records', async () => {
    const r = await cli(['tox21', 'search', '--data', slice, '--task', 'all', '--objective', 'valid-auc', '--backend', 'cpu', '--mode', 'modern',
      '--space', 'hidden=16,epochs=4,init=deepchem|he,wd=0|1e-4,early=true', '--reps', '1', '--batch', '50', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.task).toBe('all');
    expect(j.trials).toHaveLength(4);
    for (const t of j.trials) {
      expect(t.state).toBe('complete');
      expect(t.detail.predictions).toBeUndefined(); // kept in the record and the store, not in this JSON
      expect(t.detail.bestEpoch).toBeGreaterThanOrEqual(1);
      const perTask = Object.entries(t.values).filter(([k]) => k.startsWith('valid-auc/')).map(([, v]) => v as number);
      expect(perTask.length).toBeGreaterThan(1);
      expect(t.values['valid-auc']).toBeCloseTo(perTask.reduce((a, v) => a + v, 0) / perTask.length, 12);
      expect(Object.keys(t.values).filter((k) => k.startsWith('train-') && k.includes('/'))).toEqual([]);
    }
    // A validation split of 40 molecules leaves some tasks without positives: said, and left out of the mean.
    const skipped = /valid-auc is the mean over (\d+) of 12 tasks; left out .*: (.*)$/m.exec(r.stderr);
    expect(skipped, r.stderr).not.toBeNull();
    const left = skipped![2].split(', ');
    for (const t of j.trials) for (const task of left) expect(t.values[`valid-auc/${task}`]).toBeUndefined();
    expect(j.trials[0].params).toMatchObject({ earlyStopping: true });
  });

  it('bad lever values are one-line usage errors, before any data loads', async () => {
    for (const [args, msg] of [
      [['--space', 'init=glorot'], /--space init=glorot: init must be one of book, he, deepchem, got glorot/],
      [['--space', 'wd=-1|0'], /wd must be a finite number ≥ 0, got -1/],
      [['--space', 'early=maybe'], /early must be true or false, got maybe/],
      [['--weight-decay', 'x'], /--weight-decay must be a finite number ≥ 0, got "x"/],
    ] as const) {
      const r = await cli(['tox21', 'search', '--data', join(dir, 'missing.csv'), ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});

describe('tox21 fcn with the levers', () => {
  it('--init --weight-decay --early-stopping: the kept epoch in the JSON, no predictions', async () => {
    const r = await cli(['tox21', 'fcn', '--data', slice, '--task', 'all', '--mode', 'modern', '--hidden', '16', '--epochs', '5', '--batch', '50',
      '--init', 'deepchem', '--weight-decay', '1e-4', '--early-stopping', 'true', '--backend', 'cpu', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.predictions).toBeUndefined();
    expect(j.bestEpoch).toBeGreaterThanOrEqual(1);
    expect(j.bestEpoch).toBeLessThanOrEqual(5);
    expect(j.hyperparameters).toMatchObject({ init: 'deepchem', weightDecay: 1e-4, earlyStopping: true });
    expect(j.lossCurve).toHaveLength(5);
    const bad = await cli(['tox21', 'fcn', '--data', slice, '--early-stopping', 'sometimes']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--early-stopping must be true or false, got "sometimes"/);
  });
});
