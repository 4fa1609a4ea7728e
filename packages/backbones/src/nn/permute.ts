/** Typed-array axis permutation (used to convert PyTorch layouts without a tfjs transpose). */

/**
 * out = transpose(values, perm) for a row-major array of `shape` (out axis i = input axis perm[i]), with
 * incremental offsets instead of a per-element index decomposition: a typed-array loop, much faster than
 * a tfjs transpose on the cpu backend for paper-size weights.
 */
export function permuteValues<T extends Float32Array | Int32Array>(
  values: T,
  shape: readonly number[],
  perm: readonly number[],
): T {
  const rank = shape.length;
  const strides = new Array<number>(rank);
  let acc = 1;
  for (let i = rank - 1; i >= 0; i--) {
    strides[i] = acc;
    acc *= shape[i] as number;
  }
  const outShape = perm.map((p) => shape[p] as number);
  const outStrides = perm.map((p) => strides[p] as number); // input stride of each output axis
  const out = new (values.constructor as new (n: number) => T)(values.length);
  const index = new Array<number>(rank).fill(0);
  let src = 0;
  for (let dst = 0; dst < values.length; dst++) {
    out[dst] = values[src] as number;
    for (let axis = rank - 1; axis >= 0; axis--) {
      const i = (index[axis] as number) + 1;
      if (i < (outShape[axis] as number)) {
        index[axis] = i;
        src += outStrides[axis] as number;
        break;
      }
      index[axis] = 0;
      src -= (i - 1) * (outStrides[axis] as number);
    }
  }
  return out;
}
