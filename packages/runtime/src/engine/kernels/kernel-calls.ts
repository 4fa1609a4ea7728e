import { util } from '@tensorflow/tfjs-core';
import type { NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';

import { disposeInfos, requireKernel, type AnyBackend } from '../backend-io';

/**
 * Calls other kernels of one backend from inside a kernel and keeps the temporaries they return, so a kernel
 * built from others rearranges its operands with the backend's own kernels (on wasm: `Transpose`, `PadV2`,
 * `StridedSlice` and `Reverse` in C++, `Add` in XNNPACK) — the data never leaves the backend's memory — and
 * frees every temporary in one place. Use one instance per kernel call, through {@link withKernelCalls}:
 *
 * ```ts
 * return withKernelCalls(args.backend, 'wasm', 'Conv3D kernels', (calls) =>
 *   calls.release(calls.call('Conv2D', { x, filter }, attrs)),
 * );
 * ```
 */
export class KernelCalls {
  private readonly owned: TensorInfo[] = [];

  /**
   * @param backend - the backend of the calling kernel.
   * @param backendName - its registered name (the kernels called are looked up there).
   * @param who - the caller, named in the error when a kernel is missing.
   */
  constructor(
    readonly backend: AnyBackend,
    private readonly backendName: string,
    private readonly who: string,
  ) {}

  /** Runs kernel `name` and keeps its output as a temporary. */
  call(name: string, inputs: NamedTensorInfoMap, attrs: object = {}): TensorInfo {
    const kernel = requireKernel(name, this.backendName, this.who);
    const out = kernel({ inputs, backend: this.backend, attrs: attrs as NamedAttrMap }) as TensorInfo;
    this.owned.push(out);
    return out;
  }

  /** `x`'s data seen with another shape of the same size (no copy, nothing to free). */
  view(x: TensorInfo, shape: readonly number[]): TensorInfo {
    if (util.sizeFromShape([...shape]) !== util.sizeFromShape(x.shape)) {
      throw new Error(`${this.who}: cannot view [${x.shape.join(', ')}] as [${shape.join(', ')}]`);
    }
    return { dataId: x.dataId, dtype: x.dtype, shape: [...shape] };
  }

  /** `x` transposed by `perm` (`x` itself when `perm` keeps the order). */
  transpose(x: TensorInfo, perm: readonly number[]): TensorInfo {
    if (perm.every((axis, i) => axis === i)) return x;
    return this.call('Transpose', { x }, { perm: [...perm] });
  }

  /** `x` with zeros before and after each axis (`x` itself when every padding is 0). */
  pad(x: TensorInfo, paddings: ReadonlyArray<readonly [number, number]>): TensorInfo {
    if (paddings.every(([before, after]) => before === 0 && after === 0)) return x;
    return this.call('PadV2', { x }, { paddings: paddings.map((p) => [...p]), constantValue: 0 });
  }

  /** `x` reversed along `axes`. */
  reverse(x: TensorInfo, axes: readonly number[]): TensorInfo {
    return this.call('Reverse', { x }, { dims: [...axes] });
  }

  /** `a + b` (same shapes). */
  add(a: TensorInfo, b: TensorInfo): TensorInfo {
    return this.call('Add', { a, b });
  }

  /**
   * Frames of `x` `[A, L, B]` along its middle axis: `out[:, k] = x[:, start + k·step]` for k < `count`, zeros
   * where `start + k·step` lies outside [0, L).
   */
  frames(x: TensorInfo, start: number, count: number, step: number): TensorInfo {
    const [outer, length, inner] = x.shape as [number, number, number];
    const front = Math.max(0, -start);
    const first = start + front;
    const needed = first + (count - 1) * step + 1;
    if (step === 1) {
      const padded = this.pad(x, [
        [0, 0],
        [front, Math.max(0, needed - length - front)],
        [0, 0],
      ]);
      if (first === 0 && count === padded.shape[1]) return padded;
      return this.call('Slice', { x: padded }, { begin: [0, first, 0], size: [outer, count, inner] });
    }
    // Padded to a whole number of rows of `step` frames ([A, rows, step, B]), the wanted frames are column
    // `phase` of `count` consecutive rows: one Slice of whole runs of B.
    const total = Math.ceil(Math.max(needed, length + front) / step) * step;
    const padded = this.pad(x, [
      [0, 0],
      [front, total - length - front],
      [0, 0],
    ]);
    const phase = first % step;
    const picked = this.call(
      'Slice',
      { x: this.view(padded, [outer, total / step, step, inner]) },
      { begin: [0, (first - phase) / step, phase, 0], size: [outer, count, 1, inner] },
    );
    return this.view(picked, [outer, count, inner]);
  }

  /**
   * The inverse placement of {@link frames}: `out` `[A, length, B]` is zero except `out[:, start + k·step] =
   * g[:, k]` for the k of `g` `[A, count, B]` that land inside [0, length).
   */
  placeFrames(g: TensorInfo, start: number, step: number, length: number): TensorInfo {
    const [outer, count, inner] = g.shape as [number, number, number];
    // Spread the frames `step` apart (zeros between), then shift them to `start` and fit the length.
    const spread =
      step === 1
        ? g
        : this.view(
            this.pad(this.view(g, [outer * count, 1, inner]), [
              [0, 0],
              [0, step - 1],
              [0, 0],
            ]),
            [outer, count * step, inner],
          );
    const spreadLength = spread.shape[1] as number;
    const cutFront = Math.max(0, -start);
    const cutBack = Math.max(0, start + spreadLength - length);
    const kept =
      cutFront === 0 && cutBack === 0
        ? spread
        : this.call(
            'Slice',
            { x: spread },
            { begin: [0, cutFront, 0], size: [outer, spreadLength - cutFront - cutBack, inner] },
          );
    const from = Math.max(0, start);
    return this.pad(kept, [
      [0, 0],
      [from, length - from - (kept.shape[1] as number)],
      [0, 0],
    ]);
  }

  /**
   * Hands `info` (a temporary of this instance, or a view of one) to the caller: it is no longer freed by
   * {@link dispose}. Returns `info`.
   */
  release(info: TensorInfo): TensorInfo {
    const index = this.owned.findIndex((t) => t.dataId === info.dataId);
    if (index < 0) throw new Error(`${this.who}: released a tensor that is not a temporary of this call`);
    this.owned.splice(index, 1);
    return info;
  }

  /** Frees every temporary not released. */
  dispose(): void {
    disposeInfos(this.backend, this.owned.splice(0));
  }
}

/**
 * Runs `body` with a new {@link KernelCalls} and frees every temporary it did not release, also when `body`
 * throws. `body` returns the kernel's result (released, or a view of a released temporary).
 */
export function withKernelCalls<T>(
  backend: AnyBackend,
  backendName: string,
  who: string,
  body: (calls: KernelCalls) => T,
): T {
  const calls = new KernelCalls(backend, backendName, who);
  try {
    return body(calls);
  } finally {
    calls.dispose();
  }
}
