#!/usr/bin/env node
/**
 * `npm run bench:browser`: the matmul benchmark (src/perf/matmul.ts) in headless Chromium on its WebGPU adapter —
 * SwiftShader here, the real GPU on a desktop — printed as one JSON object, comparable with `npm run bench -- --json`
 * in Node. Builds dist/ first (skip with --no-build), serves it on a free port, opens web/bench.html?run=1 and reads
 * the page's result. Exported as `runBrowserBench()` for the browser test, which passes its own server.
 *
 *   node scripts/bench-browser.mjs [--shapes 100x1024x50,512x512x512] [--no-build] [--headed]
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from './build.mjs';
import { launchChromium, QUIET_ARGS, WEBGPU_ARGS } from './chromium.mjs';
import { serve } from './serve.mjs';

/** Opens the bench page on `baseUrl` (a server of dist/) and resolves with its JSON, or rejects with the page's error. */
export async function runBrowserBench({ baseUrl, shapes, timeoutMs = 300_000, headless = true }) {
  const chromium = await launchChromium({ headless });
  try {
    const page = await chromium.context.newPage();
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    const query = new URLSearchParams({ run: '1', ...(shapes ? { shapes } : {}) });
    await page.goto(`${baseUrl}/web/bench.html?${query}`);
    try {
      await page.waitForFunction(() => ['done', 'error'].includes(globalThis.__bench?.state), null, { timeout: timeoutMs });
    } catch (e) {
      throw new Error(`the bench page did not finish in ${timeoutMs / 1000} s${pageErrors.length ? `; page errors: ${pageErrors.join('; ')}` : ''}`);
    }
    const bench = await page.evaluate(() => globalThis.__bench);
    if (bench.state === 'error') throw new Error(`the bench page failed: ${bench.error}`);
    return { ...bench.result, chromium: { version: chromium.context.browser()?.version() ?? null, args: [...QUIET_ARGS, ...WEBGPU_ARGS] } };
  } finally {
    await chromium.close();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  let opts;
  try {
    opts = parseArgs({ options: { shapes: { type: 'string' }, 'no-build': { type: 'boolean' }, headed: { type: 'boolean' } }, strict: true }).values;
  } catch (e) {
    process.stderr.write(`bench-browser: ${e.message}\nusage: node scripts/bench-browser.mjs [--shapes 100x1024x50,…] [--no-build] [--headed]\n`);
    process.exit(2);
  }
  let server;
  try {
    if (!opts['no-build']) await build({ types: false });
    server = await serve({ port: 0 });
    const result = await runBrowserBench({ baseUrl: server.url, shapes: opts.shapes, headless: !opts.headed });
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } catch (e) {
    process.stderr.write(`bench-browser: ${e.message}\n`);
    process.exitCode = 1;
  } finally {
    await server?.close();
  }
}
