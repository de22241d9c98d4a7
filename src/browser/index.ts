/**
 * The browser entry of shadergrad (built to dist/shadergrad.browser.js): the portable API, plus what a page needs
 * to keep its main thread free — molecule files featurized in a Web Worker with RDKit's wasm, forests grown on Web
 * Workers — and the serializable errors those workers send. Importing it registers the embedded WGSL shaders.
 */
/// <reference types="@webgpu/types" preserve="true" />
// (kept in the published .d.ts: the API's types name GPUDevice, GPUBuffer, … from @webgpu/types, a dependency)
import './register-shaders.ts';

export * from '../public-api.ts';
export { loadRDKitBrowser, RDKitLoadError } from './rdkit-browser.ts';
export { loadDatasetInWorker, type BrowserDataset, type DatasetPhase, type DatasetProgress, type LoadDatasetOptions } from './load-dataset.ts';
export { WebTreePool, type WebTreePoolOptions } from './web-tree-pool.ts';
export { reviveError, serializeError, type SerializedError } from './worker-errors.ts';
