/** Types of bench-browser.mjs for the TypeScript tests. */
export interface BrowserBenchResult {
  adapter: { vendor: string; architecture: string; device: string; description: string; software: boolean; runtime: string };
  adapterName: string;
  userAgent: string;
  results: { kernel: string; shape: string; impl: string; gflops: number; ms: { median: number; min: number; max: number } }[];
  chromium: { version: string | null; args: string[] };
}
export function runBrowserBench(opts: { baseUrl: string; shapes?: string; timeoutMs?: number; headless?: boolean }): Promise<BrowserBenchResult>;
