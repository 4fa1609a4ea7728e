import { atomicWriteFile } from '../files/atomic-write';
import { createSession, runSession } from '../inference/onnx-session';
import type { ExportableModel } from './exportable';
import { OnnxGraph } from './onnx-graph';
import type { OnnxDim, StaticShape } from './onnx-graph';

/** Options of {@link exportOnnx}. */
export interface ExportOnnxOptions {
  /** Input shape; string dimensions are dynamic (e.g. `['batch', 16, 112, 112, 3]`). */
  inputShape: readonly OnnxDim[];
  /** Model name stored in the metadata (`dfer.model`). */
  modelName: string;
  /** Preset stored in the metadata (`dfer.preset`), e.g. `'tiny'`. */
  preset?: string;
  /** Label set, in output index order, stored as JSON (`dfer.labels`). */
  labels?: readonly string[];
  /** Input layout stored in the input spec, e.g. `'NTHWC'` (default: not stated). */
  inputLayout?: string;
  /** Name of the graph input (default `'input'`). */
  inputName?: string;
  /** Name of the output when `toOnnx` returns a single value (default `'output'`). */
  outputName?: string;
  /** Write the model here (atomically: a temporary file renamed over `path`; the folder must exist). */
  path?: string;
  /** Further metadata entries. */
  metadata?: Readonly<Record<string, string>>;
  /**
   * Check `inputShape` against the model's `inputSpec` (default `true`). `false` exports at another clip
   * size, for models whose layers accept it (e.g. a fully convolutional network checked at a small size).
   */
  checkInputSpec?: boolean;
}

/** What {@link exportOnnx} produced. */
export interface OnnxExport {
  bytes: Uint8Array;
  /** Where it was written, when `path` was given. */
  path?: string;
  inputName: string;
  /** Output names and their shapes (dynamic dimensions named after the input's). */
  outputs: Record<string, OnnxDim[]>;
  /** The metadata stored in the file. */
  metadata: Record<string, string>;
}

function buildGraph(
  model: ExportableModel,
  options: ExportOnnxOptions,
  metadata: Record<string, string>,
  outputShapes?: Record<string, OnnxDim[]>,
  shapeAnswers?: ReadonlyArray<StaticShape | undefined>,
): { graph: OnnxGraph; outputs: string[] } {
  const graph = new OnnxGraph(options.modelName);
  if (shapeAnswers !== undefined) graph.answerShapeQuestions(shapeAnswers);
  const input = graph.addInput(options.inputName ?? 'input', options.inputShape);
  const result = model.toOnnx(graph, input);
  const named: Record<string, string> =
    typeof result === 'string' ? { [options.outputName ?? 'output']: result } : { ...result };
  if (Object.keys(named).length === 0)
    throw new Error(`exportOnnx(${options.modelName}): toOnnx returned no outputs`);
  for (const [name, value] of Object.entries(named)) graph.addOutput(value, name, outputShapes?.[name]);
  for (const [key, value] of Object.entries(metadata)) graph.setMetadata(key, value);
  return { graph, outputs: Object.keys(named) };
}

const SPEC_AXES = ['frames', 'height', 'width', 'channels'] as const;

/**
 * When the model states its input (`inputSpec`), `inputShape` must be `[batch, frames, height, width,
 * channels]` with those sizes (a named, dynamic batch is fine; the other axes must be the spec's numbers).
 */
function checkInputShape(model: ExportableModel, options: ExportOnnxOptions): void {
  const spec = model.inputSpec;
  if (spec === undefined || options.checkInputSpec === false) return;
  const expected: OnnxDim[] = ['batch', ...SPEC_AXES.map((axis) => spec[axis])];
  const shape = options.inputShape;
  const show = (dims: readonly OnnxDim[]) => `[${dims.join(', ')}]`;
  const preset = options.preset === undefined ? '' : ` (preset '${options.preset}')`;
  const problems: string[] = [];
  if (shape.length !== 5) problems.push(`it has ${shape.length} dimensions, the model takes 5`);
  else {
    SPEC_AXES.forEach((axis, i) => {
      const given = shape[i + 1]!;
      if (given === spec[axis]) return;
      const shown = typeof given === 'string' ? `dynamic ('${given}')` : String(given);
      problems.push(`${axis} is ${shown}, the model takes ${spec[axis]}`);
    });
  }
  if (problems.length > 0) {
    throw new Error(
      `exportOnnx(${options.modelName}): inputShape ${show(shape)} does not match the model's input ` +
        `${show(expected)}${preset}: ${problems.join('; ')}`,
    );
  }
}

/**
 * Exports a model to an ONNX file (opset 17). The model lowers itself through its `toOnnx`; the file's
 * metadata carries `dfer.model`, `dfer.preset`, `dfer.labels` (JSON array) and `dfer.input` (JSON
 * `{ name, shape, layout }`), plus `options.metadata`. Output shapes are found by running the graph in
 * onnxruntime twice with every dynamic input dimension set to 1 and then 2: output dimensions that
 * change become the input's dimension name, the others are fixed. This also checks that onnxruntime
 * loads and runs the exported graph.
 *
 * @throws Error naming both shapes when the model has an `inputSpec` and `options.inputShape` does not
 *   match it (before anything is built or run).
 */
export async function exportOnnx(model: ExportableModel, options: ExportOnnxOptions): Promise<OnnxExport> {
  checkInputShape(model, options);
  const inputName = options.inputName ?? 'input';
  const dynamic = options.inputShape.filter((d): d is string => typeof d === 'string');
  const metadata: Record<string, string> = {
    'dfer.model': options.modelName,
    'dfer.input': JSON.stringify({
      name: inputName,
      shape: options.inputShape,
      layout: options.inputLayout ?? null,
    }),
    ...(options.preset === undefined ? {} : { 'dfer.preset': options.preset }),
    ...(options.labels === undefined ? {} : { 'dfer.labels': JSON.stringify(options.labels) }),
    ...options.metadata,
  };
  const draft = buildGraph(model, options, metadata);
  // The values the lowering asked the shape of become extra outputs of the draft.
  const questions = draft.graph.shapeQuestions.map((value, k) =>
    draft.graph.addOutput(value, draft.graph.uniqueName(`shape_question_${k}`)),
  );
  const session = await createSession(draft.graph.toBytes(), { threads: 1 });
  const runs: Record<string, number[]>[] = [];
  try {
    for (const size of [1, 2]) {
      const dims = options.inputShape.map((d) => (typeof d === 'string' ? size : d));
      const data = new Float32Array(dims.reduce((p, d) => p * d, 1));
      const out = await runSession(session, { [inputName]: { data, dims } });
      runs.push(Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.dims])));
      if (dynamic.length === 0) break;
    }
  } finally {
    await session.release();
  }
  const [one, two] = runs as [Record<string, number[]>, Record<string, number[]> | undefined];
  // The sizes of `name` in the run at batch 1, `undefined` where the run at batch 2 differs.
  const staticDims = (name: string): StaticShape => {
    const b = two?.[name];
    return (one[name] ?? []).map((d, i) => (b === undefined || b[i] === d ? d : undefined));
  };
  const outputs: Record<string, OnnxDim[]> = {};
  for (const name of draft.outputs) {
    outputs[name] = staticDims(name).map(
      (d, i) => d ?? (dynamic.length === 1 ? (dynamic[0] as string) : `${name}_dim${i}`),
    );
  }
  const answers = questions.map(staticDims);
  const final = buildGraph(model, options, metadata, outputs, answers);
  if (final.graph.shapeQuestions.length !== answers.length) {
    throw new Error(
      `exportOnnx(${options.modelName}): the lowering asked ${final.graph.shapeQuestions.length} static shapes in its second build, ${answers.length} in its first (it must ask the same questions whatever the answers)`,
    );
  }
  const bytes = final.graph.toBytes();
  if (options.path !== undefined) atomicWriteFile(options.path, bytes);
  return {
    bytes,
    ...(options.path === undefined ? {} : { path: options.path }),
    inputName,
    outputs,
    metadata,
  };
}
