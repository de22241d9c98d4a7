/**
 * The live dashboard in headless Chromium: a study page opened on a SQLite store, more trials written to the store
 * by another connection (as a search would), and the page must show them — trial count, best value and parameters,
 * the charts — without a reload. Also the list page, the JSON API's 404 naming a missing study, and the CLI command
 * printing its URL and stopping on SIGTERM; requests under a Host that is not a loopback name (DNS rebinding) are
 * refused, and a store URL's password is in neither the page nor the JSON.
 */
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchChromium } from '../scripts/chromium.mjs';
import { startDashboard, type Dashboard } from '../src/dashboard/server.ts';
import { openStore } from '../src/hpo/open-store.ts';
import { parseStorageUrl } from '../src/hpo/store-url.ts';
import { type StudyStore } from '../src/hpo/store.ts';
import type { Study } from '../src/hpo/store-spec.ts';
import { startCli } from './helpers/cli.ts';
import { running, spec, tempDir } from './helpers/store-fixtures.ts';

async function addTrial(store: StudyStore, study: Study, lr: number, hidden: number, value: number, state: 'complete' | 'pruned' = 'complete') {
  const t = (await store.createTrial(study, running({ lr, hidden })))!;
  const epochs = state === 'pruned' ? 3 : 10;
  await store.updateTrial(study, {
    ...t, state, budget: epochs, seconds: 2,
    intermediate: Array.from({ length: epochs }, (_, i) => ({ epoch: i + 1, value: value * (0.8 + (0.2 * (i + 1)) / epochs) })),
    values: state === 'complete' ? { 'valid-wacc': value, 'test-wacc': value - 0.02 } : {},
  });
}

describe('the dashboard', () => {
  const t = tempDir();
  const url = `sqlite:///${join(t.dir, 'studies.db')}`;
  let writer: StudyStore, reader: StudyStore, study: Study, dash: Dashboard;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  beforeAll(async () => {
    writer = await openStore(url);
    reader = await openStore(url);
    study = await writer.createStudy(spec('live'));
    await writer.createStudy(spec('other'));
    await addTrial(writer, study, 0.001, 50, 0.61);
    await addTrial(writer, study, 0.01, 100, 0.66);
    await addTrial(writer, study, 0.05, 200, 0.58, 'pruned');
    dash = await startDashboard({ store: reader, port: 0, refreshMs: 300 });
    chromium = await launchChromium({ webgpu: false });
  });
  afterAll(async () => {
    await chromium?.close();
    await dash?.close();
    await writer?.close();
    await reader?.close();
    t.remove();
  });

  const text = (page: Page, sel: string) => page.textContent(sel).then((s) => (s ?? '').trim());

  it('follows a study as trials are written, without reloading', async () => {
    const page = await chromium.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${dash.url}study/live`);
    await page.waitForFunction(() => document.body.dataset.state === 'ready' && document.querySelectorAll('#charts figure').length === 4);
    expect(await text(page, '#trial-count')).toBe('3 of 10');
    expect(await text(page, '#states')).toBe('1 pruned, 2 complete');
    expect(await text(page, '#best-value')).toBe('0.6600');
    expect(await text(page, '#best-trial')).toMatch(/^trial 1 · 10 epochs/);
    expect(await page.$$eval('#best-params th', (th) => th.map((x) => x.textContent))).toEqual(['lr', 'hidden']);
    expect(await page.$$eval('#chart-intermediate-values polyline.curve', (l) => l.map((x) => x.getAttribute('data-points')))).toEqual(['3', '10', '10']);
    expect(await page.$$eval('#chart-parallel-coordinates polyline.pc-line', (l) => l.length)).toBe(2);
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));

    await addTrial(writer, study, 0.003, 100, 0.71);
    await addTrial(writer, study, 0.0005, 50, 0.64);
    await page.waitForFunction(() => document.querySelector('#trial-count')?.textContent === '5 of 10', undefined, { timeout: 15_000 });
    await page.waitForFunction(() => document.querySelectorAll('#chart-intermediate-values polyline.curve').length === 5, undefined, { timeout: 15_000 });
    expect(await text(page, '#best-value')).toBe('0.7100');
    expect(await text(page, '#best-trial')).toMatch(/^trial 3 /);
    expect(await page.$$eval('#best-params td', (td) => td.map((x) => x.textContent))).toEqual(['0.003', '100']);
    expect(await page.$eval('#chart-history-by-trial polyline.best', (l) => l.getAttribute('data-best'))).toBe('0.71');
    expect(await page.$$eval('#chart-parallel-coordinates polyline.pc-line', (l) => l.length)).toBe(4);
    expect(await page.evaluate(() => (window as unknown as { marker: number }).marker)).toBe(42);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('lists the studies with their best values, linking to each', async () => {
    const page = await chromium.context.newPage();
    await page.goto(dash.url);
    await page.waitForFunction(() => document.querySelectorAll('#studies tr[data-study]').length === 2);
    expect(await page.$$eval('#studies tr[data-study]', (r) => r.map((x) => x.getAttribute('data-study')))).toEqual(['live', 'other']);
    expect(await page.$eval('tr[data-study="other"] .best', (x) => x.textContent)).toBe('—');
    await page.click('a[href="/study/live"]');
    await page.waitForFunction(() => document.body.dataset.state === 'ready');
    expect(await text(page, '#name')).toBe('live');
    await page.close();
  });

  it('answers a missing study with a 404 naming it and the studies there are', async () => {
    const r = await fetch(`${dash.url}api/study/nope`);
    expect(r.status).toBe(404);
    expect((await r.json()).error).toBe(`no study named "nope" in ${url}; studies: live, other`);
    const full = await (await fetch(`${dash.url}api/study/live`)).json();
    expect(full.trials.map((x: { id: number }) => x.id)).toEqual([0, 1, 2, 3, 4]);
    expect(full.study.objective).toEqual({ name: 'valid-wacc', direction: 'maximize' });
  });

  it('refuses a Host that is not a loopback name with this port (DNS rebinding), with a one-line reason', async () => {
    const port = Number(new URL(dash.url).port);
    const get = (host: string, path = '/api/studies') => new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
    for (const host of ['evil.example', `evil.example:${port}`, `127.0.0.1.evil.example:${port}`, `127.0.0.1:${port + 1}`, `localhost.:${port}`]) {
      const r = await get(host);
      expect(r.status, host).toBe(403);
      const error = JSON.parse(r.body).error as string;
      expect(error).toContain(`Host "${host}" is not this dashboard's loopback address`);
      expect(error).toContain('DNS rebinding');
      expect(error).not.toContain('\n');
    }
    expect((await get(`evil.example:${port}`, '/')).status).toBe(403);
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`]) expect((await get(host)).status, host).toBe(200);
  });

  it('never serves a storage password, whatever form the URL gave it in', async () => {
    for (const secretUrl of ['postgresql://u@db.example/s?password=hunter2&sslmode=require', 'postgresql://u:hunter2@db.example/s?sslpassword=hunter2']) {
      // The reader's studies under the URL a PostgreSQL store would name itself by (its parsed display form).
      const masked = Object.create(reader, { url: { value: parseStorageUrl(secretUrl).display } }) as StudyStore;
      const d = await startDashboard({ store: masked, port: 0 });
      try {
        const page = await (await fetch(d.url)).text();
        const api = await (await fetch(`${d.url}api/studies`)).text();
        for (const body of [page, api]) {
          expect(body).not.toContain('hunter2');
          expect(body).toContain('db.example/s?');
        }
        expect(JSON.parse(api).storage).toMatch(/password=\*\*\*/);
      } finally {
        await d.close();
      }
    }
  });

  it('runs as `shadergrad dashboard --port 0`, printing its URL, until SIGTERM', async () => {
    const { child, done } = startCli(['dashboard', '--port', '0', '--storage', url], { tsx: 'import' });
    const exited = done.then((r) => r.code);
    let out = '';
    const line = await new Promise<string>((res, rej) => {
      child.stdout!.on('data', (d) => {
        out += d;
        if (out.includes('\n')) res(out);
      });
      void done.then((r) => rej(new Error(`dashboard exited: ${r.stderr}`)));
    });
    const m = /^shadergrad dashboard: (http:\/\/127\.0\.0\.1:\d+\/) — studies in (.*); Ctrl-C to stop\n$/.exec(line);
    expect(m, line).not.toBeNull();
    expect(m![2]).toBe(url);
    const list = await (await fetch(`${m![1]}api/studies`)).json();
    expect(list.studies.map((s: { name: string }) => s.name)).toEqual(['live', 'other']);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
