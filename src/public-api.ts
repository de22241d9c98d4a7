/**
 * Everything in shadergrad that runs on any platform — Node (Dawn) and browsers (navigator.gpu) alike: the core API
 * of src/index.ts (backends, tensors and ops, layers, optimizers) plus the Tox21 pipeline from text, the forest,
 * metrics, the network study and hyperparameter search. The bundles' entries add what only their platform has:
 * src/node-api.ts (files, caches, worker threads) and src/browser/index.ts (Web Workers, RDKit wasm beside the
 * bundle). Lists are explicit so an internal helper never becomes API by accident.
 */
export * from './index.ts';

// What src/index.ts leaves out of the GPU layer: errors to catch, and the adapter and shader hooks.
export type { AdamSpec, DropoutSpec, ReduceOp } from './backend/backend.ts';
export { ShapeError } from './backend/backend.ts';
export { NoAdapterError, requestGpu, type DeviceOptions, type GpuContext } from './gpu/device.ts';
export { GpuError, ShaderCompileError } from './gpu/errors.ts';
export { registerShader, SHADER_FILES } from './gpu/shader-source.ts';
export type { Module } from './nn/module.ts';
export type { LinearConfig } from './nn/linear.ts';
export type { AdamOptions } from './optim/optimizer.ts';
export { MissingGradientError, missingGradientGuard, missingGradientMessage, missingGradients, type MissingGradPolicy } from './optim/missing-grad.ts';
export { backendLimits, checkNetworkFits, estimateNetworkMemory, formatBytes, type MemoryEstimate, type MemoryLimits, type NetworkShape } from './nn/memory.ts';
export type { BatchOrder } from './train/minibatches.ts';

// Data: text → table → fingerprints → dataset.
export { parseCsv, type CsvTable } from './data/csv.ts';
export { DataFileError, type DataLocation } from './data/data-error.ts';
export { decodeDataText, isGzip } from './data/data-text.ts';
export { parseLabel, readMoleculeTable, type MoleculeTable } from './data/molecule-table.ts';
export { MOL_FAILED, MOL_OK, MOL_UNSANITIZED, parseMolecule, type RDKitModule } from './data/parse-molecule.ts';
export { ECFP4_1024, ecfpOfSmiles, type EcfpParams, type EcfpResult } from './data/ecfp.ts';
export { murckoScaffolds } from './data/murcko.ts';
export { joinJobResults, runMoleculeJob, runMoleculeJobSafely, type JobResult, type MoleculeJob, type RDKitLoader } from './data/molecule-jobs.ts';
export { DEFAULT_LIMITS, type MoleculeLimits } from './data/molecule-limits.ts';
export { RDKitCrashError } from './data/rdkit-crash.ts';
export {
  assembleDataset, datasetFromText, subsetDataset,
  type AssembledDataset, type AssembleOptions, type DatasetSummary, type MoleculeDataset, type MoleculeJobRunner, type RowFailure,
  type TaskReport, type TextDatasetOptions,
} from './data/molecule-dataset.ts';
export { indexSplit, randomSplit, scaffoldSplit, type DataSplit, type SplitKind } from './data/splits.ts';
export { dataReportJson, dataReportLines, type DataReportJson } from './data/data-report.ts';
export { applyClassWeights, fitClassWeights, type ClassWeights, type WeightScheme } from './data/weights.ts';
export { concatRows, selectRows, sparseRows, toDense, type SparseBits } from './data/sparse-bits.ts';

// The random forest.
export type { DenseMatrix, FeatureMatrix } from './forest/features.ts';
export { classify, FOREST_FORMAT, planFit, RandomForest, type FitPlan, type ForestJSON } from './forest/forest.ts';
export { growTree } from './forest/grow.ts';
export { resolveParams, type ForestOptions, type ForestParams } from './forest/options.ts';
export { Tree, type TreeArrays, type TreeJSON } from './forest/tree.ts';
export { BOOK_FOREST, meanScores, runTaskBaseline, trainingRows, type ForestFitter, type TaskBaseline } from './forest/tox21-baseline.ts';

// Metrics.
export { accuracy, threshold } from './metrics/accuracy.ts';
export { rocAuc } from './metrics/roc-auc.ts';
export { averagePrecision } from './metrics/average-precision.ts';

// The Tox21 study: the book's network and its hyperparameters.
export { BOOK_DEFAULTS, checkHyperparams, type FcnHyperparams, type TrainingMode } from './tox21/hyperparams.ts';
export {
  evalTox21Hyperparams, SPLIT_NAMES, type EpochReport, type EvalOptions, type FcnResult, type SplitName, type SplitScores,
} from './tox21/eval-hyperparams.ts';

// Hyperparameter search and the chapter's study.
export { PRESETS, type PresetName } from './tox21/presets.ts';
export { definedMean, meanSd, type MeanSd } from './stats/mean-sd.ts';
export { gridPoints, type ParamSpec, type SearchSpace, type TrialParams } from './hpo/space.ts';
export { bestTrial, checkObjective, objectiveValue, withoutTestValues, TRIAL_STATES, type MemberEpoch, type Objective, type PoolMember, type TrialPool, type TrialRecord, type TrialState } from './hpo/trial.ts';
export { runStudySearch, StudyRunner, type StudyEvent as SearchEvent, type StudySearchOptions, type StudySearchResult, type StudySink, type TrialSource } from './hpo/runner.ts';
// A study store in memory (no driver, works in a page): the StudyStore the file and server stores implement.
export { MemoryDatabase, MemoryStore } from './hpo/stores/memory.ts';
// Stored studies on any platform: the store interface, the stored search (resumable, shared by workers), a study's
// export document and its import, and the Tox21 search study's spec (the CLI's and the page's).
export { StoreError, StudyNotFoundError, StudyMismatchError, type StudyStore } from './hpo/store.ts';
export type { Study, StudySpec } from './hpo/store-spec.ts';
export { StoreSink } from './hpo/store-sink.ts';
export { runStoredSearch, type StoredSearchOptions, type StoredSearchResult } from './hpo/store-search.ts';
export { importStudy, parseStudyExport, studyExportJson, StudyImportError, type ExportedTrial, type StudyExport } from './hpo/study-export.ts';
export { baseOutside, searchMaxEpochs, searchStudySpec, type SearchStudyInput } from './tox21/search-spec.ts';
export { createSampler, GridSampler, RandomSampler, SAMPLER_NAMES, TpeSampler, type Sampler, type SamplerName, type TpeSamplerOptions } from './hpo/samplers/index.ts';
export { createPruner, HyperbandPruner, MedianPruner, NopPruner, PRUNER_NAMES, SuccessiveHalvingPruner, type Pruner, type PrunerName } from './hpo/pruners/index.ts';
export { parseSpaceText, spaceText } from './hpo/space-text.ts';
export { evalTox21Population, type PopulationOptions, type RunSpec } from './tox21/eval-hyperparams.ts';
export { Tox21Population, type GroupShape, type MemberSpec } from './tox21/population.ts';
export { configOf, Tox21TrialPool } from './tox21/trial-pool.ts';
export { retrain, runTox21Search, searchPopulation, SPACE_ALIASES, type Retrained, type RetrainOptions, type Tox21SearchOptions } from './tox21/search.ts';
export { datasetHash, studyIdentity, type StudyIdentity } from './tox21/study-identity.ts';
export { ADAPTIVE_SPACE, PLANS, runStudy, type StudyEvent, type StudyInput, type StudyPlan, type StudyResult } from './tox21/study.ts';
export { studyCharts } from './report/trial-charts.ts';
// The JSON the CLI prints with --json (tox21 rf, fcn, search), built once for the CLI and the page.
export { backendReport, chooseBackend, type BackendChoice, type BackendReport, type ChooseOptions } from './train/choose-backend.ts';
export { fcnJson, rankTrials, rfJson, searchJson, type FcnJson, type RfJson, type RfRun, type SearchJson, type SearchRun, type TrainedOn } from './report/results-json.ts';
