/**
 * Messages between the training page (app.ts) and its study worker (study-worker.ts). The worker owns the WebGPU
 * device, the dataset and the workers under it (featurizing, tree growing), so everything heavy — even starting
 * those workers, ~45 ms of main-thread time each in Chromium — happens off the page's main thread; the page sends
 * the file's bytes and draws what the worker reports.
 */
import type { AdapterSummary, BrowserDataset, DatasetProgress, EpochReport, FcnHyperparams, SerializedError, TrainingMode, TrialParams } from '../src/browser/index.ts';
import type { FcnJson, GridJson, RfJson } from './cli-json.ts';

/** The CLI's `tox21 fcn` settings: the book's hyperparameters plus task, seed and training mode. */
export interface FcnSettings extends FcnHyperparams {
  task: string;
  seed: number;
  mode: TrainingMode;
}

export interface RfSettings {
  task: string;
  seed: number;
  trees: number;
}

export type StudyRequest =
  | { id: number; type: 'init' }
  | { id: number; type: 'load'; bytes: ArrayBuffer; file: string }
  | { id: number; type: 'rf'; settings: RfSettings }
  | { id: number; type: 'fcn'; settings: FcnSettings }
  | { id: number; type: 'grid'; settings: FcnSettings; reps: number };

export type StudyReply =
  | { id: number; type: 'ready'; adapter: AdapterSummary; adapterName: string }
  | { id: number; type: 'no-webgpu'; error: SerializedError }
  | { id: number; type: 'loaded'; summary: BrowserDataset['summary']; seconds: BrowserDataset['seconds']; tasks: string[] }
  | { id: number; type: 'data-progress'; progress: DatasetProgress }
  | { id: number; type: 'trees'; task: string; done: number; total: number }
  | { id: number; type: 'epoch'; epoch: EpochReport; nEpochs: number }
  | { id: number; type: 'trial'; done: number; total: number; params: TrialParams; valid: number }
  /** After each epoch of a population: every model that trained, with its loss. */
  | { id: number; type: 'models-epoch'; epoch: number; models: { label: string; loss: number }[] }
  | { id: number; type: 'rf-result'; json: RfJson }
  | { id: number; type: 'fcn-result'; json: FcnJson }
  | { id: number; type: 'grid-result'; json: GridJson }
  | { id: number; type: 'error'; error: SerializedError };
