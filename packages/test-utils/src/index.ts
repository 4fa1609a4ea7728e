/**
 * Private test helpers shared by every @dfer package: a seeded RNG, a tensor-leak assertion, tiny
 * fixtures, a fresh-process record of what an entry point loads, and (in `jest/environment.cjs`) the
 * jest environment that lets onnxruntime-node accept typed arrays created inside tests.
 */
export { createSeededRng, type SeededRng } from './seeded-rng';
export { expectNoTensorLeak, countTensors } from './tensor-leak';
export { sharedDataPath, describeWithSharedData, describeWithSharedFiles } from './shared-data';
export { tinyClip } from './fixtures';
export {
  inFreshNode,
  missingModulesPrelude,
  nativeModulesLoaded,
  NATIVE_MODULE_PATTERN,
  type LoadReport,
} from './fresh-node';
