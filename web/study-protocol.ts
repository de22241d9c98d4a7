/**
 * Messages between the training page (app.ts) and its study worker (study-worker.ts). The worker owns the WebGPU
 * device, the dataset and the workers under it (featurizing, tree growing), so everything heavy — even starting
 * those workers, ~45 ms of main-thread time each in Chromium — happens off the page's main thread; the page sends
 * the file's bytes and draws what the worker reports.
 */
import type {
  AdapterSummary, BrowserDataset, DatasetProgress, EpochReport, FcnHyperparams, FcnJson, Objective, RfJson, SearchJson, SearchSpace, SerializedError, StudyExport,
  TrainingMode, TrialParams, TrialRecord, TrialState,
} from '../src/browser/index.ts';

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

/** An adaptive search kept in the page's IndexedDB: `tox21 search --study NAME` with these options. */
export interface SearchStudySettings {
  name: string;
  /** As --space takes it: 'lr=log:1e-4:1e-2,hidden=30|50,…'. */
  space: string;
  sampler: string;
  pruner: string;
  /** Trials the study ends with (across reloads). */
  nTrials: number;
  reps: number;
  objective: 'valid-wacc' | 'valid-auc';
  /** Most models trained at once (--population); absent: the adapter's default. Not part of the study's spec. */
  population?: number;
}

/** A stored study as the page lists it. */
export interface StoredStudyInfo {
  name: string;
  trials: number;
  counts: Record<TrialState, number>;
  nTrials: number | null;
  best: number | null;
}

export type StudyRequest =
  | { id: number; type: 'init' }
  | { id: number; type: 'load'; bytes: ArrayBuffer; file: string }
  | { id: number; type: 'rf'; settings: RfSettings }
  | { id: number; type: 'fcn'; settings: FcnSettings }
  | { id: number; type: 'grid'; settings: FcnSettings; reps: number }
  /** Runs (or resumes) the stored study until it holds nTrials finished trials. */
  | { id: number; type: 'study'; settings: FcnSettings; study: SearchStudySettings }
  | { id: number; type: 'study-export'; name: string }
  | { id: number; type: 'study-list' };

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
  /** The grid as `tox21 search --preset simple --sampler grid --json` prints it. */
  | { id: number; type: 'grid-result'; json: SearchJson }
  /** A study's trials as the store holds them, after a change (for the charts; throttled). */
  | { id: number; type: 'study-trials'; trials: TrialRecord[]; space: SearchSpace; objective: Objective }
  /** A trial of the study started or finished training in this page. */
  | { id: number; type: 'study-trial'; event: 'started' | 'finished'; trialId: number; state: TrialState; attempt: number }
  /** The study ended: as `tox21 search --study NAME --json` prints it. */
  | { id: number; type: 'study-result'; json: SearchJson; resumed: number; requeued: number[] }
  /** The study as `shadergrad study export NAME --format json` writes it. */
  | { id: number; type: 'study-export'; json: StudyExport }
  | { id: number; type: 'study-list'; storage: string; studies: StoredStudyInfo[] }
  | { id: number; type: 'error'; error: SerializedError };
