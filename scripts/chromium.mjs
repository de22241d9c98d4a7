/**
 * Starts headless Chromium for the browser tests and the browser bench, with the flags that give it a WebGPU
 * adapter on a machine without a GPU. Found here with Debian's chromium 156 (see README):
 *  - `--enable-unsafe-webgpu` is the one that matters: without it navigator.gpu exists but requestAdapter() returns
 *    null (software adapters are blocklisted); with it Chrome offers its SwiftShader fallback adapter
 *    (vendor "google", architecture "swiftshader") — the same SwiftShader Node's Dawn uses here.
 *  - `--use-angle=swiftshader`, `--enable-features=Vulkan` and `--use-webgpu-adapter=swiftshader` change nothing
 *    on this machine, so they are not passed.
 *  - the page must be a secure context: http://127.0.0.1 is; about:blank is not (no navigator.gpu there).
 *  - the rest keep Chromium off the network (this machine's is closed) and out of first-run work.
 * Each launch gets a fresh --user-data-dir, removed on close.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM_PATH = process.env.SHADERGRAD_CHROMIUM ?? '/usr/bin/chromium';

export const QUIET_ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'];
export const WEBGPU_ARGS = ['--enable-unsafe-webgpu'];

/** `webgpu: false` leaves WebGPU as a default headless Chromium has it (no adapter), to test the page's message. */
export async function launchChromium({ webgpu = true, headless = true } = {}) {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`no Chromium at ${CHROMIUM_PATH}: install Debian's chromium (apt-get install -y chromium) or set SHADERGRAD_CHROMIUM`);
  }
  const userDataDir = mkdtempSync(join(tmpdir(), 'shadergrad-chromium-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM_PATH,
      headless,
      args: [...QUIET_ARGS, ...(webgpu ? WEBGPU_ARGS : [])],
      viewport: { width: 1280, height: 900 },
    });
  } catch (e) {
    rmSync(userDataDir, { recursive: true, force: true });
    throw e;
  }
  return {
    context,
    userDataDir,
    close: async () => {
      try {
        await context.close();
      } finally {
        rmSync(userDataDir, { recursive: true, force: true });
      }
    },
  };
}
