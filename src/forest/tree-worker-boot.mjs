/**
 * Entry of each forest worker thread. Plain JavaScript so Node can start it without a TypeScript loader; when the
 * real entry is .ts (running under tsx or vitest) it registers tsx in this thread first, because Node 20 does not
 * carry `--import tsx` loader hooks into workers.
 */
import { workerData } from 'node:worker_threads';

if (workerData.entry.endsWith('.ts')) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import(workerData.entry);
