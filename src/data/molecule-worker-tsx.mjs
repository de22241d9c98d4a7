/**
 * Starts molecule-worker.ts in a worker thread when shadergrad runs from TypeScript sources (tsx, vitest). On
 * Node 20 a worker's `execArgv: ['--import', 'tsx']` does not reach the worker's own entry module, so this plain
 * JavaScript entry registers tsx's loader inside the worker, then imports the TypeScript worker.
 */
import { register } from 'tsx/esm/api';

register();
await import('./molecule-worker.ts');
