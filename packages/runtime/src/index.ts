/**
 * @dfer/runtime: where tensors run. tfjs engine selection with correct gradient kernels, a gradient
 * checker, and (see README) tensor files, ONNX export and onnxruntime-node inference.
 */
export { initEngine } from './engine/init-engine';
export type { EngineBackendChoice, EngineConfig, EngineInfo } from './engine/init-engine';
export { listKernelFixes, registerKernelFixes, unregisterKernelFixes } from './engine/kernel-fixes';
export type { FixedBackendName, KernelFix } from './engine/kernel-fixes';
export {
  assertFitsWasmHeap,
  runWithWasmHeapGuard,
  wasmHeapBytes,
  WasmHeapError,
  WASM_HEAP_LIMIT_BYTES,
} from './engine/wasm-heap';
export type { WasmHeapContext } from './engine/wasm-heap';
export {
  defaultFusedKernels,
  fusedKernelAvailable,
  getFusedKernels,
  listFusedKernels,
  registerFusedKernels,
  setFusedKernels,
} from './engine/fused/fused-kernels';
export type { FusedKernelName } from './engine/fused/fused-kernels';
export { fusedLayerNorm } from './engine/fused/layer-norm';
export { fusedGelu } from './engine/fused/gelu';
export { fusedScaledSoftmax } from './engine/fused/softmax';
export { fusedBatchNormTrain } from './engine/fused/batch-norm';
export { fusedLstmCell } from './engine/fused/lstm-cell';
export { fusedAdamWUpdate, fusedAdamWSupported } from './engine/fused/adamw';
export { float32TensorFrom, withFloat32Views } from './engine/typed-views';
export type { AdamWEntry, AdamWHyper } from './engine/fused/adamw';
export type { FusedGeluApproximation } from './engine/fused/gelu';
export { checkGradients } from './gradients/check-gradients';
export type {
  CheckGradientsOptions,
  GradientCheckReport,
  GradientMismatch,
} from './gradients/check-gradients';
export { OnnxGraph, onnxAttr, ONNX_OPSET, ONNX_IR_VERSION } from './onnx/onnx-graph';
export type { OnnxAttribute, OnnxDataType, OnnxDim, OnnxNodeOptions, StaticShape } from './onnx/onnx-graph';
export { transposeToChannelsFirst, transposeToChannelsLast } from './onnx/exportable';
export type { Exportable, ExportableInputSpec, ExportableModel } from './onnx/exportable';
export { readDferModelSpec } from './onnx/dfer-model-spec';
export type { DferModelSpec } from './onnx/dfer-model-spec';
export { readOnnxModelInfo } from './onnx/read-onnx-model';
export type { OnnxExternalDataRef, OnnxModelInfo, OnnxValueSpec } from './onnx/read-onnx-model';
export { createSession, runSession } from './inference/onnx-session';
export type { OnnxSession, RunOptions, SessionConfig, TensorData } from './inference/onnx-session';
export {
  loadSafetensors,
  readSafetensors,
  saveSafetensors,
  writeSafetensors,
  SafetensorsError,
  SAFETENSORS_MAX_HEADER_BYTES,
  SAFETENSORS_MAX_HEADER_DEPTH,
} from './tensor-files/safetensors';
export type {
  LoadSafetensorsOptions,
  SafetensorsArray,
  SafetensorsContent,
  SafetensorsDtype,
  SafetensorsTensor,
} from './tensor-files/safetensors';
export { atomicWriteFile } from './files/atomic-write';
export { parseJsonText } from './files/json-text';
export { readRegularFile, REGULAR_FILE_MAX_BYTES } from './files/read-regular-file';
export type { ReadRegularFileOptions } from './files/read-regular-file';
export { lazyModule } from './modules/lazy-module';
export type { LazyModuleSpec } from './modules/lazy-module';
export { exportOnnx } from './onnx/export-onnx';
export type { ExportOnnxOptions, OnnxExport } from './onnx/export-onnx';
export { assertParity } from './inference/assert-parity';
export type { OutputParity, ParityModel, ParityOptions, ParityReport } from './inference/assert-parity';
