import * as tf from '@tensorflow/tfjs-core';
import { exportOnnx } from '../onnx/export-onnx';
import type { ExportableModel } from '../onnx/exportable';
import { createSession, runSession } from './onnx-session';

/** A model with a tfjs forward pass and an ONNX lowering. */
export interface ParityModel extends ExportableModel {
  forward(input: tf.Tensor): tf.Tensor | Readonly<Record<string, tf.Tensor | undefined>>;
}

/** Per-call options of {@link assertParity}. */
export interface ParityOptions {
  /** Relative tolerance (default `1e-4`). */
  rtol?: number;
  /** Absolute tolerance (default `1e-4`). */
  atol?: number;
  /** onnxruntime threads (default 1). */
  threads?: number;
}

/** Comparison of one output. */
export interface OutputParity {
  name: string;
  shape: number[];
  /** Largest `|tfjs − onnx|` and where it occurs (flat index). */
  maxAbsDiff: number;
  index: number;
  tfjs: number;
  onnx: number;
}

/** Result of {@link assertParity}. */
export interface ParityReport {
  outputs: OutputParity[];
  /** Largest difference over all outputs. */
  maxAbsDiff: number;
}

/**
 * Runs the tfjs forward and the ONNX forward (the model exported with a dynamic batch dimension and run
 * in onnxruntime-node) on the same input and compares every output: an element passes when
 * `|tfjs − onnx| ≤ atol + rtol · |tfjs|` (numpy's `allclose` rule). Throws an error naming the output,
 * the element and both values when one fails (or when shapes differ); otherwise returns the largest
 * differences. Disposes every tensor it creates.
 */
export async function assertParity(
  model: ParityModel,
  input: tf.Tensor,
  options: ParityOptions = {},
): Promise<ParityReport> {
  const rtol = options.rtol ?? 1e-4;
  const atol = options.atol ?? 1e-4;
  const expected = tf.tidy(() => {
    const out = model.forward(input);
    const named = out instanceof tf.Tensor ? { output: out } : out;
    return Object.fromEntries(
      Object.entries(named)
        .filter((e): e is [string, tf.Tensor] => e[1] !== undefined)
        .map(([k, t]) => [k, { data: t.dataSync() as Float32Array, shape: [...t.shape] }]),
    );
  });
  const exported = await exportOnnx(model, {
    inputShape: ['batch', ...input.shape.slice(1)],
    modelName: 'parity',
    outputName: 'output',
    // Parity is checked at the sample's size, which may differ from the size the model was built for.
    checkInputSpec: false,
  });
  const session = await createSession(exported.bytes, { threads: options.threads ?? 1 });
  let actual: Awaited<ReturnType<typeof runSession>>;
  try {
    actual = await runSession(session, {
      input: { data: Float32Array.from(input.dataSync()), dims: [...input.shape] },
    });
  } finally {
    await session.release();
  }
  const report: ParityReport = { outputs: [], maxAbsDiff: 0 };
  for (const name of Object.keys(actual)) {
    const ref = expected[name];
    const got = actual[name];
    if (ref === undefined || got === undefined) {
      throw new Error(
        `assertParity: ONNX output "${name}" has no tfjs counterpart (tfjs outputs: ${Object.keys(expected).join(', ')})`,
      );
    }
    if (ref.shape.join(',') !== got.dims.join(',')) {
      throw new Error(
        `assertParity: output "${name}" has shape [${ref.shape.join(', ')}] in tfjs but [${got.dims.join(', ')}] in ONNX`,
      );
    }
    const entry: OutputParity = {
      name,
      shape: ref.shape,
      maxAbsDiff: 0,
      index: -1,
      tfjs: Number.NaN,
      onnx: Number.NaN,
    };
    for (let i = 0; i < ref.data.length; i++) {
      const a = ref.data[i] as number;
      const b = got.data[i] as number;
      const diff = Math.abs(a - b);
      if (!(diff <= atol + rtol * Math.abs(a))) {
        throw new Error(
          `assertParity: output "${name}" element ${i} differs: tfjs ${a}, onnx ${b} (|diff| ${diff} > atol ${atol} + rtol ${rtol}·|tfjs|)`,
        );
      }
      if (diff > entry.maxAbsDiff || entry.index < 0)
        Object.assign(entry, { maxAbsDiff: diff, index: i, tfjs: a, onnx: b });
    }
    report.outputs.push(entry);
    report.maxAbsDiff = Math.max(report.maxAbsDiff, entry.maxAbsDiff);
  }
  return report;
}
