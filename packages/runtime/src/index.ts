/**
 * @dfer/runtime: where tensors run. tfjs engine selection with correct gradient kernels, a gradient
 * checker, and (see README) tensor files, ONNX export and onnxruntime-node inference.
 */
export { initEngine } from './engine/init-engine';
export type { EngineBackendChoice, EngineConfig, EngineInfo } from './engine/init-engine';
export { listKernelFixes, registerKernelFixes, unregisterKernelFixes } from './engine/kernel-fixes';
export type { FixedBackendName, KernelFix } from './engine/kernel-fixes';
export { checkGradients } from './gradients/check-gradients';
export type {
  CheckGradientsOptions,
  GradientCheckReport,
  GradientMismatch,
} from './gradients/check-gradients';
