/**
 * A DFER model exported by `dfer export-onnx` run on sliding windows of aligned face crops.
 */
import { createSession, readDferModelSpec, runSession, type OnnxSession } from '@dfer/runtime';
import { alignFace } from '../alignment/align-face';
import { EXPRESSION_LABELS } from '../detection/face-detector';
import type { RgbFrame } from '../types';

/** What the model file says about its input. */
export interface WindowModelSpec {
  readonly inputName: string;
  readonly logitsName: string;
  readonly frames: number;
  readonly height: number;
  readonly width: number;
  readonly mean: readonly number[];
  readonly std: readonly number[];
  /** The model's labels, in output order. */
  readonly labels: readonly string[];
}

/** A loaded window model: feed aligned crops per face track, read probabilities. */
export interface WindowExpressionModel {
  readonly spec: WindowModelSpec;
  /**
   * Adds the face's aligned crop for this frame to its track's window and returns P(expression) over
   * the last `frames` crops of that track (the first crop repeated while fewer have been seen), in
   * {@link EXPRESSION_LABELS} order; labels the model lacks get 0.
   */
  push(trackId: number, frame: RgbFrame, landmarks: ArrayLike<number>): Promise<Float64Array>;
  /** Forgets a track's window (call when the track has ended). */
  drop(trackId: number): void;
  release(): Promise<void>;
}

/** The model's clip interface (checked by `readDferModelSpec`), whose labels must all be DFEW labels. */
function parseSpec(session: OnnxSession, file: string): WindowModelSpec {
  const { inputName, logitsName, frames, height, width, mean, std, labels } = readDferModelSpec(
    session.model,
    `expression model ${file}`,
  );
  const unknown = labels.filter((l) => !EXPRESSION_LABELS.includes(l));
  if (unknown.length > 0) {
    throw new Error(
      `expression model ${file}: its labels ${unknown.join(', ')} are not among the DFEW labels ${EXPRESSION_LABELS.join(', ')} (expected a model written by \`dfer export-onnx\`)`,
    );
  }
  return { inputName, logitsName, frames, height, width, mean, std, labels };
}

/**
 * Loads a DFER model exported with `dfer export-onnx` (input `[batch, T, H, W, 3]` of normalised RGB,
 * labels in the `dfer.labels` metadata, mean/std in `dfer.normalization`). Crops are made with
 * {@link alignFace} at the model's H × W and normalised as (x − mean) / std.
 *
 * @throws Error naming the file when it is not such a model or its labels are not DFEW labels.
 */
export async function loadWindowExpressionModel(file: string): Promise<WindowExpressionModel> {
  const session = await createSession(file);
  let spec: WindowModelSpec;
  try {
    spec = parseSpec(session, file);
  } catch (error) {
    await session.release();
    throw error;
  }
  const cropSize = spec.height * spec.width * 3;
  const windows = new Map<number, Float32Array[]>();
  const columns = EXPRESSION_LABELS.map((l) => spec.labels.indexOf(l));
  return {
    spec,
    drop: (id) => void windows.delete(id),
    release: () => session.release(),
    async push(trackId, frame, landmarks) {
      const crop = alignFace(frame, landmarks, spec);
      for (let i = 0; i < crop.length; i++) {
        const ch = i % 3;
        crop[i] = ((crop[i] as number) - (spec.mean[ch] as number)) / (spec.std[ch] as number);
      }
      const window = windows.get(trackId) ?? [];
      window.push(crop);
      if (window.length > spec.frames) window.shift();
      windows.set(trackId, window);
      const input = new Float32Array(spec.frames * cropSize);
      const pad = spec.frames - window.length;
      for (let t = 0; t < spec.frames; t++)
        input.set(window[Math.max(0, t - pad)] as Float32Array, t * cropSize);
      const out = await runSession(session, {
        [spec.inputName]: { data: input, dims: [1, spec.frames, spec.height, spec.width, 3] },
      });
      const logits = out[spec.logitsName]?.data;
      if (logits === undefined || logits.length !== spec.labels.length)
        throw new Error(
          `expression model ${file}: output '${spec.logitsName}' does not have one value per label`,
        );
      const max = Math.max(...logits);
      const exp = Array.from(logits, (v) => Math.exp(v - max));
      const z = exp.reduce((a, b) => a + b, 0);
      return Float64Array.from(columns, (c) => (c < 0 ? 0 : (exp[c] as number) / z));
    },
  };
}
