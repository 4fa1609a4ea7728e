// The one module of the project that imports onnxruntime-node.
import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { readOnnxModelInfo } from '../onnx/read-onnx-model';
import type { OnnxModelInfo } from '../onnx/read-onnx-model';

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
 * Loads an ONNX model into onnxruntime-node (cpu). The file is decoded first, so a corrupt file fails
 * with `"<path>: not a valid ONNX model (…)"`; a model onnxruntime rejects (unknown op, bad
 * attribute, type mismatch) fails with `"<path>: onnxruntime cannot load the model: …"`.
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
      bytes = await readFile(source);
    } catch (error) {
      throw new Error(`createSession: cannot read ${source}: ${(error as Error).message}`);
    }
  } else {
    bytes = source;
  }
  const model = readOnnxModelInfo(bytes, label);
  let ortSession: ort.InferenceSession;
  try {
    ortSession = await ort.InferenceSession.create(bytes, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
    });
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
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, t] of Object.entries(inputs)) feeds[name] = new ort.Tensor('float32', t.data, t.dims);
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
