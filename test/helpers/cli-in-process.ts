/**
 * `shadergrad ARGS` run in this process (src/cli/main.ts's main), with stdout and stderr captured and, when given,
 * XDG_CACHE_HOME pointed at a test folder — for tests that need no child process (helpers/cli.ts runs one). The
 * spies and the environment are restored however main ends.
 */
import { vi } from 'vitest';
import { main } from '../../src/cli/main.ts';

export async function runMain(args: string[], opts: { cacheHome?: string } = {}): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
  if (opts.cacheHome !== undefined) vi.stubEnv('XDG_CACHE_HOME', opts.cacheHome);
  try {
    const code = await main(args);
    return { code, out: out.join(''), err: err.join('') };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
    if (opts.cacheHome !== undefined) vi.unstubAllEnvs();
  }
}
