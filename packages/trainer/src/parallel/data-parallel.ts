import * as tf from '@tensorflow/tfjs-core';
import type { CreateModelOptions, VideoModel } from '@dfer/backbones';
import { float32TensorFrom, withFloat32Views } from '@dfer/runtime';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { NamedVariable, Optimizer } from '../optim/optimizers';
import {
  applyStepUpdate,
  type StepAgreementAnalysis,
  type StepBatch,
  type StepGradients,
  type StepResult,
} from '../experiment/step-gradients';
import type { DataParallelObjective, WorkerInit, WorkerReply, WorkerStep } from './protocol';

/**
 * Data-parallel training on several threads of one process (PyTorch DDP's scheme, on `node:worker_threads`).
 *
 * - **Replicas**: the calling thread is worker 0 and keeps the model, the loss and the optimizer it already
 *   has; workers 1 … N−1 are threads, each with its own tfjs instance (its own wasm module and heap), its own
 *   model replica built by `createModel` of `@dfer/backbones` and its own loss built by `createLoss` of
 *   `@dfer/losses`, from plain-data configs (components registered at run time in the calling thread are
 *   not visible to the workers).
 * - **Batch split**: the batch is cut into N contiguous shards of ⌈B/N⌉ or ⌊B/N⌋ clips (the first B mod N
 *   shards one larger; with B < N only B threads work). Each thread runs forward, loss and backward on its
 *   shard ({@link stepGradients}, the same code as the one-thread step).
 * - **Gradient average through shared memory**: workers write their gradients into one `SharedArrayBuffer`
 *   (a slot per worker); the calling thread sums g = Σ_w (B_w / B) · g_w over w = 0 … N−1 in that fixed order
 *   (float64 accumulation, rounded once to float32). For a loss that is a mean over clips this is the
 *   gradient of the whole batch, up to float summation order; the step is deterministic for a fixed N.
 * - **One update**: the calling thread applies the optimizer (clipping included) once, then, at the start of
 *   the next step, writes every model variable into a second shared buffer that the workers copy from
 *   before their forward pass. Non-trainable variables (BatchNorm running statistics) are copied too.
 * - **BatchNorm**: each thread normalises its shard with its shard's own batch statistics (no SyncBatchNorm,
 *   as PyTorch DDP without `SyncBatchNorm`); the running statistics are those of thread 0's shard, copied to
 *   the workers before every step (as DDP's `broadcast_buffers=True` from rank 0). With BatchNorm the step
 *   therefore differs from the one-thread step on the whole batch by more than summation order.
 * - **Randomness**: worker w builds its replica with seed `seed + w` (its weights are then replaced), so
 *   dropout masks differ between shards and are the same from run to run.
 *
 * Batch-level losses (e.g. ones normalised by the batch's class counts) are computed per shard and averaged
 * with the shard weights above.
 */

export type { DataParallelObjective } from './protocol';

/** Plain-data description of what each worker builds (it is sent to the worker threads). */
export interface DataParallelConfig {
  /** Threads taking part, the calling thread included (≥ 2; at most the machine's cores). */
  readonly workers: number;
  /** Model replica: `createModel(model.type, model.options)` of `@dfer/backbones`; weights come from the caller. */
  readonly model: { readonly type: string; readonly options: CreateModelOptions };
  readonly objective: DataParallelObjective;
}

/**
 * The calling thread's gradient function: forward, loss and backward of its shard (e.g. `stepGradients` with
 * its own loss); `epoch` is the step's `options.epoch`.
 */
export type LocalGradients = (shard: StepBatch, epoch: number | undefined) => StepGradients;

/** Per-call options of {@link DataParallelTrainer.step}. */
export interface DataParallelStepOptions {
  readonly lr: number;
  /** Clip the averaged gradient to this global norm before the update. */
  readonly clipGradNorm?: number;
  /** Epoch (for the clip-agreement warm-up; required with an `expression` objective's `robust`). */
  readonly epoch?: number;
}

/** Wall time of the phases of one data-parallel step on the calling thread, ms. */
export interface DataParallelStepTimings {
  /** Writing every variable into the shared weights buffer. */
  readonly copyWeightsMs: number;
  /** Forward, loss and backward of the calling thread's own shard. */
  readonly ownShardMs: number;
  /** Waiting for the worker threads after the own shard. */
  readonly waitMs: number;
  /** Summing the shards' gradients. */
  readonly averageMs: number;
  /** The optimizer update (with clipping). */
  readonly updateMs: number;
}

/** A data-parallel stepper; see {@link createDataParallelTrainer}. */
export interface DataParallelTrainer {
  /** Threads taking part, the calling thread included. */
  readonly workers: number;
  /** One optimizer step on `batch`, split across the threads. */
  step(batch: StepBatch, options: DataParallelStepOptions): Promise<StepResult>;
  /** Where the last step's wall time went on the calling thread (undefined before the first step). */
  readonly lastStepTimings: DataParallelStepTimings | undefined;
  /** Stop the worker threads. */
  dispose(): Promise<void>;
}

/** Where the compiled worker script is (beside this file in `dist`; from `src` under ts-jest, in `dist`). */
function workerScript(): string {
  const here = join(__dirname, 'data-parallel-worker.js');
  if (existsSync(here)) return here;
  const built = join(__dirname, '..', '..', 'dist', 'parallel', 'data-parallel-worker.js');
  if (existsSync(built)) return built;
  throw new Error(
    `train.workers > 1 runs the compiled worker script ${here}, which does not exist: build @dfer/trainer first (pnpm --filter @dfer/trainer build)`,
  );
}

/** Sizes of the N contiguous shards of a batch of B clips (the first B mod N one larger; zeros when B < N). */
export function shardSizes(batch: number, workers: number): number[] {
  if (!Number.isInteger(batch) || batch < 1)
    throw new RangeError(`shardSizes: batch must be ≥ 1, got ${batch}`);
  if (!Number.isInteger(workers) || workers < 1)
    throw new RangeError(`shardSizes: workers must be ≥ 1, got ${workers}`);
  const base = Math.floor(batch / workers);
  const extra = batch % workers;
  return Array.from({ length: workers }, (_, w) => base + (w < extra ? 1 : 0));
}

/** Rows [start, start + n) of a batch. */
function shardOf(batch: StepBatch, start: number, n: number): StepBatch {
  const [B, T, H, W, C] = batch.shape;
  const clip = T * H * W * C;
  const A = batch.auTargets ? batch.auTargets.length / B : 0;
  const TA = batch.aus ? batch.aus.length / B : 0;
  return {
    frames: batch.frames.slice(start * clip, (start + n) * clip),
    shape: [n, T, H, W, C],
    layout: batch.layout,
    labels: batch.labels.slice(start, start + n),
    ...(batch.auTargets ? { auTargets: batch.auTargets.slice(start * A, (start + n) * A) } : {}),
    ...(batch.aus ? { aus: batch.aus.slice(start * TA, (start + n) * TA) } : {}),
    ids: batch.ids.slice(start, start + n),
  };
}

interface Pending {
  resolve: (reply: WorkerReply) => void;
  reject: (error: Error) => void;
}

/**
 * Start N − 1 worker threads for data-parallel training of `model` (see the module notes above for what is
 * split, averaged and copied). `model`, `optimizer` and `params` are the caller's (worker 0's), and
 * `localGradients` differentiates the caller's own shard with the caller's loss; the workers build theirs
 * from `config.objective`. The active tfjs backend must be `wasm` or `cpu` (the workers use the same);
 * `config.workers` must be between 2 and the number of cores (`os.availableParallelism()`). Resolves once
 * every worker has built its replica.
 */
export async function createDataParallelTrainer(
  model: VideoModel,
  optimizer: Optimizer,
  params: readonly NamedVariable[],
  config: DataParallelConfig,
  localGradients: LocalGradients,
): Promise<DataParallelTrainer> {
  const N = config.workers;
  const cores = availableParallelism();
  if (!Number.isInteger(N) || N < 2 || N > cores) {
    throw new RangeError(
      `train.workers: expected an integer from 2 to ${cores} (the cores of this machine) for data-parallel training, got ${N}`,
    );
  }
  const backend = tf.getBackend();
  if (backend !== 'wasm' && backend !== 'cpu') {
    throw new Error(
      `train.workers > 1 needs the wasm or cpu backend (one thread each); the active backend is "${backend}" (the tensorflow backend already uses every core: use train.workers 1)`,
    );
  }
  const variables = model.namedParameters();
  const layout = variables.map(([name, v]) => ({ name, shape: [...v.shape], dtype: v.dtype, size: v.size }));
  const weightOffsets: number[] = [];
  let totalWeights = 0;
  for (const v of layout) {
    weightOffsets.push(totalWeights);
    totalWeights += v.size;
  }
  const paramIndex = new Map(variables.map(([name], i) => [name, i]));
  const paramSizes = params.map((p) => p.variable.size);
  const paramOffsets: number[] = [];
  let P = 0;
  for (const s of paramSizes) {
    paramOffsets.push(P);
    P += s;
  }
  for (const p of params) {
    if (!paramIndex.has(p.name)) {
      throw new Error(`createDataParallelTrainer: parameter "${p.name}" is not one of the model's variables`);
    }
  }
  const weights = new Float32Array(new SharedArrayBuffer(4 * Math.max(1, totalWeights)));
  const grads = new Float32Array(new SharedArrayBuffer(4 * Math.max(1, (N - 1) * P)));
  const script = workerScript();

  const workers: Worker[] = [];
  const pending = new Map<number, Pending>();
  let failure: Error | undefined;
  let disposed = false;
  const fail = (w: number, error: Error): void => {
    failure ??= new Error(`data-parallel worker ${w}: ${error.message}`);
    const p = pending.get(w);
    pending.delete(w);
    p?.reject(failure);
  };
  const request = (w: number, message?: WorkerStep): Promise<WorkerReply> =>
    new Promise<WorkerReply>((resolve, reject) => {
      if (failure) {
        reject(failure);
        return;
      }
      pending.set(w, { resolve, reject });
      if (message) {
        const transfer = [message.batch.frames.buffer as ArrayBuffer];
        workers[w - 1]!.postMessage(message, transfer);
      }
    });

  const ready: Promise<WorkerReply>[] = [];
  for (let w = 1; w < N; w++) {
    const init: WorkerInit = {
      backend,
      slot: w - 1,
      model: {
        type: config.model.type,
        options: { ...config.model.options, seed: (config.model.options.seed ?? 0) + w },
      },
      objective: config.objective,
      variables: layout,
      params: params.map((p) => p.name),
      weights,
      grads,
    };
    const worker = new Worker(script, { workerData: init });
    workers.push(worker);
    worker.on('message', (reply: WorkerReply) => {
      if (reply.type === 'error') {
        fail(w, new Error(reply.message));
        return;
      }
      const p = pending.get(w);
      pending.delete(w);
      p?.resolve(reply);
    });
    worker.on('error', (error) => fail(w, error));
    worker.on('exit', (code) => {
      if (!disposed) fail(w, new Error(`the worker thread exited (code ${code})`));
    });
    ready.push(request(w));
  }
  const dispose = async (): Promise<void> => {
    if (disposed) return;
    disposed = true;
    await Promise.all(workers.map((w) => w.terminate()));
  };
  try {
    await Promise.all(ready);
  } catch (error) {
    await dispose();
    throw error;
  }

  let lastTimings: DataParallelStepTimings | undefined;
  const step = async (batch: StepBatch, options: DataParallelStepOptions): Promise<StepResult> => {
    if (disposed) throw new Error('data-parallel trainer: step after dispose');
    if (failure) throw failure;
    if (config.objective.kind === 'expression' && config.objective.robust && options.epoch === undefined) {
      throw new Error('data-parallel step: options.epoch is required with robust');
    }
    const B = batch.labels.length;
    const sizes = shardSizes(B, N);
    // Thread 0's variables (weights after the last update, BatchNorm running statistics) → every worker.
    const t0 = performance.now();
    const floats = variables.filter(([, v]) => v.dtype === 'float32').map(([, v]) => v);
    withFloat32Views(floats, (views) => {
      let k = 0;
      variables.forEach(([, v], i) => {
        if (v.dtype === 'float32') weights.set(views[k++]!, weightOffsets[i]!);
      });
    });
    variables.forEach(([, v], i) => {
      if (v.dtype !== 'float32') weights.set(v.dataSync(), weightOffsets[i]!);
    });
    const t1 = performance.now();
    const replies: Promise<WorkerReply>[] = [];
    let start = sizes[0]!;
    for (let w = 1; w < N; w++) {
      const n = sizes[w]!;
      if (n === 0) continue;
      replies.push(
        request(w, {
          type: 'step',
          batch: shardOf(batch, start, n),
          ...(options.epoch !== undefined ? { epoch: options.epoch } : {}),
        }),
      );
      start += n;
    }
    let own: StepGradients;
    try {
      own = localGradients(shardOf(batch, 0, sizes[0]!), options.epoch);
    } catch (error) {
      await Promise.allSettled(replies);
      throw error;
    }
    const tOwn = performance.now();
    let done: WorkerReply[];
    try {
      done = await Promise.all(replies);
    } catch (error) {
      tf.dispose(Object.values(own.grads));
      throw error;
    }
    const fractions = sizes.map((n) => n / B);
    const active = sizes.map((n, w) => (w > 0 && n > 0 ? w : 0)).filter((w) => w > 0);
    let lossValue = fractions[0]! * own.loss;
    const terms: Record<string, number> = {};
    for (const [k, v] of Object.entries(own.terms)) terms[k] = fractions[0]! * v;
    const present = params.map((p) => own.grads[p.name] !== undefined);
    done.forEach((reply, i) => {
      if (reply.type !== 'done') throw new Error(`data-parallel: unexpected reply ${reply.type}`);
      const f = fractions[i + 1]!;
      lossValue += f * reply.loss;
      for (const [k, v] of Object.entries(reply.terms)) terms[k] = (terms[k] ?? 0) + f * v;
      reply.present.forEach((has, j) => {
        if (has) present[j] = true;
      });
    });
    // g = Σ_w f_w · g_w, w = 0 … N−1 in order; float64 accumulation, one rounding to float32.
    const t2 = performance.now();
    const averaged: Record<string, tf.Tensor> = {};
    params.forEach((p, j) => {
      if (!present[j]) return;
      const size = paramSizes[j]!;
      const offset = paramOffsets[j]!;
      const ownGrad = own.grads[p.name];
      const f0 = fractions[0]!;
      // Written straight into the new tensor's memory, the own gradient read in place (no copies).
      averaged[p.name] = float32TensorFrom(p.variable.shape, ownGrad ? [ownGrad] : [], (out, [g0]) => {
        if (g0 && active.length === 1) {
          // The common case (two threads): one pass, the same float64 sum rounded once.
          const f1 = fractions[active[0]!]!;
          const base = (active[0]! - 1) * P + offset;
          for (let i = 0; i < size; i++) out[i] = f0 * g0[i]! + f1 * grads[base + i]!;
          return;
        }
        const acc = new Float64Array(size);
        if (g0) for (let i = 0; i < size; i++) acc[i] = f0 * g0[i]!;
        for (const w of active) {
          const f = fractions[w]!;
          const base = (w - 1) * P + offset;
          for (let i = 0; i < size; i++) acc[i] = acc[i]! + f * grads[base + i]!;
        }
        out.set(acc);
      });
    });
    tf.dispose(Object.values(own.grads));
    const t3 = performance.now();
    try {
      applyStepUpdate(optimizer, averaged, options.lr, options.clipGradNorm);
    } finally {
      tf.dispose(Object.values(averaged));
    }
    const t4 = performance.now();
    lastTimings = {
      copyWeightsMs: t1 - t0,
      ownShardMs: tOwn - t1,
      waitMs: t2 - tOwn,
      averageMs: t3 - t2,
      updateMs: t4 - t3,
    };
    let agreement: StepResult['agreement'];
    if (own.agreement) {
      const parts: StepAgreementAnalysis[] = [own.agreement.analysis];
      for (const reply of done) if (reply.type === 'done' && reply.agreement) parts.push(reply.agreement);
      agreement = { analysis: concatAnalyses(parts) };
    }
    return { loss: lossValue, terms, ...(agreement ? { agreement } : {}) };
  };

  return {
    workers: N,
    step,
    dispose,
    get lastStepTimings() {
      return lastTimings;
    },
  };
}

function concat<T extends Float32Array | Uint8Array | Int32Array>(parts: readonly T[]): T {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new (parts[0]!.constructor as new (n: number) => T)(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function concatAnalyses(parts: readonly StepAgreementAnalysis[]): StepAgreementAnalysis {
  return {
    agreement: concat(parts.map((p) => p.agreement)),
    partition: concat(parts.map((p) => p.partition)),
    weights: concat(parts.map((p) => p.weights)),
    relabel: concat(parts.map((p) => p.relabel)),
  };
}
