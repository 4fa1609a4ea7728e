/** What a `bench perf` task measures and returns: timings, per-kernel step profiles. */

/** A timing as measured (before it becomes a results-file record). */
export interface PerfMeasurement {
  readonly task: 'train_step' | 'inference' | 'synthetic_generation' | 'face_analysis';
  readonly model?: string;
  readonly preset?: string;
  /** `tfjs-wasm`, `tfjs-cpu`, `onnxruntime`, `pytorch-cpu`, `canvas`. */
  readonly engine: string;
  readonly shape: readonly number[];
  readonly metric: 'clips_per_second' | 'latency_ms' | 'frames_per_second';
  readonly value: number;
  /** Every timed repeat, in ms (per step, per clip or per generated clip). */
  readonly samplesMs: readonly number[];
  readonly numParameters?: number;
  readonly threads?: number;
  readonly note?: string;
}

/** One kernel line of a `tf.profile` of a training step. */
export interface KernelProfileLine {
  readonly kernel: string;
  /** Summed kernel time over the step, ms. */
  readonly ms: number;
  /** Number of calls. */
  readonly calls: number;
}

/** The per-kernel profile of a training step (median over three profiled steps). */
export interface StepProfile {
  readonly model: string;
  readonly preset: string;
  readonly engine: string;
  readonly batch: number;
  /**
   * Wall time of a profiled step, ms (median of the profiled steps; slower than an unprofiled step: the
   * profiler waits on every kernel).
   */
  readonly wallMs: number;
  /** Kernels by time per step (median over the profiled steps), descending. */
  readonly kernels: readonly KernelProfileLine[];
  /**
   * Phases of the median unprofiled step: forward + loss + backward (`tf.variableGrads`, until the loss is
   * read) and the AdamW update (`Optimizer.step` of `@dfer/trainer`), ms.
   */
  readonly phases: { readonly stepMs: number; readonly gradientsMs: number; readonly updateMs: number };
}

/** What a task returns. */
export interface PerfTaskResult {
  readonly measurements: readonly PerfMeasurement[];
  readonly profiles: readonly StepProfile[];
}
