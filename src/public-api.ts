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
export { joinJobResults, runMoleculeJob, type JobResult, type MoleculeJob } from './data/molecule-jobs.ts';
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
export { PRESETS, type PresetName } from './hpo/presets.ts';
export { meanSd, runSearch, type Evaluator, type SearchOptions, type SearchResult, type TrialOutcome, type TrialSummary } from './hpo/search.ts';
export { gridPoints, randomPoints, type ParamSpec, type SearchSpace, type TrialParams } from './hpo/space.ts';
export { gridSearch, randomSearch, type Strategy } from './hpo/strategy.ts';
export { checkObjective, objectiveValue, withoutTestValues, TRIAL_STATES, type MemberEpoch, type Objective, type PoolMember, type TrialPool, type TrialRecord, type TrialState } from './hpo/trial.ts';
export { bestTrial, runStudySearch, type StudySearchOptions, type StudySearchResult, type StudySink } from './hpo/runner.ts';
export { createSampler, GridSampler, RandomSampler, SAMPLER_NAMES, TpeSampler, type Sampler, type SamplerName, type TpeSamplerOptions } from './hpo/samplers/index.ts';
export { createPruner, HyperbandPruner, MedianPruner, NopPruner, PRUNER_NAMES, SuccessiveHalvingPruner, type Pruner, type PrunerName } from './hpo/pruners/index.ts';
export { parseSpaceText, spaceText } from './hpo/space-text.ts';
export { evalTox21Population, type PopulationOptions, type RunSpec } from './tox21/eval-hyperparams.ts';
export { Tox21Population, type GroupShape, type MemberSpec } from './tox21/population.ts';
export { configOf, Tox21TrialPool } from './tox21/trial-pool.ts';
export { retrain, runTox21Search, SPACE_ALIASES, type Retrained, type Tox21SearchOptions } from './tox21/search.ts';
export { ADAPTIVE_SPACE, PLANS, runStudy, tox21Evaluator, type StudyEvent, type StudyInput, type StudyPlan, type StudyResult } from './tox21/study.ts';
export { studyCharts } from './report/trial-charts.ts';
