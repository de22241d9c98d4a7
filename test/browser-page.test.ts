/**
 * The Tox21 training page end to end in headless Chromium, WebGPU on SwiftShader: a slice of Tox21 is featurized in
 * a Web Worker and trained (forest on Web Workers, network on WebGPU), and the page's numbers must be the CLI's on
 * the same file, seed and settings — Node's Dawn runs the same SwiftShader — and its JSON the CLI's JSON, field by field
 * (`tox21 rf`, `tox21 fcn`, and `tox21 search` for the book's grid). The page's main thread must stay free
 * (Long Tasks API), a malformed file must produce a located error rather than a blank page, and a browser without
 * a WebGPU adapter must say so. Leaves a screenshot of the finished run in test-output/.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../scripts/chromium.mjs';
import { outputPath, runCli, startRig, tox21Slice, waitForState, type BrowserRig } from './helpers/browser.ts';

/** Rows of Tox21 the comparison trains on, and a task with positives in every split of them. */
const ROWS = 500;
const TASK = 'SR-MMP';
const EPOCHS = 3;

/**
 * Node (npm `webgpu`'s Dawn) and Chromium (its own Dawn) both run the kernels on SwiftShader, but their WGSL
 * compilers may order float32 sums differently. Such differences are ~1e-7 relative per operation and grow little
 * over a dozen Adam steps, so the per-example loss must agree to 1e-4 relative. The metrics are computed in float64
 * from the logits; they move only if a logit crosses 0 (weighted accuracy jumps by a row's weight share, ≥ 1e-3
 * here) or two scores swap rank (ROC-AUC jumps by ≥ 1/(positives·negatives) ≈ 1e-3), so 1e-6 means "the same
 * predictions". Measured here: the loss curves and metrics are bit-identical.
 */
const LOSS_RTOL = 1e-4;
const METRIC_ATOL = 1e-6;
/** The Long Tasks API reports tasks over 50 ms; a task over 200 ms is a visible stall. */
const LONG_TASK_BUDGET_MS = 200;

const BAD_CSV = 'smiles,NR-AR,NR-AhR\nCCO,1,0\nCCN,maybe,1\nCCC,0,\n';
const slice = tox21Slice(ROWS);

let rig: BrowserRig;
let workdir: string;

beforeAll(async () => {
  workdir = mkdtempSync(join(tmpdir(), 'shadergrad-browser-test-'));
  rig = await startRig({
    routes: {
      '/test-data/tox21-head.csv.gz': { body: gzipSync(tox21Slice(120)), type: 'application/gzip' },
      '/test-data/bad.csv': BAD_CSV,
    },
  });
});

afterAll(async () => {
  await rig?.close();
  if (workdir) rmSync(workdir, { recursive: true, force: true });
});

interface Metrics {
  train: { weightedAccuracy: number; rocAuc: number };
  valid: { weightedAccuracy: number; rocAuc: number };
  test: { weightedAccuracy: number; rocAuc: number };
}

function expectMetricsClose(actual: Metrics, expected: Metrics, what: string): void {
  for (const s of ['train', 'valid', 'test'] as const) {
    for (const m of ['weightedAccuracy', 'rocAuc'] as const) {
      const a = actual[s][m];
      const e = expected[s][m];
      expect(Math.abs(a - e), `${what} ${s} ${m}: page ${a}, CLI ${e}`).toBeLessThanOrEqual(METRIC_ATOL);
    }
  }
}

describe('Tox21 training page in Chromium', () => {
  it('trains the forest and the network on a Tox21 slice with the CLI’s metrics, the main thread free', async () => {
    const { page, errors } = await rig.newPage();
    const t0 = performance.now();
    await page.goto(`${rig.url}/web/`);
    await waitForState(page, ['no-data']);
    const adapter = await page.textContent('#adapter');
    expect(adapter).toMatch(/swiftshader/i);

    const mark = await page.evaluate(() => performance.now());
    await page.setInputFiles('#file', { name: 'tox21-slice.csv', mimeType: 'text/csv', buffer: Buffer.from(slice) });
    await waitForState(page, ['ready']);
    const t1 = performance.now();
    expect(await page.textContent('#data-summary')).toContain(`${ROWS} = ${ROWS} featurized`);

    await page.selectOption('[name=task]', TASK);
    await page.fill('[name=nEpochs]', String(EPOCHS));
    await page.click('#run-both');
    await waitForState(page, ['done']);
    const t2 = performance.now();

    const rf = JSON.parse((await page.textContent('#json-rf'))!);
    const fcn = JSON.parse((await page.textContent('#json-fcn'))!);
    const epochRows = await page.locator('#epochs tbody tr').count();
    const tableModels = await page.locator('#results tbody tr').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.model));
    const tableValid = Number(await page.locator('#results tbody tr[data-model=fcn] td[data-metric=valid-wacc]').getAttribute('data-value'));
    const long = (await page.evaluate(() => (globalThis as unknown as { __shadergrad: { longTasks: { start: number; duration: number }[] } }).__shadergrad.longTasks))
      .filter((t) => t.start >= mark);

    await page.locator('#epochs-box summary').click();
    await page.screenshot({ path: outputPath('browser-tox21-page.png'), fullPage: true });

    // The Node side: the CLI on the same rows, written to a temporary file.
    const file = join(workdir, 'tox21-slice.csv');
    writeFileSync(file, slice);
    const cliRf = JSON.parse(await runCli(['tox21', 'rf', '--data', file, '--task', TASK, '--seed', '0', '--trees', '50', '--json']));
    const cliFcn = JSON.parse(await runCli(['tox21', 'fcn', '--data', file, '--task', TASK, '--seed', '0', '--epochs', String(EPOCHS), '--json', '--backend', 'webgpu']));
    const t3 = performance.now();

    writeFileSync(outputPath('browser-e2e.json'), JSON.stringify({
      rows: ROWS, task: TASK, epochs: EPOCHS, adapter,
      seconds: { pageLoadAndFeaturize: (t1 - t0) / 1000, pageTrain: (t2 - t1) / 1000, cli: (t3 - t2) / 1000 },
      longTasks: long, page: { rf: rf.metrics, fcn: fcn.metrics, lossCurve: fcn.lossCurve }, cli: { rf: cliRf.metrics, fcn: cliFcn.metrics, lossCurve: cliFcn.lossCurve },
    }, null, 2));

    // The forest is plain JavaScript seeded per tree: exactly the CLI's.
    expect(Object.keys(rf).sort()).toEqual(Object.keys(cliRf).sort());
    for (const k of ['model', 'task', 'split', 'trainRows', 'metrics', 'hyperparameters', 'seed']) expect(rf[k], `rf ${k}`).toEqual(cliRf[k]);

    // The network: the same JSON fields, the same run, numbers within the tolerances above.
    expect(Object.keys(fcn).sort()).toEqual(Object.keys(cliFcn).sort());
    for (const k of ['model', 'task', 'mode', 'seed', 'hyperparameters', 'status', 'split']) expect(fcn[k], `fcn ${k}`).toEqual(cliFcn[k]);
    expect(fcn.adapter).toMatchObject({ architecture: 'swiftshader', runtime: 'browser' });
    expect(cliFcn.adapter).toMatchObject({ architecture: 'swiftshader', runtime: 'node-dawn' });
    expect(fcn.lossCurve).toHaveLength(EPOCHS);
    fcn.lossCurve.forEach((v: number, i: number) => {
      const e = cliFcn.lossCurve[i];
      expect(Math.abs(v - e), `loss of epoch ${i + 1}: page ${v}, CLI ${e}`).toBeLessThanOrEqual(LOSS_RTOL * Math.abs(e));
    });
    for (const s of ['train', 'valid', 'test'] as const) {
      expect(Number.isFinite(cliFcn.metrics[s].rocAuc), `the slice must give ${s} both classes`).toBe(true);
    }
    expectMetricsClose(fcn.metrics, cliFcn.metrics, 'fcn');

    // What the page shows is what it computed.
    expect(epochRows).toBe(EPOCHS);
    expect(tableModels).toEqual(['fcn', 'rf']);
    expect(tableValid).toBe(fcn.metrics.valid.weightedAccuracy);

    // Featurizing and training ran in workers: no stall on the main thread.
    const longest = Math.max(0, ...long.map((t) => t.duration));
    expect(longest, `long tasks on the main thread: ${JSON.stringify(long)}`).toBeLessThan(LONG_TASK_BUDGET_MS);
    expect(errors).toEqual([]);
  });

  it('shows a malformed CSV’s error with its line, row and column, then loads a gzip file from a URL', async () => {
    const { page, errors } = await rig.newPage();
    await page.goto(`${rig.url}/web/`);
    await waitForState(page, ['no-data']);
    await page.setInputFiles('#file', { name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from(BAD_CSV) });
    expect(await waitForState(page, ['error'])).toBe('error');
    const box = page.locator('#error');
    expect(await box.isVisible()).toBe(true);
    expect(await box.getAttribute('data-kind')).toBe('DataFileError');
    const text = (await box.textContent())!;
    expect(text).toContain('Problem in the data file');
    expect(text).toContain('bad.csv, line 3, data row 1, column "NR-AR": label "maybe" is not 0, 1 or empty');
    // The rest of the page is intact, and training stays off without data.
    expect(await page.locator('#results').isVisible()).toBe(true);
    expect(await page.locator('#run-rf').isDisabled()).toBe(true);

    await page.fill('#url', '/test-data/tox21-head.csv.gz');
    await page.click('#load-url');
    await waitForState(page, ['ready']);
    expect(await box.isVisible()).toBe(false);
    expect(await page.textContent('#data-summary')).toContain('120 = 120 featurized');
    expect(await page.locator('[name=task] option').count()).toBe(13); // 12 tasks and 'all'

    await page.fill('#url', '/test-data/missing.csv');
    await page.click('#load-url');
    await waitForState(page, ['error']);
    expect(await box.textContent()).toContain('HTTP 404');
    expect(errors).toEqual([]);
  });

  it('runs the book’s grid (hidden 50 × epochs 10 × keep 0.5/1.0 × layers 1/2) with progress, as `tox21 search` does', async () => {
    const { page, errors } = await rig.newPage();
    await page.goto(`${rig.url}/web/`);
    await waitForState(page, ['no-data']);
    const rows = tox21Slice(200);
    await page.setInputFiles('#file', { name: 'tox21-200.csv', mimeType: 'text/csv', buffer: Buffer.from(rows) });
    await waitForState(page, ['ready']);
    await page.selectOption('[name=task]', TASK);
    await page.fill('[name=reps]', '1');
    await page.click('#run-grid');
    // Progress shows while it runs: the first configuration's row arrives before the end.
    await page.waitForSelector('#grid tbody tr', { timeout: 60_000 });
    await waitForState(page, ['done'], 110_000);
    const grid = JSON.parse((await page.textContent('#json-grid'))!);
    expect(grid).toMatchObject({ space: 'simple', sampler: 'grid', pruner: 'none', objective: { name: 'valid-wacc', direction: 'maximize' }, task: TASK, reps: 1 });
    expect(grid.trials).toHaveLength(4);
    expect(grid.trials.map((t: { params: Record<string, number> }) => `${t.params.keepProb}/${t.params.nLayers}`).sort()).toEqual(['0.5/1', '0.5/2', '1/1', '1/2']);
    expect(grid.best).not.toBeNull();
    expect(await page.locator('#grid tbody tr').count()).toBe(4);
    expect(await page.textContent('#run-status')).toContain('best of the grid');
    await page.screenshot({ path: outputPath('browser-tox21-grid.png'), fullPage: true });
    expect(errors).toEqual([]);

    // The CLI's search on the same rows, seed and base (the form's other values), as many models at once.
    const file = join(workdir, 'tox21-200.csv');
    writeFileSync(file, rows);
    const cli = JSON.parse(await runCli([
      'tox21', 'search', '--data', file, '--task', TASK, '--preset', 'simple', '--sampler', 'grid', '--reps', '1', '--seed', '0',
      '--lr', '0.001', '--batch', '100', '--weight-positives', 'true', '--population', String(grid.population), '--backend', 'webgpu', '--json',
    ]));
    expect(Object.keys(grid).sort()).toEqual(Object.keys(cli).sort());
    for (const k of ['space', 'sampler', 'pruner', 'objective', 'task', 'reps', 'base', 'population']) expect(grid[k], `search ${k}`).toEqual(cli[k]);
    type Trial = { id: number; params: object; state: string; seeds: number[]; budget: number; values: Record<string, number>; intermediate: { epoch: number; value: number }[] };
    const byId = (ts: Trial[]) => [...ts].sort((a, b) => a.id - b.id);
    const [pageTrials, cliTrials] = [byId(grid.trials), byId(cli.trials)];
    expect(pageTrials.map(({ id, params, state, seeds, budget }) => ({ id, params, state, seeds, budget })))
      .toEqual(cliTrials.map(({ id, params, state, seeds, budget }) => ({ id, params, state, seeds, budget })));
    pageTrials.forEach((t, i) => {
      const c = cliTrials[i];
      expect(Object.keys(t).sort(), `trial ${t.id} fields`).toEqual(Object.keys(c).sort());
      expect(Object.keys(t.values).sort()).toEqual(Object.keys(c.values).sort());
      for (const [k, v] of Object.entries(t.values)) {
        const tol = k === 'loss' ? LOSS_RTOL * Math.abs(c.values[k]) : METRIC_ATOL;
        expect(Math.abs(v - c.values[k]), `trial ${t.id} ${k}: page ${v}, CLI ${c.values[k]}`).toBeLessThanOrEqual(tol);
      }
      expect(t.intermediate.map((x) => x.epoch)).toEqual(c.intermediate.map((x) => x.epoch));
      t.intermediate.forEach((x, e) => expect(Math.abs(x.value - c.intermediate[e].value), `trial ${t.id} epoch ${x.epoch}`).toBeLessThanOrEqual(METRIC_ATOL));
    });
    // The same ranking and the same best trial.
    expect(grid.trials.map((t: Trial) => t.id)).toEqual(cli.trials.map((t: Trial) => t.id));
    expect(grid.best.id).toBe(cli.best.id);
  }, 240_000);
});

describe('Tox21 training page in Chromium without a WebGPU adapter', () => {
  it('says WebGPU is missing, keeps the network off and still grows the forest', async () => {
    const chromium = await launchChromium({ webgpu: false });
    try {
      const page = await chromium.context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${rig.url}/web/`);
      await waitForState(page, ['no-data']);
      const banner = page.locator('#banner');
      expect(await banner.isVisible()).toBe(true);
      expect(await banner.textContent()).toMatch(/WebGPU is not available here.*requestAdapter\(\) returned null.*--enable-unsafe-webgpu/s);
      expect(await page.textContent('#adapter')).toBe('none');
      await page.setInputFiles('#file', { name: 'tox21-80.csv', mimeType: 'text/csv', buffer: Buffer.from(tox21Slice(80)) });
      await waitForState(page, ['ready']);
      expect(await page.locator('#run-fcn').isDisabled()).toBe(true);
      expect(await page.locator('#run-grid').isDisabled()).toBe(true);
      await page.fill('[name=trees]', '10');
      await page.click('#run-rf');
      await waitForState(page, ['done']);
      expect(await page.locator('#results tbody tr[data-model=rf]').count()).toBe(1);
      expect(errors).toEqual([]);
    } finally {
      await chromium.close();
    }
  });
});
