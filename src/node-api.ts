/**
 * The Node bundle's entry (dist/shadergrad.node.js): the portable API plus what needs Node — Tox21 from a file, the
 * download or the feature cache, featurizing and forests on worker threads, RDKit loaded from its package.
 */
/// <reference types="@webgpu/types" preserve="true" />
// (kept in the published .d.ts: the API's types name GPUDevice, GPUBuffer, … from @webgpu/types, a dependency)
export * from './public-api.ts';
export { loadTox21, type LoadOptions, type LoadReport } from './data/tox21.ts';
export { decodeDataBytes, readDataFile, type DataFileText } from './data/data-file.ts';
export { DataUnavailableError } from './data/data-source.ts';
export { loadRDKit } from './data/rdkit-node.ts';
export { defaultThreads, runMoleculeJobThreaded } from './data/molecule-threads.ts';
export { fitForest, TreePool, type ThreadedFitOptions } from './forest/tree-pool.ts';
export { WorkerPool, type PoolRun, type PoolRunResult, type WorkerPoolOptions } from './workers/pool.ts';
export { serveTasks, type TaskServer } from './workers/serve.ts';
export { spawnNodeWorker } from './workers/node-transport.ts';
export { workerPort, type WorkerPort } from './workers/port.ts';
export type { SpawnOptions, SpawnWorker, WorkerHandle } from './workers/handle.ts';

// Studies that persist: SQLite embedded, PostgreSQL shared by many workers (drivers loaded when a store opens); the
// store interface and the stored search are in the portable API.
export { openStore, workerName } from './hpo/open-store.ts';
