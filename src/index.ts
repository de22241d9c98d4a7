/**
 * shadergrad's public API, for Node (Dawn) and browsers alike: backends and kernels, tensors and the tape, layers,
 * optimizers and training helpers. The Tox21 pipeline, forest and study live under their own folders.
 */
export { createBackend, type BackendOptions } from './backend/create.ts';
export type { Backend, Storage, Activation, UnaryOp, BinaryOp, MatmulSpec } from './backend/backend.ts';
export { CpuBackend } from './backend/cpu/cpu-backend.ts';
export { WebGpuBackend } from './backend/webgpu/webgpu-backend.ts';
export { adapterName, type AdapterSummary } from './gpu/adapter-info.ts';
export { Tensor } from './autograd/tensor.ts';
export { tidy, keep, noGrad } from './autograd/scope.ts';
export * from './autograd/ops.ts';
export { sparseLinear, BitRows } from './autograd/sparse-linear.ts';
export { Linear } from './nn/linear.ts';
export { Dropout } from './nn/dropout.ts';
export { Mlp, type MlpConfig } from './nn/mlp.ts';
export type { Init } from './nn/init.ts';
export { SGD, Momentum, Adam, Optimizer, type OptimizerOptions } from './optim/optimizer.ts';
// Many networks at once: a model axis from the layers to the optimizer and the training loop.
export { PopulationMlp, type PopulationMember, type PopulationMlpConfig } from './nn/population-mlp.ts';
export { ModelOptimizer, type ModelOptimizerOptions } from './optim/model-optimizer.ts';
export { PopulationTrainer, type EpochReport as PopulationEpoch, type FitOptions, type MemberStatus, type TrainingSet } from './train/fit.ts';
export type { ModelKeys, ModelDropoutSpec, ModelOptimSpec } from './backend/backend.ts';
export { minibatches, gatherRows } from './train/minibatches.ts';
export { predictLogits, predictModels, sigmoidOf } from './train/predict.ts';
export { Rng } from './random/rng.ts';
