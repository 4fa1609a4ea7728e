import * as tf from '@tensorflow/tfjs-core';
import { createModel, getModelInfo } from '@dfer/backbones';
import { createSyntheticFacsDataset } from '@dfer/datasets/synthetic';
import { createLoss, crossEntropyLoss } from '@dfer/losses';
import { createSession, exportOnnx, initEngine, runSession } from '@dfer/runtime';
import { measureFaceAnalysis, type FaceAnalysisTask } from './face-analysis';
import {
  createDataParallelTrainer,
  createOptimizer,
  stepGradients,
  trainableParameters,
  type DataParallelStepTimings,
  type DataParallelTrainer,
  type NamedVariable,
  type StepBatch,
} from '@dfer/trainer';

/**
 * The measurements of `bench perf` that run on the tfjs / onnxruntime side. Each is one {@link PerfTask};
 * `bench perf` runs every task in its own child process (`perf-child.ts`), so the process's peak resident
 * set size (`process.resourceUsage().maxRSS`) belongs to that task alone.
 *
 * Timing rule everywhere: `warmups` untimed runs (default 1; `bench perf` gives the `tiny` presets 10), then `repeats` timed runs (wall clock,
 * `performance.now()`); the reported value comes from the median time (`median` below).
 */

/** Profiled steps of a `profile` task (per kernel, the median of their per-step totals is reported). */
const PROFILED_STEPS = 3;

/** A tfjs training step: forward, cross-entropy, backward, AdamW update, for each batch size. */
export interface TrainStepTask {
  readonly kind: 'train_step';
  readonly model: string;
  readonly preset: string;
  readonly engine: 'wasm' | 'cpu';
  readonly batches: readonly number[];
  readonly repeats: number;
  /** Also profile the smallest batch's step kernel by kernel (`tf.profile`, median of three steps). */
  readonly profile: boolean;
  /**
   * Threads of data-parallel training (`train.workers` of `@dfer/trainer`, `createDataParallelTrainer`);
   * default 1 (the one-thread step). Batches smaller than this are not timed.
   */
  readonly workers?: number;
  /**
   * Wall-clock time (`Date.now()`, ms) to wait for after the warm-up step, before the timed repeats (one-thread
   * step only): processes started together then time the same interval (`bench perf`'s ceiling of
   * `train.workers`). Absent: no wait.
   */
  readonly startAt?: number;
  /** Untimed steps before the timed repeats (default 1; V8 and the wasm tiers take about 10 to settle). */
  readonly warmups?: number;
}

/** Inference latency of one clip: tfjs (wasm) forward vs onnxruntime-node (1 thread) of the exported model. */
export interface InferenceTask {
  readonly kind: 'inference';
  readonly model: string;
  readonly preset: string;
  readonly repeats: number;
  /** Untimed runs before the timed repeats (default 1). */
  readonly warmups?: number;
}

/** Rendering rate of the synthetic FACS generator of `@dfer/datasets`. */
export interface SyntheticGenerationTask {
  readonly kind: 'synthetic_generation';
  /** Frame size `[H, W]`. */
  readonly size: readonly [number, number];
  /** Frames per clip. */
  readonly frames: number;
  /** Clips timed (after one warm-up clip). */
  readonly clips: number;
}

/** One unit of work of `bench perf`. */
export type PerfTask = TrainStepTask | InferenceTask | SyntheticGenerationTask | FaceAnalysisTask;

import type { PerfMeasurement, PerfTaskResult, StepProfile } from './perf-measurement';

export type { PerfMeasurement, KernelProfileLine, StepProfile, PerfTaskResult } from './perf-measurement';

/** Median of a non-empty list (the lower middle value for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median: expected at least one value');
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
}

async function timeRepeats(
  repeats: number,
  run: () => number | Promise<number>,
  options: { readonly warmups?: number | undefined; readonly startAt?: number | undefined } = {},
): Promise<number[]> {
  const { warmups = 1, startAt } = options;
  for (let w = 0; w < warmups; w++) await run();
  const wait = startAt === undefined ? 0 : startAt - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  const out: number[] = [];
  for (let r = 0; r < repeats; r++) out.push(await run());
  return out;
}

/** Deterministic clip values in [0, 1): x[i] = ((i·7919) mod 1009) / 1009 (the same rule as the PyTorch script). */
export function clipValues(size: number): Float32Array {
  return Float32Array.from({ length: size }, (_, i) => ((i * 7919) % 1009) / 1009);
}

function clipShape(model: string, preset: string, batch: number): number[] {
  const spec = getModelInfo(model).presets[preset]?.input;
  if (spec === undefined) {
    throw new RangeError(
      `model "${model}" has no preset "${preset}" (presets: ${Object.keys(getModelInfo(model).presets).join(', ')})`,
    );
  }
  return [batch, spec.frames, spec.height, spec.width, spec.channels];
}

async function measureTrainStep(task: TrainStepTask): Promise<PerfTaskResult> {
  await initEngine({ backend: task.engine, log: false });
  if ((task.workers ?? 1) > 1) return measureDataParallelTrainStep(task);
  const engine = `tfjs-${task.engine}`;
  const measurements: PerfMeasurement[] = [];
  const profiles: StepProfile[] = [];
  // The paper presets train with gradient checkpointing: without it MAE-DFER's step does not fit the wasm heap
  // (4 GiB) at batch 2 (backbones README).
  const gradientCheckpointing = task.preset === 'paper';
  for (const batch of task.batches) {
    const model = createModel(task.model, { preset: task.preset, seed: 0, gradientCheckpointing });
    model.train();
    const params: NamedVariable[] = trainableParameters(model);
    const optimizer = createOptimizer(params, { type: 'adamw', weightDecay: 0.05 });
    const shape = clipShape(task.model, task.preset, batch);
    const x = tf.tensor(clipValues(shape.reduce((a, b) => a * b, 1)), shape);
    const labels = Int32Array.from({ length: batch }, (_, i) => i % model.numClasses);
    /** One step; returns [ms of forward + loss + backward, ms of the AdamW update]. */
    const step = (): [number, number] => {
      const t0 = performance.now();
      const { value, grads } = tf.variableGrads(
        () => {
          const out = model.forward(x);
          // variableGrads runs this inside a tidy: every tensor but the returned loss is disposed.
          return crossEntropyLoss({ logits: out.logits, labels }).loss as tf.Scalar;
        },
        params.map((p) => p.variable),
      );
      value.dataSync();
      const t1 = performance.now();
      const named: Record<string, tf.Tensor> = {};
      for (const p of params) {
        const g = grads[p.variable.name];
        if (g) named[p.name] = g;
      }
      optimizer.step(named, 1e-3);
      // Reading one parameter waits for the update (a no-op wait on cpu/wasm, kept for asynchronous backends).
      params[0]?.variable.dataSync();
      const t2 = performance.now();
      tf.dispose([value, Object.values(grads)]);
      return [t1 - t0, t2 - t1];
    };
    try {
      const phases: [number, number][] = [];
      const samplesMs = await timeRepeats(
        task.repeats,
        () => {
          const t0 = performance.now();
          phases.push(step());
          return performance.now() - t0;
        },
        { warmups: task.warmups, startAt: task.startAt },
      );
      phases.splice(0, task.warmups ?? 1); // the warm-ups
      measurements.push({
        task: 'train_step',
        model: task.model,
        preset: task.preset,
        engine,
        shape,
        metric: 'clips_per_second',
        value: (batch * 1000) / median(samplesMs),
        samplesMs,
        numParameters: model.numParameters(),
        threads: 1,
        note: `forward + cross-entropy + backward + AdamW (wd 0.05)${gradientCheckpointing ? ', gradient checkpointing per block' : ''}; value = batch ÷ median step time`,
      });
      if (task.profile && batch === Math.min(...task.batches)) {
        // Several profiled steps; per kernel the median of its per-step totals (a GC pause lands in one
        // step's kernel, not in all of them), calls from one step (the same every step).
        const walls: number[] = [];
        const perStep: Map<string, { ms: number; calls: number }>[] = [];
        for (let p = 0; p < PROFILED_STEPS; p++) {
          const t0 = performance.now();
          const info = await tf.profile(() => {
            step();
          });
          walls.push(performance.now() - t0);
          const byName = new Map<string, { ms: number; calls: number }>();
          for (const k of info.kernels) {
            const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
            const entry = byName.get(k.name) ?? { ms: 0, calls: 0 };
            entry.ms += ms;
            entry.calls += 1;
            byName.set(k.name, entry);
          }
          perStep.push(byName);
        }
        const wallMs = median(walls);
        const names = new Set(perStep.flatMap((m) => [...m.keys()]));
        const kernels = [...names].map((kernel) => ({
          kernel,
          ms: median(perStep.map((m) => m.get(kernel)?.ms ?? 0)),
          calls: perStep[0]!.get(kernel)?.calls ?? 0,
        }));
        const mid = phases.map(([a, b]) => [a, b, a + b] as const).sort((p, q) => p[2] - q[2]);
        const [gradMs, updateMs, stepMs] = mid[Math.floor((mid.length - 1) / 2)]!;
        profiles.push({
          model: task.model,
          preset: task.preset,
          engine,
          batch,
          wallMs,
          phases: { stepMs, gradientsMs: gradMs, updateMs },
          kernels: kernels.sort((a, b) => b.ms - a.ms),
        });
      }
    } finally {
      optimizer.dispose();
      x.dispose();
      model.dispose();
    }
  }
  return { measurements, profiles };
}

/**
 * The training step of {@link measureTrainStep} with `train.workers` threads: the same model, clip, labels,
 * cross-entropy (`createLoss({ type: 'cross_entropy' })`, the same function) and AdamW, through
 * `createDataParallelTrainer` of `@dfer/trainer` (the batch split across the threads, gradients averaged
 * through shared memory, one update). The note gives the calling thread's phases of the median step.
 */
async function measureDataParallelTrainStep(task: TrainStepTask): Promise<PerfTaskResult> {
  const workers = task.workers ?? 1;
  const engine = `tfjs-${task.engine}`;
  const measurements: PerfMeasurement[] = [];
  const lossConfig = { type: 'cross_entropy' };
  const loss = createLoss(lossConfig, {});
  for (const batch of task.batches.filter((b) => b >= workers)) {
    const modelOptions = { preset: task.preset, seed: 0, gradientCheckpointing: task.preset === 'paper' };
    const model = createModel(task.model, modelOptions);
    model.train();
    const params: NamedVariable[] = trainableParameters(model);
    const optimizer = createOptimizer(params, { type: 'adamw', weightDecay: 0.05 });
    const shape = clipShape(task.model, task.preset, batch);
    const frames = clipValues(shape.reduce((a, b) => a * b, 1));
    const stepBatch: StepBatch = {
      frames,
      shape: shape as [number, number, number, number, number],
      layout: [1, shape[1]!],
      labels: Int32Array.from({ length: batch }, (_, i) => i % model.numClasses),
      ids: Array.from({ length: batch }, (_, i) => `clip-${i}`),
    };
    let trainer: DataParallelTrainer | undefined;
    try {
      trainer = await createDataParallelTrainer(
        model,
        optimizer,
        params,
        {
          workers,
          model: { type: task.model, options: modelOptions },
          objective: { kind: 'expression', loss: { config: lossConfig, context: {} } },
        },
        (shard) => stepGradients(model, loss, params, shard),
      );
      const timings: DataParallelStepTimings[] = [];
      const samplesMs = await timeRepeats(
        task.repeats,
        async () => {
          const t0 = performance.now();
          await trainer!.step(stepBatch, { lr: 1e-3 });
          const ms = performance.now() - t0;
          timings.push(trainer!.lastStepTimings!);
          return ms;
        },
        { warmups: task.warmups },
      );
      timings.splice(0, task.warmups ?? 1); // the warm-ups
      const mid = median(samplesMs);
      const at = timings[samplesMs.indexOf(mid)]!;
      measurements.push({
        task: 'train_step',
        model: task.model,
        preset: task.preset,
        engine,
        shape,
        metric: 'clips_per_second',
        value: (batch * 1000) / mid,
        samplesMs,
        numParameters: model.numParameters(),
        threads: workers,
        note:
          `train.workers ${workers}: batch split across ${workers} threads (own tfjs-wasm instance and replica each), gradients averaged through shared memory, one AdamW update (wd 0.05); ` +
          `median step on the calling thread: own shard ${at.ownShardMs.toFixed(0)} ms, waiting ${at.waitMs.toFixed(0)} ms, gradient sum ${at.averageMs.toFixed(0)} ms, update ${at.updateMs.toFixed(0)} ms, weight copy ${at.copyWeightsMs.toFixed(0)} ms`,
      });
    } finally {
      await trainer?.dispose();
      optimizer.dispose();
      model.dispose();
    }
  }
  return { measurements, profiles: [] };
}

async function measureInference(task: InferenceTask): Promise<PerfTaskResult> {
  const shape = clipShape(task.model, task.preset, 1);
  const data = clipValues(shape.reduce((a, b) => a * b, 1));
  await initEngine({ backend: 'wasm', log: false });
  const model = createModel(task.model, { preset: task.preset, seed: 0 }).eval();
  const numParameters = model.numParameters();
  const measurements: PerfMeasurement[] = [];
  try {
    const x = tf.tensor(data, shape);
    const tfjsMs = await timeRepeats(
      task.repeats,
      () => {
        const t0 = performance.now();
        const out = model.forward(x);
        out.logits.dataSync();
        tf.dispose(out);
        return performance.now() - t0;
      },
      { warmups: task.warmups },
    );
    x.dispose();
    measurements.push({
      task: 'inference',
      model: task.model,
      preset: task.preset,
      engine: 'tfjs-wasm',
      shape,
      metric: 'latency_ms',
      value: median(tfjsMs),
      samplesMs: tfjsMs,
      numParameters,
      threads: 1,
      note: 'eval-mode forward of one clip; median',
    });
    const exported = await exportOnnx(model, {
      inputShape: ['batch', ...shape.slice(1)],
      modelName: task.model,
      preset: task.preset,
    });
    const session = await createSession(exported.bytes, { threads: 1 });
    try {
      const ortMs = await timeRepeats(
        task.repeats,
        async () => {
          const t0 = performance.now();
          await runSession(session, { [exported.inputName]: { data, dims: shape } });
          return performance.now() - t0;
        },
        { warmups: task.warmups },
      );
      measurements.push({
        task: 'inference',
        model: task.model,
        preset: task.preset,
        engine: 'onnxruntime',
        shape,
        metric: 'latency_ms',
        value: median(ortMs),
        samplesMs: ortMs,
        numParameters,
        threads: 1,
        note: 'onnxruntime-node, 1 intra-op thread, model exported with exportOnnx; median',
      });
    } finally {
      await session.release();
    }
  } finally {
    model.dispose();
  }
  return { measurements, profiles: [] };
}

async function measureSyntheticGeneration(task: SyntheticGenerationTask): Promise<PerfTaskResult> {
  const [h, w] = task.size;
  const dataset = createSyntheticFacsDataset({ seed: 0, numClips: task.clips + 1, size: [h, w] });
  const frameIndices = Array.from({ length: task.frames }, (_, k) => k);
  let next = 0;
  const samplesMs = await timeRepeats(task.clips, async () => {
    const t0 = performance.now();
    await dataset.get(next++, { frameIndices });
    return performance.now() - t0;
  });
  const shape = [task.frames, h, w, 3];
  const msPerClip = median(samplesMs);
  const note = `createSyntheticFacsDataset get() of ${task.frames}-frame clips (render, blur, noise, float32), one thread; median of ${task.clips} clips`;
  return {
    measurements: [
      {
        task: 'synthetic_generation',
        engine: 'canvas',
        shape,
        metric: 'clips_per_second',
        value: 1000 / msPerClip,
        samplesMs,
        note,
      },
      {
        task: 'synthetic_generation',
        engine: 'canvas',
        shape,
        metric: 'frames_per_second',
        value: (1000 * task.frames) / msPerClip,
        samplesMs,
        note,
      },
    ],
    profiles: [],
  };
}

/** Run one task in this process. */
export async function runPerfTask(task: PerfTask): Promise<PerfTaskResult> {
  switch (task.kind) {
    case 'train_step':
      return measureTrainStep(task);
    case 'inference':
      return measureInference(task);
    case 'synthetic_generation':
      return measureSyntheticGeneration(task);
    case 'face_analysis':
      return measureFaceAnalysis(task);
  }
}
