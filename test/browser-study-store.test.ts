/**
 * The IndexedDB study store (src/hpo/stores/indexeddb.ts) against the contract every store keeps
 * (test/helpers/store-contract.ts), run where it lives: in headless Chromium, on the browser bundle. Each store the
 * contract opens is an IndexedDbStore in the page, driven from here through page.evaluate — two of them on one
 * database, as two tabs — with a sampler callback (createTrialWith) called back into the test, and errors rebuilt
 * as the store's classes. Plus what only a page has: a worker whose page is gone is known dead (its Web Lock freed).
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StudyExistsError, StudyMismatchError, StudyNotFoundError, TrialTakenError, StoreError, type StudyStore } from '../src/hpo/store.ts';
import type { NewTrial } from '../src/hpo/store.ts';
import type { TrialRecord } from '../src/hpo/trial.ts';
import { startRig, type BrowserRig } from './helpers/browser.ts';
import { storeContract } from './helpers/store-contract.ts';

const PAGE = `<!doctype html><meta charset="utf-8"><body><script type="module">
import * as sg from '/shadergrad.browser.js';
globalThis.sg = sg;
globalThis.stores = [];
document.body.dataset.ready = '1';
</script>`;

let rig: BrowserRig;
let page: Page;
const makers = new Map<number, (id: number, trials: TrialRecord[]) => NewTrial | null | Promise<NewTrial | null>>();
let nextMaker = 0;

beforeAll(async () => {
  rig = await startRig({ routes: { '/store.html': { body: PAGE, type: 'text/html' } }, webgpu: false });
  page = (await rig.newPage()).page;
  await page.exposeFunction('__make', (token: number, id: number, trials: TrialRecord[]) => makers.get(token)!(id, trials));
  await page.goto(`${rig.url}/store.html`);
  await page.waitForFunction(() => document.body.dataset.ready === '1');
}, 120_000);

afterAll(async () => {
  await rig?.close();
});

const CLASSES: Record<string, { prototype: Error }> = { StudyExistsError, StudyMismatchError, StudyNotFoundError, TrialTakenError, StoreError, RangeError };

/** The page's error as the class the store threw, with its message and fields. */
function revive(e: { name: string; message: string; study?: string }): Error {
  const err = Object.create((CLASSES[e.name] ?? Error).prototype) as Error & { study?: string };
  Object.assign(err, { name: e.name, message: e.message, ...(e.study !== undefined ? { study: e.study } : {}) });
  return err;
}

type Reply = { ok: unknown } | { err: { name: string; message: string; study?: string } };

/** A StudyStore here whose every call runs on an IndexedDbStore in the page. */
async function pageStore(db: string): Promise<StudyStore> {
  const handle = await page.evaluate(async (name) => {
    const g = globalThis as unknown as { sg: { IndexedDbStore: { open(n: string): Promise<unknown> } }; stores: unknown[] };
    g.stores.push(await g.sg.IndexedDbStore.open(name));
    return g.stores.length - 1;
  }, db);
  const call = async (method: string, args: unknown[], maker?: number): Promise<unknown> => {
    const r = await page.evaluate(async ([h, m, a, mk]) => {
      const g = globalThis as unknown as { stores: Record<string, (...x: unknown[]) => Promise<unknown>>[]; __make: (t: number, id: number, trials: unknown) => Promise<unknown> };
      const s = g.stores[h as number];
      const argv = mk === null ? (a as unknown[]) : [...(a as unknown[]), (id: number, trials: unknown) => g.__make(mk as number, id, trials)];
      try {
        return { ok: await s[m as string](...argv) };
      } catch (e) {
        const x = e as { name: string; message: string; study?: string };
        return { err: { name: x.name, message: x.message, study: x.study } };
      }
    }, [handle, method, args, maker ?? null] as const) as Reply;
    if ('err' in r) throw revive(r.err);
    return r.ok;
  };
  const store = {
    location: { kind: 'indexeddb', display: `indexeddb:${db}` },
    url: `indexeddb:${db}`,
    createTrialWith(study: unknown, opts: unknown, make: (id: number, trials: TrialRecord[]) => NewTrial | null | Promise<NewTrial | null>) {
      const token = nextMaker++;
      makers.set(token, make);
      return call('createTrialWith', [study, opts], token).finally(() => makers.delete(token));
    },
  } as Record<string, unknown>;
  for (const m of ['createStudy', 'loadStudy', 'getOrCreateStudy', 'listStudies', 'deleteStudy', 'createTrial', 'enqueueTrials', 'updateTrial', 'addIntermediate',
    'trials', 'trialRows', 'claimWaiting', 'heartbeat', 'reapStale', 'close']) {
    store[m] = (...args: unknown[]) => call(m, args.filter((a) => a !== undefined));
  }
  return store as unknown as StudyStore;
}

storeContract('IndexedDB (Chromium)', () => pageStore('contract'));

describe('IndexedDB store in Chromium', () => {
  it('keeps its studies for the next page of the origin, and names itself in errors', async () => {
    const a = await pageStore('kept');
    await a.createStudy({ name: 'one', space: {}, sampler: { name: 'random', options: {} }, pruner: { name: 'none', options: {} }, objective: { name: 'valid', direction: 'maximize' }, reps: 1, extra: {} });
    await page.reload();
    await page.waitForFunction(() => document.body.dataset.ready === '1');
    const b = await pageStore('kept');
    expect((await b.listStudies()).map((s) => s.name)).toEqual(['one']);
    const err = await b.loadStudy('two').catch((e) => e);
    expect(err).toBeInstanceOf(StudyNotFoundError);
    expect(err.message).toBe('no study named "two" in indexeddb:kept; studies: one');
  });

  it('tells a dead page’s worker from a live one by its Web Lock', async () => {
    const other = await rig.newPage();
    await other.page.goto(`${rig.url}/store.html`);
    await other.page.waitForFunction(() => document.body.dataset.ready === '1');
    const name = await other.page.evaluate(async () => {
      const g = globalThis as unknown as { sg: { pageWorker(): Promise<{ name: string }> } };
      return (await g.sg.pageWorker()).name;
    });
    const isDead = () => page.evaluate(async (w) => {
      const g = globalThis as unknown as { sg: { pageWorker(): Promise<{ isDead(w: string): Promise<boolean> }> }; me?: Promise<{ isDead(w: string): Promise<boolean> }> };
      g.me ??= g.sg.pageWorker();
      return (await g.me).isDead(w);
    }, name);
    expect(name).toMatch(/^page:/);
    expect(await isDead()).toBe(false);
    await other.page.close();
    await expect.poll(isDead, { timeout: 10_000 }).toBe(true);
    expect(await page.evaluate(async () => {
      const g = globalThis as unknown as { me: Promise<{ isDead(w: string): Promise<boolean> }> };
      return (await g.me).isDead('host:123:abc');
    })).toBe(false);
  });
});
