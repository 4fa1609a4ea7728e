import { Worker } from 'node:worker_threads';
import type { ClipDataset, ClipGetOptions, ClipSample, VideoRecord } from '../clip-dataset';
import { DatasetInputError } from '../data-errors';

/** Build-time options of {@link createWorkerClipDataset}. */
export interface WorkerClipDatasetConfig {
  /**
   * Absolute path (or package name) of a CommonJS module that plain Node can `require` in a worker
   * thread, e.g. `require.resolve('@dfer/datasets')` or a user's compiled file.
   */
  readonly module: string;
  /** Export of that module: a function `(config) => ClipDataset | Promise<ClipDataset>`. */
  readonly exportName: string;
  /** Passed to the factory in every worker; must be structured-cloneable (plain data). */
  readonly config?: unknown;
  /** Number of worker threads (default 2). */
  readonly workers?: number;
}

/** A {@link ClipDataset} whose `get` runs in worker threads; `close` stops them. */
export interface WorkerClipDataset extends ClipDataset {
  readonly workers: number;
  close(): Promise<void>;
}

// Runs in each worker: builds the dataset once, then serves get() requests. Plain JavaScript so it
// needs no build step or TypeScript loader.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const toPlainError = (e) => ({ name: e && e.name, message: String(e && e.message || e), file: e && e.file });
(async () => {
  let dataset;
  try {
    const mod = require(workerData.module);
    const factory = mod[workerData.exportName];
    if (typeof factory !== 'function') throw new Error(workerData.module + ' has no function export ' + workerData.exportName);
    dataset = await factory(workerData.config);
    const records = [];
    for (let i = 0; i < dataset.length; i++) records.push(dataset.record(i));
    parentPort.postMessage({ type: 'ready', length: dataset.length, labelNames: dataset.labelNames, auNames: dataset.auNames, records });
  } catch (e) {
    parentPort.postMessage({ type: 'init-error', error: toPlainError(e) });
    return;
  }
  parentPort.on('message', async (msg) => {
    try {
      const sample = await dataset.get(msg.index, msg.options);
      const transfer = [sample.frames.buffer];
      if (sample.aus) transfer.push(sample.aus.buffer);
      parentPort.postMessage({ type: 'sample', id: msg.id, sample }, transfer);
    } catch (e) {
      parentPort.postMessage({ type: 'error', id: msg.id, error: toPlainError(e) });
    }
  });
})();
`;

interface Ready {
  type: 'ready';
  length: number;
  labelNames: string[];
  auNames?: string[];
  records: VideoRecord[];
}
interface PlainError {
  name?: string;
  message: string;
  file?: string;
}
type WorkerMessage =
  | Ready
  | { type: 'init-error'; error: PlainError }
  | { type: 'sample'; id: number; sample: ClipSample }
  | { type: 'error'; id: number; error: PlainError };

function rebuildError(error: PlainError): Error {
  if (error.name === 'DatasetInputError' && error.file !== undefined) {
    const prefix = `${error.file}: `;
    return new DatasetInputError(
      error.file,
      error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message,
    );
  }
  const e = new Error(error.message);
  if (error.name !== undefined) e.name = error.name;
  return e;
}

/**
 * Runs a dataset in worker threads: every worker builds its own copy with `module[exportName](config)`,
 * and `get` requests go to the worker with the fewest pending requests. The dataset must be a
 * deterministic function of `(index, options)` — the loader decides all randomness (frame indices,
 * augmentation seeds) on the main thread — so results do not depend on which worker ran them.
 * Frames come back as transferred buffers (no copy). `DatasetInputError`s keep their file name.
 *
 * @throws Error naming the module and export when a worker cannot build the dataset.
 */
export async function createWorkerClipDataset(config: WorkerClipDatasetConfig): Promise<WorkerClipDataset> {
  const count = config.workers ?? 2;
  if (!Number.isInteger(count) || count < 1)
    throw new RangeError(`createWorkerClipDataset: config.workers must be a positive integer, got ${count}`);
  const workerData = { module: config.module, exportName: config.exportName, config: config.config };
  const pending = new Map<
    number,
    { resolve: (s: ClipSample) => void; reject: (e: Error) => void; worker: number }
  >();
  const load = new Array<number>(count).fill(0);
  let nextId = 0;
  const workers: Worker[] = [];
  const readies: Promise<Ready>[] = [];
  for (let w = 0; w < count; w++) {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData });
    workers.push(worker);
    readies.push(
      new Promise<Ready>((resolve, reject) => {
        worker.on('message', (msg: WorkerMessage) => {
          if (msg.type === 'ready') resolve(msg);
          else if (msg.type === 'init-error') {
            reject(
              new Error(
                `createWorkerClipDataset: ${config.module} → ${config.exportName}(config) failed in a worker: ${msg.error.message}`,
              ),
            );
          } else {
            const job = pending.get(msg.id);
            if (job === undefined) return;
            pending.delete(msg.id);
            load[job.worker] = (load[job.worker] as number) - 1;
            if (msg.type === 'sample') job.resolve(msg.sample);
            else job.reject(rebuildError(msg.error));
          }
        });
        worker.on('error', (error) => {
          reject(error);
          for (const [id, job] of pending) {
            if (job.worker === w) {
              pending.delete(id);
              job.reject(error);
            }
          }
        });
      }),
    );
  }
  let ready: Ready;
  try {
    ready = (await Promise.all(readies))[0] as Ready;
  } catch (error) {
    await Promise.all(workers.map((w) => w.terminate()));
    throw error;
  }
  const records = ready.records;
  const base = {
    length: ready.length,
    labelNames: ready.labelNames,
    workers: count,
    record(index: number): VideoRecord {
      const r = records[index];
      if (r === undefined || !Number.isInteger(index))
        throw new RangeError(`worker dataset: index ${index} is outside [0, ${records.length - 1}]`);
      return r;
    },
    get(index: number, options: ClipGetOptions = {}): Promise<ClipSample> {
      let w = 0;
      for (let k = 1; k < count; k++) if ((load[k] as number) < (load[w] as number)) w = k;
      const id = nextId++;
      load[w] = (load[w] as number) + 1;
      return new Promise<ClipSample>((resolve, reject) => {
        pending.set(id, { resolve, reject, worker: w });
        (workers[w] as Worker).postMessage({ id, index, options });
      });
    },
    async close(): Promise<void> {
      for (const [id, job] of pending) {
        pending.delete(id);
        job.reject(new Error(`worker dataset closed before sample request ${id} finished`));
      }
      await Promise.all(workers.map((worker) => worker.terminate()));
    },
  };
  return ready.auNames === undefined ? base : { ...base, auNames: ready.auNames };
}
