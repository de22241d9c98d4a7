/** Types of chromium.mjs for the TypeScript tests. */
import type { BrowserContext } from 'playwright-core';

export const CHROMIUM_PATH: string;
export const QUIET_ARGS: string[];
export const WEBGPU_ARGS: string[];
export interface ChromiumSession {
  context: BrowserContext;
  userDataDir: string;
  close(): Promise<void>;
}
export function launchChromium(opts?: { webgpu?: boolean; headless?: boolean }): Promise<ChromiumSession>;
