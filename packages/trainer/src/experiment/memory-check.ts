import * as tf from '@tensorflow/tfjs-core';
import { estimateTrainStepBytes, type VideoModel } from '@dfer/backbones';
import { assertFitsWasmHeap, runWithWasmHeapGuard, WASM_HEAP_LIMIT_BYTES } from '@dfer/runtime';

/**
 * A step's activation memory relative to what its forward pass saves, a little above the most measured on
 * the three `paper` presets at batch 2 (backbones README): up to 2.6× without checkpointing; with it the
 * forward saves little and a block's recomputation dominates (up to 12.6×).
 */
const BACKWARD_HEADROOM = { plain: 3, checkpointing: 13 } as const;

/** What {@link assertTrainStepFitsWasmHeap} reads of an experiment's config. */
export interface TrainStepMemoryConfig {
  readonly model: {
    readonly type: string;
    readonly preset: string;
    readonly gradientCheckpointing?: boolean;
  };
  readonly train: { readonly batchSize: number; readonly workers?: number };
}

/**
 * Before training on the wasm backend: bounds one training step's tensor memory from below
 * (`estimateTrainStepBytes` of `@dfer/backbones`: a batch-1 forward probe) for the batch each thread runs,
 * and throws a `WasmHeapError` naming the 4 GiB heap limit, the need and what to change when even that bound
 * does not fit — instead of the wasm module's bare `Aborted()` in the middle of the first step. A step above
 * the bound can still exceed the heap in its backward pass; the batch size it proposes leaves room for that
 * (`BACKWARD_HEADROOM`). Does nothing on other backends.
 */
export function assertTrainStepFitsWasmHeap(model: VideoModel, config: TrainStepMemoryConfig): void {
  if (tf.getBackend() !== 'wasm') return;
  const workers = config.train.workers ?? 1;
  const batch = Math.ceil(config.train.batchSize / workers);
  const estimate = estimateTrainStepBytes(model, batch);
  const perClip = (estimate.neededBytes - 4 * estimate.parameterBytes) / batch;
  // The batch it proposes leaves room for the backward pass (BACKWARD_HEADROOM × the saved activations).
  const headroom = model.gradientCheckpointing ? BACKWARD_HEADROOM.checkpointing : BACKWARD_HEADROOM.plain;
  const maxBatch = Math.floor(
    (WASM_HEAP_LIMIT_BYTES - 4 * estimate.parameterBytes) / Math.max(headroom * perClip, 1),
  );
  const changes = [
    maxBatch >= 1
      ? `train.batchSize ≤ ${maxBatch * workers}${workers > 1 ? ` (${maxBatch} per worker)` : ''}`
      : 'a smaller model (the parameters and AdamW state alone do not fit)',
    ...(config.model.gradientCheckpointing === true ? [] : ['model.gradientCheckpointing: true']),
    'fewer frames or a smaller input (another preset)',
    "engine.backend: 'tensorflow' (tfjs-node, no 4 GiB limit)",
  ];
  assertFitsWasmHeap(estimate.neededBytes, {
    what: `${config.model.type}/${config.model.preset} training step at batch ${batch}${workers > 1 ? ' per worker' : ''}`,
    advice: changes.join(', or '),
  });
}

/**
 * Runs one training step; on wasm, an abort of the wasm module inside it (the heap ran out in the backward
 * pass, above the bound checked before training) becomes a `WasmHeapError` naming the 4 GiB limit, the heap
 * size reached and what to change, instead of a bare `Aborted()`.
 */
export function runTrainStepWithHeapGuard<T>(config: TrainStepMemoryConfig, batch: number, step: () => T): T {
  return runWithWasmHeapGuard(step, {
    what: `${config.model.type}/${config.model.preset} training step at batch ${batch}`,
    advice: [
      'a smaller train.batchSize',
      ...(config.model.gradientCheckpointing === true ? [] : ['model.gradientCheckpointing: true']),
      'fewer frames or a smaller input (another preset)',
      "engine.backend: 'tensorflow'",
    ].join(', or '),
  });
}
