import * as tf from '@tensorflow/tfjs-core';

/** Options of {@link checkGradients}. */
export interface CheckGradientsOptions {
  /** Finite-difference step (default `1e-3`). */
  eps?: number;
  /** Relative tolerance (default `1e-2`). */
  rtol?: number;
  /** Absolute tolerance (default `1e-3`). */
  atol?: number;
  /**
   * Check at most this many elements per input (default: all). Larger inputs are checked at the evenly
   * spaced flat indices `⌊k·n/max⌋`, k = 0…max−1; the report counts the elements left unchecked.
   */
  maxElementsPerInput?: number;
}

/** One input element whose analytic and numeric gradients disagree. */
export interface GradientMismatch {
  /** Index of the input in `inputs`. */
  input: number;
  /** Flat element index inside that input. */
  element: number;
  analytic: number;
  numeric: number;
}

/** Result of {@link checkGradients}. */
export interface GradientCheckReport {
  /** Number of input elements compared. */
  checked: number;
  /** Number of input elements not compared because of `maxElementsPerInput` (0 by default). */
  unchecked: number;
  /** Largest `|analytic − numeric|`. */
  maxAbsError: number;
  /** Largest `|analytic − numeric| / max(|analytic|, |numeric|, atol)`. */
  maxRelError: number;
  /** Elements outside the tolerance (empty when the check passed). */
  mismatches: GradientMismatch[];
}

/**
 * Fixed cotangent weights `w_i = cos(0.7·i + 0.3)` that reduce a non-scalar output to a scalar, so that
 * every output element contributes with a distinct, deterministic weight.
 */
function cotangent(size: number): Float32Array {
  const w = new Float32Array(size);
  for (let i = 0; i < size; i++) w[i] = Math.cos(0.7 * i + 0.3);
  return w;
}

/**
 * Compares the gradients tfjs computes for `fn` with central finite differences, on the active backend.
 *
 * The scalar checked is `L(x) = Σ_i w_i · fn(x)_i` with fixed weights `w_i = cos(0.7·i + 0.3)` (for a
 * scalar output, `w = cos(0.3)`). For every element `x_j` of every input (or the evenly spaced
 * subset chosen by `maxElementsPerInput`),
 * numeric `∂L/∂x_j ≈ (L(x + eps·e_j) − L(x − eps·e_j)) / (2·eps)` is compared with tfjs's analytic
 * gradient (`tf.grads`); an element passes when `|analytic − numeric| ≤ atol + rtol · max(|analytic|, |numeric|)`.
 * Evaluations run in float32, so choose `eps` near `1e-3` and keep inputs O(1); functions with kinks
 * (relu, max) need inputs away from them.
 *
 * Throws an error naming the first mismatching input/element when any element fails; otherwise returns
 * the report. Disposes every tensor it creates.
 */
export function checkGradients(
  fn: (...inputs: tf.Tensor[]) => tf.Tensor,
  inputs: readonly tf.Tensor[],
  options: CheckGradientsOptions = {},
): GradientCheckReport {
  const eps = options.eps ?? 1e-3;
  const rtol = options.rtol ?? 1e-2;
  const atol = options.atol ?? 1e-3;
  if (!(eps > 0)) throw new Error(`checkGradients: options.eps must be > 0, got ${eps}`);
  if (!(rtol >= 0) || !(atol >= 0))
    throw new Error(`checkGradients: options.rtol and options.atol must be >= 0`);
  const maxElements = options.maxElementsPerInput ?? Number.POSITIVE_INFINITY;
  if (!(maxElements >= 1)) {
    throw new Error(
      `checkGradients: options.maxElementsPerInput must be >= 1, got ${options.maxElementsPerInput}`,
    );
  }
  if (inputs.length === 0) throw new Error('checkGradients: inputs must hold at least one tensor');
  inputs.forEach((x, i) => {
    if (x.dtype !== 'float32')
      throw new Error(`checkGradients: inputs[${i}] must be float32, got ${x.dtype}`);
  });

  const weights = tf.tidy(() => {
    const probe = fn(...inputs);
    return tf.tensor(cotangent(probe.size), probe.shape, 'float32');
  });
  const scalar = (...xs: tf.Tensor[]): tf.Scalar => tf.sum(tf.mul(fn(...xs), weights));
  try {
    const analytic = tf.tidy(() =>
      tf
        .grads(scalar)([...inputs])
        .map((g) => g.dataSync().slice()),
    );
    const values = inputs.map((x) => x.dataSync().slice() as Float32Array);
    const evaluate = (index: number, data: Float32Array): number =>
      tf.tidy(() => {
        const xs = inputs.map((x, i) => (i === index ? tf.tensor(data, x.shape, 'float32') : x));
        return scalar(...xs).dataSync()[0] as number;
      });
    const report: GradientCheckReport = {
      checked: 0,
      unchecked: 0,
      maxAbsError: 0,
      maxRelError: 0,
      mismatches: [],
    };
    values.forEach((base, index) => {
      const data = base.slice();
      const grad = analytic[index] as Float32Array;
      const n = data.length;
      const count = Math.min(n, Math.floor(maxElements));
      report.unchecked += n - count;
      for (let k = 0; k < count; k++) {
        const j = count === n ? k : Math.floor((k * n) / count);
        const x0 = base[j] as number;
        data[j] = x0 + eps;
        const up = evaluate(index, data);
        data[j] = x0 - eps;
        const down = evaluate(index, data);
        data[j] = x0;
        const numeric = (up - down) / (2 * eps);
        const a = grad[j] as number;
        const diff = Math.abs(a - numeric);
        const scale = Math.max(Math.abs(a), Math.abs(numeric));
        report.checked++;
        report.maxAbsError = Math.max(report.maxAbsError, diff);
        report.maxRelError = Math.max(report.maxRelError, diff / Math.max(scale, atol));
        if (!(diff <= atol + rtol * scale))
          report.mismatches.push({ input: index, element: j, analytic: a, numeric });
      }
    });
    const first = report.mismatches[0];
    if (first !== undefined) {
      throw new Error(
        `checkGradients: ${report.mismatches.length} of ${report.checked} checked gradient elements differ from central ` +
          `finite differences (eps=${eps}, rtol=${rtol}, atol=${atol}); first: inputs[${first.input}] element ` +
          `${first.element}: analytic ${first.analytic}, numeric ${first.numeric}`,
      );
    }
    return report;
  } finally {
    weights.dispose();
  }
}
