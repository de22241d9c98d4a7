/**
 * First module of every Node worker thread that node-transport.ts starts. Plain JavaScript, so Node runs it without
 * a TypeScript loader; when the real entry is .ts (tsx, vitest) it registers tsx in this thread first, since Node 20
 * does not carry `--import tsx` loader hooks into workers. It leaves the channel to the parent where port.ts finds
 * it, so worker entries never import node:worker_threads themselves and the same entry runs in a Web Worker.
 */
import { parentPort, workerData } from 'node:worker_threads';

globalThis[Symbol.for('shadergrad.workerPort')] = parentPort;
if (workerData.entry.endsWith('.ts')) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import(workerData.entry);
