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
export { SGD, Momentum, Adam, Optimizer } from './optim/optimizer.ts';
export { minibatches, gatherRows } from './train/minibatches.ts';
export { predictLogits, sigmoidOf } from './train/predict.ts';
export { Rng } from './random/rng.ts';
