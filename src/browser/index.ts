/**
 * The browser entry of shadergrad (built to dist/shadergrad.browser.js): the portable API, plus what a page needs
 * to keep its main thread free — molecule files featurized in a Web Worker with RDKit's wasm, forests grown on Web
 * Workers, the worker pool under them — and the serializable errors those workers send. Importing it registers
 * the embedded WGSL shaders.
 */
/// <reference types="@webgpu/types" preserve="true" />
// (kept in the published .d.ts: the API's types name GPUDevice, GPUBuffer, … from @webgpu/types, a dependency)
import './register-shaders.ts';

export * from '../public-api.ts';
export { loadRDKitBrowser, RDKitLoadError } from './rdkit-browser.ts';
export { loadDatasetInWorker, type BrowserDataset, type DatasetPhase, type DatasetProgress, type LoadDatasetOptions } from './load-dataset.ts';
export { WebTreePool, type WebTreePoolOptions } from './web-tree-pool.ts';
export { reviveError, serializeError, type SerializedError } from '../workers/errors.ts';
// Studies that survive a reload: the study store on IndexedDB, and a page worker's name and liveness (Web Locks).
export { IndexedDbStore, pageWorker } from '../hpo/stores/indexeddb.ts';
// The worker pool and its browser transport, for pages with worker entries of their own (see src/workers/).
export { WorkerPool, type PoolRun, type PoolRunResult, type WorkerPoolOptions } from '../workers/pool.ts';
export { serveTasks, type TaskServer } from '../workers/serve.ts';
export { spawnWebWorker } from '../workers/web-transport.ts';
export { workerPort, type WorkerPort } from '../workers/port.ts';
export type { SpawnOptions, SpawnWorker, WorkerHandle } from '../workers/handle.ts';
