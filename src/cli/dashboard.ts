/**
 * `shadergrad dashboard [--storage URL] [--port 8080]`: serves the live dashboard (src/dashboard/server.ts) on
 * 127.0.0.1 for the studies in a store, until Ctrl-C. `--port 0` picks a free port; the URL is printed either way.
 */
import { intOption, parseOptions } from './args.ts';
import { openStudyStore } from './study.ts';
import { storeFailure } from './study-options.ts';
import { startDashboard } from '../dashboard/server.ts';

export const usage = 'dashboard [--storage sqlite:///file.db|postgresql://user:pass@host/db] [--port 8080]   a live page of the studies on 127.0.0.1';

export async function run(argv: string[]): Promise<number> {
  const o = parseOptions(argv, { storage: { type: 'string' }, port: { type: 'string' }, refresh: { type: 'string' } });
  const port = intOption('port', o.port, 8080, 0);
  const refreshMs = intOption('refresh', o.refresh, 1500, 100);
  const store = await openStudyStore('dashboard', o.storage);
  let dash;
  try {
    dash = await startDashboard({ store, port, refreshMs });
  } catch (e) {
    await store.close();
    throw storeFailure('dashboard', e);
  }
  process.stdout.write(`shadergrad dashboard: ${dash.url} — studies in ${store.url}; Ctrl-C to stop\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await dash.close();
  await store.close();
  return 0;
}
