/**
 * The browser tests' rig: builds the bundles into a temporary folder (so parallel test files and a developer's dist/
 * never collide), serves them on a free port with extra in-memory routes for test data, and starts headless
 * Chromium with WebGPU (scripts/chromium.mjs). Also slices Tox21 from ../shared/data — read in place, never copied
 * into the repository — and runs the CLI for the Node side of a comparison (both through ./cli.ts).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { build } from '../../scripts/build.mjs';
import { launchChromium, type ChromiumSession } from '../../scripts/chromium.mjs';
import { serve, type Route, type Server } from '../../scripts/serve.mjs';
import { runCliOk, tox21Csv } from './cli.ts';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export { TOX21 } from './cli.ts';
export const OUTPUT = join(ROOT, 'test-output');

export interface BrowserRig {
  url: string;
  outdir: string;
  server: Server;
  chromium: ChromiumSession;
  /** A new tab; uncaught page errors are collected in `errors`. */
  newPage(): Promise<{ page: Page; errors: string[] }>;
  close(): Promise<void>;
}

export async function startRig(opts: { routes?: Record<string, Route>; webgpu?: boolean } = {}): Promise<BrowserRig> {
  const outdir = mkdtempSync(join(tmpdir(), 'shadergrad-dist-'));
  let server: Server | undefined;
  let chromium: ChromiumSession | undefined;
  try {
    await build({ outdir, types: false });
    server = await serve({ root: outdir, port: 0, routes: opts.routes });
    chromium = await launchChromium({ webgpu: opts.webgpu ?? true });
  } catch (e) {
    await server?.close();
    rmSync(outdir, { recursive: true, force: true });
    throw e;
  }
  const s = server;
  const c = chromium;
  return {
    url: s.url,
    outdir,
    server: s,
    chromium: c,
    async newPage() {
      const page = await c.context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      return { page, errors };
    },
    async close() {
      try {
        await c.close();
      } finally {
        await s.close();
        rmSync(outdir, { recursive: true, force: true });
      }
    },
  };
}

/** Tox21's header and its first `rows` data rows, as CSV text. */
export const tox21Slice: (rows: number) => string = tox21Csv;

/**
 * Waits until the page's `body[data-state]` is one of `states`; on 'error' rejects with the page's message. Polls
 * every 100 ms rather than every animation frame, so the harness adds little to the main thread it measures.
 */
export async function waitForState(page: Page, states: string[], timeout = 90_000): Promise<string> {
  await page.waitForFunction((s) => [...s, 'error'].includes(document.body.dataset.state ?? ''), states, { timeout, polling: 100 });
  const state = await page.evaluate(() => document.body.dataset.state ?? '');
  if (state === 'error' && !states.includes('error')) {
    throw new Error(`the page reports an error: ${await page.textContent('#error')}`);
  }
  return state;
}

/**
 * Runs `shadergrad <args>` (the CLI from source) with its cache in a temporary folder; resolves with its stdout, or
 * rejects with its stderr when it fails. (test/helpers/cli.ts's runCli resolves with the whole result instead.)
 */
export async function runCli(args: string[]): Promise<string> {
  const cache = mkdtempSync(join(tmpdir(), 'shadergrad-cache-'));
  try {
    return (await runCliOk(args, { tsx: 'import', env: { XDG_CACHE_HOME: cache }, maxBuffer: 16 << 20 })).stdout;
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}

export function outputPath(name: string): string {
  mkdirSync(OUTPUT, { recursive: true });
  return join(OUTPUT, name);
}
