/**
 * `shadergrad study import FILE [--storage URL]`: a study exported as JSON (by `study export`, or by the page from
 * IndexedDB) comes back into another store trial for trial — state, values (NaN kept), sds, intermediate values,
 * reason, detail — with a trial that was running when exported put back to waiting, as the reaper would; and every
 * bad input is refused before anything is written, in one line with exit code 1: not JSON, not an export, a study
 * of that name with another spec (naming the difference) or already holding trials.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../src/hpo/open-store.ts';
import { parseStudyExport } from '../src/hpo/study-export.ts';
import type { TrialRecord } from '../src/hpo/trial.ts';
import { runShadergrad, running, spec, tempDir } from './helpers/store-fixtures.ts';

const t = tempDir('shadergrad-import-');
const from = `sqlite:///${join(t.dir, 'from.db')}`;
const to = `sqlite:///${join(t.dir, 'to.db')}`;
const exportFile = join(t.dir, 'alpha.json');
let stored: TrialRecord[];

beforeAll(async () => {
  const store = await openStore(from);
  const a = await store.createStudy(spec('alpha'));
  const states = ['complete', 'pruned', 'failed', 'running', 'complete'] as const;
  for (const [i, state] of states.entries()) {
    const tr = (await store.createTrial(a, running({ lr: 0.001 * (i + 1), hidden: [50, 100][i % 2] }), { worker: 'page:gone' }))!;
    if (state === 'running') {
      await store.updateTrial(a, { ...tr, budget: 1, intermediate: [{ epoch: 1, value: 0.4 }] }, 'page:gone');
      continue;
    }
    await store.updateTrial(a, {
      ...tr, state, budget: 3, seconds: 1.5 + i,
      intermediate: [{ epoch: 1, value: 0.5 }, { epoch: 2, value: i === 2 ? Number.NaN : 0.55 + i / 100 }, { epoch: 3, value: 0.6 }],
      values: state === 'failed' ? { 'valid-wacc': Number.NaN } : { 'valid-wacc': 0.6 + i / 100, 'test-wacc': 0.58 },
      ...(state === 'complete' ? { valuesSd: { 'valid-wacc': 0.01 } } : {}),
      ...(state === 'failed' ? { reason: 'loss became NaN at epoch 2' } : state === 'pruned' ? { reason: 'asha rung 1' } : {}),
      detail: { startedAt: 1000 + i, endedAt: 2000 + i },
    }, 'page:gone');
  }
  stored = await store.trials(a);
  await store.close();
  const r = await runShadergrad(['study', 'export', 'alpha', '--format', 'json', '--storage', from]);
  expect(r.code).toBe(0);
  writeFileSync(exportFile, r.stdout);
});
afterAll(() => t.remove());

/** A refusal: exit 1 and exactly one line on stderr, starting with the command. */
function oneLine(r: { code: number | null; stderr: string }): string {
  expect(r.code, r.stderr).toBe(1);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^shadergrad study import: /);
  return lines[0];
}

describe('shadergrad study import', () => {
  it('loads an export into another store: every trial kept, a running one back to waiting; show lists them', async () => {
    const r = await runShadergrad(['study', 'import', exportFile, '--storage', to]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`imported study "alpha" into ${to}: 5 trials (1 running, 1 pruned, 2 complete, 1 failed); running when exported, now waiting: 3\n`);
    const store = await openStore(to, { create: false });
    const study = await store.loadStudy('alpha');
    expect(study.spec).toEqual(spec('alpha'));
    const back = await store.trials(study);
    await store.close();
    expect(back.map((x) => x.id)).toEqual([0, 1, 2, 3, 4]);
    for (const i of [0, 1, 2, 4]) expect(back[i]).toEqual(stored[i]);
    expect(Number.isNaN(back[2].values['valid-wacc'])).toBe(true);
    expect(Number.isNaN(back[2].intermediate[1].value)).toBe(true);
    expect(back[3]).toMatchObject({ id: 3, state: 'waiting', params: stored[3].params, budget: 0, intermediate: [], values: {} });

    const show = await runShadergrad(['study', 'show', 'alpha', '--storage', to]);
    expect(show.code).toBe(0);
    const ids = show.stdout.split('\n').filter((l) => /^\d+\s/.test(l)).map((l) => l.split(/\s+/).slice(0, 2).join(' '));
    expect(ids).toEqual(['0 complete', '1 pruned', '2 failed', '3 waiting', '4 complete']);
  });

  it('refuses a study that already holds trials, and a study of that name with another spec, naming the difference', async () => {
    const again = oneLine(await runShadergrad(['study', 'import', exportFile, '--storage', to]));
    expect(again).toBe(`shadergrad study import: ${exportFile}: study "alpha" already exists in ${to} with 5 trials; delete it first (shadergrad study delete alpha) or import under another name`);
    const other = `sqlite:///${join(t.dir, 'other.db')}`;
    const store = await openStore(other);
    await store.createStudy(spec('alpha', { reps: 3 }));
    await store.close();
    const line = oneLine(await runShadergrad(['study', 'import', exportFile, '--storage', other]));
    expect(line).toContain('study "alpha" already exists');
    expect(line).toContain('with a different reps: stored 3, now 2');
  });

  it('refuses a file that is not JSON, not an export, or missing, in one line each, writing nothing', async () => {
    const bad = (name: string, text: string) => {
      const f = join(t.dir, name);
      writeFileSync(f, text);
      return f;
    };
    const fresh = `sqlite:///${join(t.dir, 'untouched.db')}`;
    const notJson = bad('not.json', 'id,state\n0,complete\n');
    expect(oneLine(await runShadergrad(['study', 'import', notJson, '--storage', fresh]))).toMatch(new RegExp(`^shadergrad study import: ${notJson} is not JSON: `));

    const cases: [string, unknown, string][] = [
      ['list.json', [1, 2], 'expected an object with "study" and "trials"'],
      ['nostudy.json', { trials: [] }, 'no "study" object'],
      ['nospace.json', { study: { ...spec('x'), space: undefined }, trials: [] }, 'study.space is missing'],
      ['state.json', { study: spec('x'), trials: [{ ...running(), id: 0, state: 'done' }] }, 'trials[0].state must be one of waiting, running, pruned, complete, failed, got "done"'],
      ['gap.json', { study: spec('x'), trials: [{ ...running(), id: 0 }, { ...running(), id: 2 }] }, 'trial ids must be 0, 1, 2, … without gaps or repeats (as a store numbers them), found 0 then 2'],
      ['test-objective.json', { study: spec('x', { objective: { name: 'test-wacc', direction: 'maximize' } }), trials: [] }, 'objective "test-wacc" is a test score'],
    ];
    for (const [name, doc, why] of cases) {
      const f = bad(name, JSON.stringify(doc));
      const line = oneLine(await runShadergrad(['study', 'import', f, '--storage', fresh]));
      expect(line).toContain(`${f} is not a study export (shadergrad study export NAME --format json): ${why}`);
    }
    expect(oneLine(await runShadergrad(['study', 'import', join(t.dir, 'missing.json'), '--storage', fresh]))).toBe(`shadergrad study import: cannot read ${join(t.dir, 'missing.json')}: no such file`);
    // Nothing was created: the store file was never opened.
    expect(existsSync(join(t.dir, 'untouched.db'))).toBe(false);
  });

  it('reads back what the builder wrote: the export round-trips through parseStudyExport', () => {
    const { spec: s, trials } = parseStudyExport(readFileSync(exportFile, 'utf8'), exportFile);
    expect(s).toEqual(spec('alpha'));
    expect(trials.map((x) => x.id)).toEqual([0, 1, 2, 3, 4]);
    expect(trials[0]).toEqual(stored[0]);
  });
});
