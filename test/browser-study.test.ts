/**
 * The page's adaptive study end to end, in headless Chromium with WebGPU on SwiftShader: TPE + ASHA on a 300-molecule
 * slice of Tox21, trials kept in IndexedDB; the page is reloaded mid-search, resumes, and ends with exactly the
 * configured number of trials, none trained twice (the trials its first life finished are never started again; the
 * ones it left running are handed back, as the SQLite store's reaper does, and trained once more); the charts are the
 * report's (studyCharts). Then the page's export, imported with `shadergrad study import` into a temporary SQLite
 * file, shows the same trials with `study show`, and `tox21 search --study NAME --trials N+2` with the same options
 * and data file resumes it: the page's trials untouched, two more added.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outputPath, startRig, tox21Slice, waitForState, type BrowserRig } from './helpers/browser.ts';
import { runShadergrad } from './helpers/store-fixtures.ts';

const ROWS = 300;
/** A task with positives in every split of the first 300 rows (34 / 6 / 4). */
const TASK = 'NR-AhR';
const EPOCHS = 4;
const N = 12;
const NAME = 'page-tpe';
const SPACE = 'lr=log:1e-4:1e-2,hidden=16|32,keep=0.5:1.0';
/** Two models at a time, so trials finish while others still train when the page is reloaded. */
const POPULATION = 2;

const slice = tox21Slice(ROWS);
let rig: BrowserRig;
let workdir: string;

beforeAll(async () => {
  workdir = mkdtempSync(join(tmpdir(), 'shadergrad-browser-study-'));
  rig = await startRig({ routes: { '/lock.html': { body: '<!doctype html><meta charset="utf-8"><title>lock</title>', type: 'text/html' } } });
}, 120_000);

afterAll(async () => {
  await rig?.close();
  if (workdir) rmSync(workdir, { recursive: true, force: true });
});

interface LogEntry { event: 'started' | 'finished'; trialId: number; state: string; attempt: number }
interface Row { record: { id: number; state: string; params: Record<string, unknown>; values: Record<string, number>; intermediate: unknown[] }; attempts: number; worker: string | null }

/** Loads the slice and fills both forms, as a user would after a reload. */
async function prepare(page: Page): Promise<void> {
  await page.goto(`${rig.url}/web/`);
  await waitForState(page, ['no-data']);
  await page.setInputFiles('#file', { name: 'tox21-300.csv', mimeType: 'text/csv', buffer: Buffer.from(slice) });
  await waitForState(page, ['ready'], 120_000);
  await page.selectOption('[name=task]', TASK);
  await page.fill('[name=nEpochs]', String(EPOCHS));
  const f = '#study-form';
  await page.fill(`${f} [name=name]`, NAME);
  await page.fill(`${f} [name=space]`, SPACE);
  await page.selectOption(`${f} [name=sampler]`, 'tpe');
  await page.selectOption(`${f} [name=pruner]`, 'asha');
  await page.fill(`${f} [name=nTrials]`, String(N));
  await page.fill(`${f} [name=reps]`, '1');
  await page.fill(`${f} [name=population]`, String(POPULATION));
}

const studyLog = (page: Page) => page.evaluate(() => (globalThis as unknown as { __shadergrad: { studyLog: LogEntry[] } }).__shadergrad.studyLog.slice());

/**
 * In the helper tab: takes the store's Web Lock (held until `__release()`), then reads the study's rows straight
 * from IndexedDB (the store's layout: one record per study, its rows a Map by id).
 */
const LOCK_AND_READ = `(async () => {
  await new Promise((held) => navigator.locks.request('shadergrad-indexeddb:shadergrad', () => {
    held();
    return new Promise((release) => { globalThis.__release = release; });
  }));
  const db = await new Promise((res, rej) => { const q = indexedDB.open('shadergrad'); q.onsuccess = () => res(q.result); q.onerror = () => rej(q.error); });
  const s = await new Promise((res) => { const q = db.transaction('studies').objectStore('studies').get(${JSON.stringify(NAME)}); q.onsuccess = () => res(q.result); });
  db.close();
  return [...s.rows.values()].sort((a, b) => a.record.id - b.record.id);
})()`;

/**
 * The study's rows as IndexedDB holds them, read by the page through the library's store (the script is a string:
 * vitest would rewrite a dynamic import in a function).
 */
const storedRows = (page: Page) => page.evaluate(`(async () => {
  const sg = await import('/shadergrad.browser.js');
  const store = await sg.IndexedDbStore.open('shadergrad');
  try {
    return await store.trialRows(await store.loadStudy(${JSON.stringify(NAME)}));
  } finally {
    await store.close();
  }
})()`) as Promise<Row[]>;

describe('an adaptive study in Chromium, kept in IndexedDB', () => {
  it('survives a reload mid-search, trains nothing twice, and is resumed by the CLI from its export', async () => {
    const { page, errors } = await rig.newPage();
    await prepare(page);
    const helper = await rig.newPage();
    await helper.page.goto(`${rig.url}/lock.html`);
    await page.click('#run-study');
    // Mid-search, deterministically: another tab of the origin takes the store's lock while a trial is running, so the
    // page's worker blocks at its next write; the page is reloaded (its worker dies blocked, the trial left running),
    // and only when that worker's own lock is gone does the tab let the store go.
    let before: Row[] = [];
    let live = { figures: 0, trials: 0 };
    for (;;) {
      await page.waitForFunction(() => {
        const log = (globalThis as unknown as { __shadergrad: { studyLog: LogEntry[] } }).__shadergrad.studyLog;
        const finished = new Set(log.filter((e) => e.event === 'finished').map((e) => e.trialId));
        return finished.size >= 3 && log.some((e) => e.event === 'started' && !finished.has(e.trialId));
      }, undefined, { timeout: 240_000, polling: 50 });
      live = { figures: await page.locator('#study-charts figure').count(), trials: Number(await page.locator('#study-charts').getAttribute('data-trials')) };
      before = await helper.page.evaluate(LOCK_AND_READ);
      if (before.some((r) => r.record.state === 'running')) break;
      await helper.page.evaluate('globalThis.__release()');
    }
    await page.reload();
    await helper.page.waitForFunction(async () => ((await navigator.locks.query()).held ?? []).every((l) => !l.name!.startsWith('shadergrad-worker:')), undefined, { polling: 50 });
    await helper.page.evaluate('globalThis.__release()');
    const finishedBefore = before.filter((r) => ['complete', 'pruned', 'failed'].includes(r.record.state));
    const runningBefore = before.filter((r) => r.record.state === 'running');
    expect(finishedBefore.length).toBeGreaterThanOrEqual(3);
    expect(runningBefore.length).toBeGreaterThanOrEqual(1);
    expect(before.length).toBeLessThan(N);

    await prepare(page);
    await page.click('#run-study');
    await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.study ?? ''), undefined, { timeout: 300_000, polling: 200 });
    expect(await page.evaluate(() => document.body.dataset.study), (await page.textContent('#error')) ?? '').toBe('done');
    const log = await studyLog(page);
    const after = await storedRows(page);
    await page.screenshot({ path: outputPath('browser-study.png'), fullPage: true });

    // Exactly N trials, all finished, ids 0 … N−1.
    expect(after.map((r) => r.record.id)).toEqual(Array.from({ length: N }, (_, i) => i));
    expect(after.every((r) => ['complete', 'pruned', 'failed'].includes(r.record.state)), JSON.stringify(after.map((r) => [r.record.id, r.record.state]))).toBe(true);
    expect(after.filter((r) => r.record.state === 'complete').length).toBeGreaterThanOrEqual(1);
    expect(after.filter((r) => r.record.state === 'pruned').length).toBeGreaterThanOrEqual(1); // ASHA pruned
    // Nothing finished before the reload was started again, and kept its record as it was.
    const startedAfter = log.filter((e) => e.event === 'started').map((e) => e.trialId);
    for (const r of finishedBefore) {
      expect(startedAfter, `trial ${r.record.id} was finished before the reload`).not.toContain(r.record.id);
      expect(after[r.record.id].record).toEqual(r.record);
      expect(after[r.record.id].attempts).toBe(1);
    }
    // Every trial started once in this page's life at most, and once in all unless its first page died with it.
    const counts = new Map<number, number>();
    for (const id of startedAfter) counts.set(id, (counts.get(id) ?? 0) + 1);
    expect([...counts.values()].every((c) => c === 1), JSON.stringify([...counts])).toBe(true);
    const requeued = new Set(runningBefore.map((r) => r.record.id));
    for (const r of after) {
      expect(r.attempts, `trial ${r.record.id}`).toBe(requeued.has(r.record.id) ? 2 : 1);
      if (!finishedBefore.some((f) => f.record.id === r.record.id)) expect(counts.get(r.record.id), `trial ${r.record.id} trained in the second page`).toBe(1);
    }
    expect(new Set(after.map((r) => r.worker)).size).toBeGreaterThanOrEqual(2); // two pages' workers
    expect(await page.textContent('#study-status')).toContain(`${N} trials (resumed with ${before.length} stored`);

    // The charts are the report's and the dashboard's, drawn from the records: live while it ran, and at the end.
    expect(live.figures).toBe(4);
    expect(live.trials).toBeGreaterThanOrEqual(3);
    const ids = await page.locator('#study-charts figure').evaluateAll((fs) => fs.map((f) => f.className));
    expect(ids).toEqual(['trial-chart history-by-trial', 'trial-chart history-by-time', 'trial-chart intermediate-values', 'trial-chart parallel-coordinates']);
    expect(await page.locator('#study-charts .pc-line').count()).toBe(after.filter((r) => r.record.state === 'complete').length);

    // The export, as `study export NAME --format json` writes it.
    const exported = JSON.parse((await page.textContent('#json-study'))!);
    expect(exported.storage).toBe('indexeddb:shadergrad');
    expect(exported.study.name).toBe(NAME);
    expect(exported.trials.map((t: { id: number; state: string }) => [t.id, t.state])).toEqual(after.map((r) => [r.record.id, r.record.state]));
    expect(errors).toEqual([]);

    // Into SQLite with `study import`; `study show` lists the same trials.
    const file = join(workdir, `${NAME}.json`);
    writeFileSync(file, JSON.stringify(exported));
    const url = `sqlite:///${join(workdir, 'studies.db')}`;
    const imp = await runShadergrad(['study', 'import', file, '--storage', url]);
    expect(imp.stderr).toBe('');
    expect(imp.stdout).toMatch(new RegExp(`^imported study "${NAME}" into ${url.replace(/[/.]/g, '\\$&')}: ${N} trials`));
    const show = await runShadergrad(['study', 'show', NAME, '--storage', url]);
    expect(show.code).toBe(0);
    const shown = show.stdout.split('\n').filter((l) => /^\d+\s/.test(l)).map((l) => l.split(/\s+/).slice(0, 2));
    expect(shown).toEqual(after.map((r) => [String(r.record.id), r.record.state]));

    // A CLI worker resumes it with the same options and data file: the page's trials kept, two more trained.
    const data = join(workdir, 'tox21-300.csv');
    writeFileSync(data, slice);
    const cli = await runShadergrad([
      'tox21', 'search', '--data', data, '--task', TASK, '--space', SPACE, '--sampler', 'tpe', '--pruner', 'asha', '--trials', String(N + 2), '--reps', '1', '--seed', '0',
      '--layers', '1', '--epochs', String(EPOCHS), '--batch', '100', '--weight-positives', 'true', '--study', NAME, '--storage', url, '--backend', 'cpu', '--json',
    ], { timeoutMs: 240_000 });
    expect(cli.code, cli.stderr).toBe(0);
    const json = JSON.parse(cli.stdout);
    expect(json.study).toBe(NAME);
    const byId = [...json.trials].sort((a: { id: number }, b: { id: number }) => a.id - b.id);
    expect(byId.map((t: { id: number }) => t.id)).toEqual(Array.from({ length: N + 2 }, (_, i) => i));
    for (const r of after) {
      const t = byId[r.record.id];
      expect({ state: t.state, params: t.params, values: t.values }).toEqual({ state: r.record.state, params: r.record.params, values: r.record.values });
    }
    expect(byId.slice(N).every((t: { state: string }) => ['complete', 'pruned', 'failed'].includes(t.state))).toBe(true);
    writeFileSync(outputPath('browser-study.json'), JSON.stringify({ before: before.map((r) => [r.record.id, r.record.state]), log, cli: byId.map((t: { id: number; state: string }) => [t.id, t.state]) }, null, 1));
  }, 900_000);
});
