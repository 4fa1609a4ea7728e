// The one module of the project that imports onnxruntime-node: its types statically, the module itself
// (which opens its native binding) on the first session created.
import { realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import type * as ort from 'onnxruntime-node';
import { readRegularFile } from '../files/read-regular-file';
import { lazyModule } from '../modules/lazy-module';
import { readOnnxModelInfo } from '../onnx/read-onnx-model';
import type { OnnxExternalDataRef, OnnxModelInfo } from '../onnx/read-onnx-model';

/** onnxruntime-node, required by the first {@link createSession}. */
const loadOnnxRuntime = lazyModule(
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  () => require('onnxruntime-node') as typeof ort,
  {
    name: 'onnxruntime-node',
    neededBy: '@dfer/runtime',
    purpose: 'running ONNX models (createSession, exportOnnx, assertParity)',
    remedy:
      'It is a dependency of @dfer/runtime that ships its CPU binaries inside the package ' +
      '(Linux x64/arm64, macOS arm64, Windows x64/arm64): reinstall it for this platform.',
  },
);

/** A float32 tensor as plain data: row-major values and dimensions. */
export interface TensorData {
  data: Float32Array;
  dims: number[];
}

/** Build-time options of {@link createSession}. */
export interface SessionConfig {
  /** Intra-op threads (default 1; onnxruntime's own default uses every core). */
  threads?: number;
  /**
   * Warm-up: run once on zeros of this shape per input (dynamic dimensions taken from here), so
   * the first timed run does not pay for allocation. Default: no warm-up.
   */
  warmupShape?: number[];
  /** Largest model file read, in bytes (default: the largest Node.js buffer); checked before reading. */
  maxBytes?: number;
}

/** Per-call options of {@link runSession}. */
export interface RunOptions {
  /**
   * Split the inputs along dimension 0 into chunks of this many rows, run each, and concatenate the
   * outputs along dimension 0 (every output must have the batch as dimension 0). Default: one run.
   */
  batchSize?: number;
}

/** An onnxruntime-node session with its model's declared interface. */
export interface OnnxSession {
  /** The file it was loaded from, or `'<bytes>'`. */
  readonly source: string;
  /** Inputs, outputs and metadata read from the model file. */
  readonly model: OnnxModelInfo;
  /** Threads it runs with. */
  readonly threads: number;
  /** Frees the native session. */
  release(): Promise<void>;
  /** @internal the onnxruntime session. */
  readonly ortSession: ort.InferenceSession;
}

/**
 * Checks every external-data file of a model loaded from `modelPath`: its location must be relative,
 * without `..`, and resolve (after following links) inside the model's folder to a regular file long
 * enough for the tensor's offset and length.
 */
function checkExternalData(modelPath: string, refs: readonly OnnxExternalDataRef[]): void {
  const folder = dirname(resolve(modelPath));
  const realFolder = realpathSync.native(folder);
  for (const ref of refs) {
    const where = `${modelPath}: tensor "${ref.tensor}": external data ${JSON.stringify(ref.location)}`;
    const parts = ref.location.split(/[\\/]/);
    if (isAbsolute(ref.location) || /^[A-Za-z]:/.test(ref.location) || parts.includes('..')) {
      throw new Error(
        `${where} is outside the model's folder ${folder}; external data must lie in that folder or below it`,
      );
    }
    const file = resolve(folder, ref.location);
    let real: string;
    try {
      real = realpathSync.native(file);
    } catch {
      throw new Error(`${where}: ${file} not found (external data is looked up beside the model)`);
    }
    const rel = relative(realFolder, real);
    if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel))
      throw new Error(`${where} is a link to ${real}, outside the model's folder ${folder}`);
    const stat = statSync(real);
    if (!stat.isFile()) throw new Error(`${where}: ${file} is not a regular file`);
    const end = ref.offset + (ref.length ?? 0);
    if (end > stat.size)
      throw new Error(
        `${where}: bytes ${ref.offset}–${end} are past the end of ${file} (${stat.size} bytes)`,
      );
  }
}

/**
 * Loads an ONNX model into onnxruntime-node (cpu). The file is decoded first, so a corrupt file fails
 * with `"<path>: not a valid ONNX model (…)"`; a model onnxruntime rejects (unknown op, bad
 * attribute, type mismatch) fails with `"<path>: onnxruntime cannot load the model: …"`.
 *
 * A model whose tensors are stored in external data files (ONNX `data_location: EXTERNAL`, as large
 * models are saved) is loaded from its path, with the files beside it. Every external location must stay
 * inside the model's folder (no absolute path, no `..`, no link out of it) and be a regular file holding
 * the tensor's bytes; otherwise the error names the model, the tensor and the location. Bytes given
 * directly cannot have external data. The model file itself must be a regular file (a FIFO or device is
 * refused before reading) of at most `config.maxBytes`.
 */
export async function createSession(
  source: string | Uint8Array,
  config: SessionConfig = {},
): Promise<OnnxSession> {
  const threads = config.threads ?? 1;
  if (!Number.isSafeInteger(threads) || threads < 1) {
    throw new Error(`createSession: config.threads must be a positive integer, got ${threads}`);
  }
  const label = typeof source === 'string' ? source : '<bytes>';
  let bytes: Uint8Array;
  if (typeof source === 'string') {
    try {
      bytes = readRegularFile(source, config.maxBytes === undefined ? {} : { maxBytes: config.maxBytes });
    } catch (error) {
      throw new Error(`createSession: cannot read ${(error as Error).message}`);
    }
  } else {
    bytes = source;
  }
  const model = readOnnxModelInfo(bytes, label);
  if (model.externalData.length > 0) {
    if (typeof source !== 'string') {
      const locations = [...new Set(model.externalData.map((r) => r.location))].join(', ');
      throw new Error(
        `${label}: the model keeps tensors in external data files (${locations}); load it from its path so they are found beside it`,
      );
    }
    checkExternalData(source, model.externalData);
  }
  const runtime = loadOnnxRuntime();
  let ortSession: ort.InferenceSession;
  try {
    // With external data, onnxruntime reads the model from its path to find the files beside it.
    const options: ort.InferenceSession.SessionOptions = {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
    };
    ortSession =
      model.externalData.length > 0
        ? await runtime.InferenceSession.create(resolve(source as string), options)
        : await runtime.InferenceSession.create(bytes, options);
  } catch (error) {
    throw new Error(`${label}: onnxruntime cannot load the model: ${(error as Error).message}`);
  }
  const session: OnnxSession = {
    source: label,
    model,
    threads,
    ortSession,
    release: () => ortSession.release(),
  };
  if (config.warmupShape !== undefined) {
    const shape = config.warmupShape;
    const size = shape.reduce((p, d) => p * d, 1);
    const feeds = Object.fromEntries(
      model.inputs.map((i) => [i.name, { data: new Float32Array(size), dims: [...shape] }]),
    );
    await runSession(session, feeds);
  }
  return session;
}

function checkFeeds(session: OnnxSession, inputs: Readonly<Record<string, TensorData>>): void {
  const declared = session.model.inputs;
  const given = Object.keys(inputs);
  for (const spec of declared) {
    const feed = inputs[spec.name];
    if (feed === undefined) {
      throw new Error(
        `runSession(${session.source}): missing input "${spec.name}" (given: ${given.join(', ') || 'none'})`,
      );
    }
    const size = feed.dims.reduce((p, d) => p * d, 1);
    if (feed.data.length !== size) {
      throw new Error(
        `runSession(${session.source}): input "${spec.name}" has ${feed.data.length} values but dims [${feed.dims.join(', ')}] need ${size}`,
      );
    }
    if (spec.elemType !== 1)
      throw new Error(
        `runSession(${session.source}): input "${spec.name}" is not float32 (ONNX type ${spec.elemType})`,
      );
    if (spec.shape !== undefined) {
      if (spec.shape.length !== feed.dims.length) {
        throw new Error(
          `runSession(${session.source}): input "${spec.name}" must have rank ${spec.shape.length} [${spec.shape.join(', ')}], got [${feed.dims.join(', ')}]`,
        );
      }
      spec.shape.forEach((d, i) => {
        if (typeof d === 'number' && d > 0 && d !== feed.dims[i]) {
          throw new Error(
            `runSession(${session.source}): input "${spec.name}" dimension ${i} must be ${d} (model shape [${spec.shape?.join(', ')}]), got [${feed.dims.join(', ')}]`,
          );
        }
      });
    }
  }
  const unknown = given.filter((name) => !declared.some((s) => s.name === name));
  if (unknown.length > 0) {
    throw new Error(
      `runSession(${session.source}): unknown input(s) ${unknown.join(', ')} (model inputs: ${declared.map((s) => s.name).join(', ')})`,
    );
  }
}

async function runOnce(
  session: OnnxSession,
  inputs: Readonly<Record<string, TensorData>>,
): Promise<Record<string, TensorData>> {
  const { Tensor } = loadOnnxRuntime();
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, t] of Object.entries(inputs)) feeds[name] = new Tensor('float32', t.data, t.dims);
  let results: ort.InferenceSession.OnnxValueMapType;
  try {
    results = await session.ortSession.run(feeds);
  } catch (error) {
    throw new Error(`runSession(${session.source}): onnxruntime failed: ${(error as Error).message}`);
  }
  const out: Record<string, TensorData> = {};
  for (const [name, value] of Object.entries(results)) {
    const tensor = value as ort.Tensor;
    if (tensor.type !== 'float32')
      throw new Error(`runSession(${session.source}): output "${name}" is ${tensor.type}, expected float32`);
    out[name] = { data: Float32Array.from(tensor.data as Float32Array), dims: tensor.dims.map(Number) };
    tensor.dispose();
  }
  return out;
}

/**
 * Runs the model on float32 inputs (named as in the model), after checking names, ranks and fixed
 * dimensions against the model's declaration. With `options.batchSize`, runs chunks of that many rows
 * along dimension 0 and concatenates each output along dimension 0.
 */
export async function runSession(
  session: OnnxSession,
  inputs: Readonly<Record<string, TensorData>>,
  options: RunOptions = {},
): Promise<Record<string, TensorData>> {
  checkFeeds(session, inputs);
  const batchSize = options.batchSize;
  const entries = Object.entries(inputs);
  const total = entries[0]?.[1].dims[0] ?? 0;
  if (batchSize === undefined || entries.length === 0 || total <= batchSize) return runOnce(session, inputs);
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new Error(`runSession: options.batchSize must be a positive integer, got ${batchSize}`);
  }
  for (const [name, t] of entries) {
    if (t.dims[0] !== total)
      throw new Error(`runSession: input "${name}" has ${t.dims[0]} rows, expected ${total} like the others`);
  }
  const parts: Record<string, TensorData>[] = [];
  for (let start = 0; start < total; start += batchSize) {
    const rows = Math.min(batchSize, total - start);
    const chunk: Record<string, TensorData> = {};
    for (const [name, t] of entries) {
      const rowSize = t.data.length / total;
      chunk[name] = {
        data: t.data.subarray(start * rowSize, (start + rows) * rowSize),
        dims: [rows, ...t.dims.slice(1)],
      };
    }
    parts.push(await runOnce(session, chunk));
  }
  const first = parts[0] as Record<string, TensorData>;
  const out: Record<string, TensorData> = {};
  for (const name of Object.keys(first)) {
    const pieces = parts.map((p) => p[name] as TensorData);
    const rowsOut = pieces.reduce((s, p) => s + (p.dims[0] ?? 0), 0);
    if (rowsOut !== total) {
      throw new Error(
        `runSession: output "${name}" does not keep the batch in dimension 0; run without options.batchSize`,
      );
    }
    const data = new Float32Array(pieces.reduce((s, p) => s + p.data.length, 0));
    let offset = 0;
    for (const p of pieces) {
      data.set(p.data, offset);
      offset += p.data.length;
    }
    out[name] = { data, dims: [total, ...(pieces[0] as TensorData).dims.slice(1)] };
  }
  return out;
}
