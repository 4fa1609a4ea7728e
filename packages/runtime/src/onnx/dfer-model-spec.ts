import type { OnnxModelInfo } from './read-onnx-model';

/**
 * What a DFER model exported by `exportOnnx` / `dfer export-onnx` takes and returns, read from its ONNX
 * interface and `dfer.*` metadata (see {@link readDferModelSpec}).
 */
export interface DferModelSpec {
  /** `dfer.model`, e.g. `'former_dfer'`. */
  readonly model: string;
  /** `dfer.preset`, e.g. `'tiny'` (`undefined` when not stated). */
  readonly preset: string | undefined;
  /** `dfer.labels`: class names in logit order. */
  readonly labels: readonly string[];
  /** Name of the clip input. */
  readonly inputName: string;
  /** Name of the class-logit output (`logits`, else the first output). */
  readonly logitsName: string;
  /** Clip size: `[batch, frames, height, width, 3]` channels-last RGB. */
  readonly frames: number;
  readonly height: number;
  readonly width: number;
  /** `dfer.normalization`: per-channel mean / std applied to [0, 1] RGB (0 and 1 when not stated). */
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
}

/**
 * Reads the clip interface of a DFER model file: the input must be `[batch, T, H, W, 3]` with fixed T, H, W,
 * `dfer.labels` a JSON list of names (as many as the logits), and `dfer.normalization` (when present) JSON
 * `{ mean: [r, g, b], std: [r, g, b] }` with std > 0.
 *
 * @param label - names the file in errors (e.g. its path).
 * @throws Error `"<label>: <what is wrong> (expected a model written by dfer export-onnx)"`.
 */
export function readDferModelSpec(info: OnnxModelInfo, label = 'model'): DferModelSpec {
  const fail = (why: string): never => {
    throw new Error(`${label}: ${why} (expected a model written by dfer export-onnx)`);
  };
  const meta = info.metadata;
  const json = (key: string): unknown => {
    const text = meta[key];
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return fail(`metadata ${key} is not JSON`);
    }
  };
  const model = meta['dfer.model'] ?? fail('it has no dfer metadata (dfer.model is missing)');
  const labels = json('dfer.labels');
  if (!Array.isArray(labels) || labels.length === 0 || !labels.every((l) => typeof l === 'string')) {
    fail('metadata dfer.labels is missing or not a JSON list of class names');
  }
  const input = info.inputs[0] ?? fail('it has no input');
  const shape = input.shape ?? fail(`input '${input.name}' declares no shape`);
  const [, frames, height, width, channels] = shape;
  if (
    shape.length !== 5 ||
    typeof frames !== 'number' ||
    typeof height !== 'number' ||
    typeof width !== 'number' ||
    channels !== 3
  ) {
    fail(`input '${input.name}' has shape [${shape.join(', ')}], not [batch, T, H, W, 3] with fixed T, H, W`);
  }
  const logits = info.outputs.find((o) => o.name === 'logits') ?? info.outputs[0] ?? fail('it has no output');
  const classes = logits.shape?.[1];
  if (typeof classes === 'number' && classes !== (labels as string[]).length) {
    fail(
      `output '${logits.name}' has ${classes} classes but dfer.labels names ${(labels as string[]).length}`,
    );
  }
  const norm = json('dfer.normalization');
  const triple = (key: 'mean' | 'std', fallback: number): [number, number, number] => {
    if (norm === undefined) return [fallback, fallback, fallback];
    const v = (norm as Record<string, unknown> | null)?.[key];
    if (!Array.isArray(v) || v.length !== 3 || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      return fail(`metadata dfer.normalization.${key} is not a list of 3 finite numbers`);
    }
    return v as [number, number, number];
  };
  const mean = triple('mean', 0);
  const std = triple('std', 1);
  if (!std.every((s) => s > 0)) fail('metadata dfer.normalization.std has a value ≤ 0');
  return {
    model,
    preset: meta['dfer.preset'],
    labels: labels as string[],
    inputName: input.name,
    logitsName: logits.name,
    frames: frames as number,
    height: height as number,
    width: width as number,
    mean,
    std,
  };
}
