import * as tf from '@tensorflow/tfjs-core';
import { createSeededRng, expectNoTensorLeak } from '@dfer/test-utils';
import {
  checkGradients,
  initEngine,
  listKernelFixes,
  registerKernelFixes,
  unregisterKernelFixes,
} from '@dfer/runtime';

import type { TensorInfo } from '@tensorflow/tfjs-core';

import { filterCrop, readingTaps } from '../src/engine/kernels/conv2d-filter-crop';
import { setTapStrategy } from '../src/engine/kernels/conv3d-as-conv2d';
import { KernelCalls } from '../src/engine/kernels/kernel-calls';
import { collapseTranspose, transposeValues } from '../src/engine/kernels/transpose-high-rank';

type Shape = number[];
type GradCase = { name: string; shapes: Shape[]; fn: (...xs: tf.Tensor[]) => tf.Tensor; distinct?: boolean };

// Every case is linear in each input, or piecewise linear with a gap of 0.05 between values (maxPool),
// so central differences with eps = 1e-2 carry no truncation error; only float32 rounding remains.

/** Inputs: seeded uniform values in [-1, 1), or (distinct) a seeded permutation scaled by 0.05 so no max ties. */
function makeInputs(shapes: Shape[], seed: number, distinct = false): Float32Array[] {
  const rng = createSeededRng(seed);
  return shapes.map((shape) => {
    const n = shape.reduce((p, d) => p * d, 1);
    if (!distinct) return rng.uniformArray(n, -1, 1);
    const order = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [order[i], order[j]] = [order[j] as number, order[i] as number];
    }
    return Float32Array.from(order, (v) => (v - n / 2) * 0.05);
  });
}

function withTensors<T>(shapes: Shape[], data: Float32Array[], body: (xs: tf.Tensor[]) => T): T {
  const xs = data.map((d, i) => tf.tensor(d, shapes[i], 'float32'));
  try {
    return body(xs);
  } finally {
    xs.forEach((x) => x.dispose());
  }
}

/** fn(xs), then the analytic gradients of Σ fn(xs) · cos(0.7 i), on the active backend, as arrays. */
function analyticGrads(c: GradCase, data: Float32Array[]): Float32Array[] {
  return withTensors(c.shapes, data, (xs) =>
    tf.tidy(() => {
      const probe = c.fn(...xs);
      const w = tf.tensor(
        Float32Array.from({ length: probe.size }, (_, i) => Math.cos(0.7 * i)),
        probe.shape,
      );
      const grads = tf.grads((...ys: tf.Tensor[]) => tf.sum(tf.mul(c.fn(...ys), w)))(xs);
      return [probe, ...grads].map((g) => g.dataSync() as Float32Array);
    }),
  );
}

const conv2dCases: GradCase[] = [
  {
    name: 'conv2d 3x3 s1 same',
    shapes: [
      [2, 5, 5, 3],
      [3, 3, 3, 4],
    ],
    fn: (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'),
  },
  {
    name: 'conv2d 3x3 s2 same',
    shapes: [
      [1, 6, 7, 2],
      [3, 3, 2, 3],
    ],
    fn: (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'same'),
  },
  {
    name: 'conv2d 2x3 s(2,1) valid',
    shapes: [
      [2, 5, 6, 2],
      [2, 3, 2, 2],
    ],
    fn: (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, [2, 1], 'valid'),
  },
  {
    name: 'conv2d 3x3 s3 same',
    shapes: [
      [2, 7, 8, 2],
      [3, 3, 2, 2],
    ],
    fn: (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 3, 'same'),
  },
  {
    name: 'conv2d 3x3 s2 explicit pads',
    shapes: [
      [1, 5, 5, 2],
      [3, 3, 2, 2],
    ],
    fn: (x, w) =>
      tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, [
        [0, 0],
        [1, 1],
        [1, 0],
        [0, 0],
      ]),
  },
  // Maps smaller than the filter's reach: the wasm kernels cut the filter to the taps that read the input.
  {
    name: 'conv2d 3x3 s1 same over a 1x1 map (centre tap only)',
    shapes: [
      [3, 1, 1, 4],
      [3, 3, 4, 5],
    ],
    fn: (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'),
  },
  {
    name: 'conv2d 3x3 s2 same over a 2x3 map (two rows of taps)',
    shapes: [
      [2, 2, 3, 3],
      [3, 3, 3, 2],
    ],
    fn: (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'same'),
  },
  {
    name: 'conv2d 5x5 s1 explicit uneven pads over a 2x2 map',
    shapes: [
      [1, 2, 2, 2],
      [5, 5, 2, 3],
    ],
    fn: (x, w) =>
      tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, [
        [0, 0],
        [2, 2],
        [1, 3],
        [0, 0],
      ]),
  },
];

const poolCases: GradCase[] = [
  {
    name: 'maxPool 2x2 s2 valid',
    shapes: [[2, 4, 6, 3]],
    distinct: true,
    fn: (x) => tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid'),
  },
  {
    name: 'maxPool 3x3 s2 same',
    shapes: [[1, 7, 5, 2]],
    distinct: true,
    fn: (x) => tf.maxPool(x as tf.Tensor4D, 3, 2, 'same'),
  },
  {
    name: 'maxPool 3x3 s1 same',
    shapes: [[1, 5, 5, 2]],
    distinct: true,
    fn: (x) => tf.maxPool(x as tf.Tensor4D, 3, 1, 'same'),
  },
  {
    name: 'avgPool 3x3 s1 same',
    shapes: [[1, 5, 4, 2]],
    fn: (x) => tf.avgPool(x as tf.Tensor4D, 3, 1, 'same'),
  },
  {
    name: 'avgPool 3x3 s2 same',
    shapes: [[2, 5, 5, 2]],
    fn: (x) => tf.avgPool(x as tf.Tensor4D, 3, 2, 'same'),
  },
  {
    name: 'avgPool 2x2 s2 valid',
    shapes: [[1, 4, 4, 3]],
    fn: (x) => tf.avgPool(x as tf.Tensor4D, 2, 2, 'valid'),
  },
];

const pool3dCases: GradCase[] = [
  {
    name: 'maxPool3d 3x3x3 s1 same',
    shapes: [[1, 3, 4, 4, 2]],
    distinct: true,
    fn: (x) => tf.maxPool3d(x as tf.Tensor5D, 3, 1, 'same'),
  },
  {
    name: 'maxPool3d 2x2x2 s2 valid',
    shapes: [[1, 4, 4, 4, 2]],
    distinct: true,
    fn: (x) => tf.maxPool3d(x as tf.Tensor5D, 2, 2, 'valid'),
  },
  {
    name: 'avgPool3d 3x3x3 s2 same',
    shapes: [[1, 3, 5, 5, 2]],
    fn: (x) => tf.avgPool3d(x as tf.Tensor5D, 3, 2, 'same'),
  },
  {
    name: 'avgPool3d 2x2x2 s2 valid',
    shapes: [[1, 4, 4, 4, 1]],
    fn: (x) => tf.avgPool3d(x as tf.Tensor5D, 2, 2, 'valid'),
  },
];

const resizeCases: GradCase[] = [
  {
    name: 'resizeBilinear 3x4 → 5x7',
    shapes: [[1, 3, 4, 2]],
    fn: (x) => tf.image.resizeBilinear(x as tf.Tensor4D, [5, 7]),
  },
  {
    name: 'resizeBilinear 4x3 → 2x5 alignCorners',
    shapes: [[2, 4, 3, 1]],
    fn: (x) => tf.image.resizeBilinear(x as tf.Tensor4D, [2, 5], true),
  },
  {
    name: 'resizeBilinear 3x5 → 6x4 halfPixelCenters',
    shapes: [[1, 3, 5, 2]],
    fn: (x) => tf.image.resizeBilinear(x as tf.Tensor4D, [6, 4], false, true),
  },
];

const otherCases: GradCase[] = [
  {
    name: 'conv3d 2x3x3 s1 same',
    shapes: [
      [1, 3, 4, 4, 2],
      [2, 3, 3, 2, 3],
    ],
    fn: (x, w) => tf.conv3d(x as tf.Tensor5D, w as tf.Tensor5D, 1, 'same'),
  },
  {
    name: 'conv3d 3x3x3 s(1,2,2) valid',
    shapes: [
      [1, 4, 5, 5, 1],
      [3, 3, 3, 1, 2],
    ],
    fn: (x, w) => tf.conv3d(x as tf.Tensor5D, w as tf.Tensor5D, [1, 2, 2], 'valid'),
  },
  {
    name: 'conv3d 3x7x7 s(1,2,2) same (R3D stem, asymmetric padding)',
    shapes: [
      [1, 2, 6, 6, 2],
      [3, 7, 7, 2, 2],
    ],
    fn: (x, w) => tf.conv3d(x as tf.Tensor5D, w as tf.Tensor5D, [1, 2, 2], 'same'),
  },
  {
    name: 'conv3d 3x3x3 s2 same, odd and even sizes',
    shapes: [
      [1, 4, 5, 6, 2],
      [3, 3, 3, 2, 3],
    ],
    fn: (x, w) => tf.conv3d(x as tf.Tensor5D, w as tf.Tensor5D, 2, 'same'),
  },
  {
    name: 'conv3d 2x1x1 s(3,1,1) valid, depth 8 (frames in steps of 3, the last ones unread)',
    shapes: [
      [2, 8, 2, 2, 2],
      [2, 1, 1, 2, 2],
    ],
    fn: (x, w) => tf.conv3d(x as tf.Tensor5D, w as tf.Tensor5D, [3, 1, 1], 'valid'),
  },
  {
    name: 'conv3d 3x3x3 s1 same over 2x1x1 maps (taps cut in space)',
    shapes: [
      [2, 2, 1, 1, 3],
      [3, 3, 3, 3, 4],
    ],
    fn: (x, w) => tf.conv3d(x as tf.Tensor5D, w as tf.Tensor5D, 1, 'same'),
  },
  {
    name: 'conv3d 1x1x1 s2 valid (downsample)',
    shapes: [
      [2, 4, 4, 4, 3],
      [1, 1, 1, 3, 2],
    ],
    fn: (x, w) => tf.conv3d(x as tf.Tensor5D, w as tf.Tensor5D, 2, 'valid'),
  },
  {
    name: 'pad rank 5 (its gradient is a rank-5 Slice)',
    shapes: [[2, 3, 2, 3, 2]],
    fn: (x) =>
      tf.pad(x as tf.Tensor5D, [
        [0, 0],
        [1, 1],
        [1, 0],
        [0, 2],
        [0, 0],
      ]),
  },
  {
    name: 'slice rank 6',
    shapes: [[2, 2, 3, 2, 2, 3]],
    fn: (x) => tf.slice(x, [1, 0, 1, 0, 1, 1], [1, 2, 2, 2, 1, 2]),
  },
  {
    name: 'transpose rank 6, last axis kept (MAE-DFER tubelet layout)',
    shapes: [[2, 2, 3, 2, 3, 2]],
    fn: (x) => tf.transpose(x, [0, 2, 4, 1, 3, 5]),
  },
  {
    // (rank 6 at most: the stock wasm element-wise kernels (XNNPACK) return garbage at rank 7)
    name: 'transpose rank 6, last axis moved',
    shapes: [[2, 3, 2, 2, 3, 2]],
    fn: (x) => tf.transpose(x, [5, 2, 4, 1, 3, 0]),
  },
  {
    name: 'transpose rank 6 with size-1 and merged axes (rank 3 after collapsing: stock kernel)',
    shapes: [[2, 1, 3, 4, 1, 2]],
    fn: (x) => tf.transpose(x, [5, 0, 1, 2, 3, 4]),
  },
  {
    name: 'matMul transposeA',
    shapes: [
      [2, 5, 3],
      [2, 5, 4],
    ],
    fn: (a, b) => tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D, true, false),
  },
  {
    name: 'matMul transposeB (rank 2)',
    shapes: [
      [3, 6],
      [4, 6],
    ],
    fn: (a, b) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, false, true),
  },
  {
    // (equal batch sizes: tfjs's own BatchMatMul gradient rejects broadcast batch dimensions, on cpu too)
    name: 'matMul transposeA and transposeB',
    shapes: [
      [2, 4, 3],
      [2, 5, 4],
    ],
    fn: (a, b) => tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D, true, true),
  },
  {
    name: 'depthwise 3x3 s1 same',
    shapes: [
      [1, 5, 5, 2],
      [3, 3, 2, 2],
    ],
    fn: (x, w) => tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'),
  },
  {
    name: 'depthwise 3x3 s2 valid',
    shapes: [
      [2, 5, 6, 3],
      [3, 3, 3, 1],
    ],
    fn: (x, w) => tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'valid'),
  },
  {
    name: 'gather (UnsortedSegmentSum) with repeated indices',
    shapes: [[5, 3]],
    fn: (x) => tf.gather(x, tf.tensor1d([0, 2, 2, 4, 0, 1], 'int32')),
  },
];

const allCases = [...conv2dCases, ...poolCases, ...pool3dCases, ...resizeCases, ...otherCases];

describe.each(['cpu', 'wasm'] as const)('kernel fixes on %s', (backend) => {
  beforeAll(async () => {
    const info = await initEngine({ backend, log: false });
    expect(info.backend).toBe(backend);
  });

  it.each(allCases.map((c, i) => [c.name, c, i] as const))(
    '%s matches central finite differences',
    async (_name, c, i) => {
      await expectNoTensorLeak(() =>
        withTensors(c.shapes, makeInputs(c.shapes, 100 + i, c.distinct), (xs) => {
          const report = checkGradients(c.fn, xs, { eps: 1e-2, rtol: 1e-2, atol: 1e-3 });
          expect(report.checked).toBe(c.shapes.reduce((p, s) => p + s.reduce((q, d) => q * d, 1), 0));
        }),
      );
    },
  );
});

describe('kernel fixes agree with the cpu reference kernels', () => {
  // Reference: stock cpu kernels (correct for these ops per reference/engine-notes.md), fixes removed.
  // avgPool (2-D, 3-D) and resizeBilinear are left out: their stock cpu gradients are themselves wrong
  // ('same' padding divisor; swapped height/width), so they are tested against finite differences only.
  const referenceCases = [
    ...conv2dCases,
    ...poolCases.filter((c) => c.name.startsWith('maxPool')),
    ...pool3dCases.filter((c) => c.name.startsWith('maxPool3d')),
    ...otherCases,
  ];
  it.each(referenceCases.map((c, i) => [c.name, c, i] as const))(
    '%s: wasm (fixed) vs stock cpu',
    async (_name, c, i) => {
      const data = makeInputs(c.shapes, 300 + i, c.distinct);
      await initEngine({ backend: 'cpu', log: false });
      unregisterKernelFixes('cpu');
      const reference = analyticGrads(c, data);
      registerKernelFixes('cpu');
      const fixedCpu = analyticGrads(c, data);
      await initEngine({ backend: 'wasm', log: false });
      const fixedWasm = analyticGrads(c, data);
      reference.forEach((ref, k) => {
        for (const got of [fixedCpu[k], fixedWasm[k]]) {
          expect(got).toHaveLength(ref.length);
          ref.forEach((v, j) => expect((got as Float32Array)[j]).toBeCloseTo(v, 4));
        }
      });
    },
  );
});

describe('filter cropping of the wasm 2-D convolutions (taps that only read padding)', () => {
  it('readingTaps finds exactly the taps that read an input position, by brute force over small geometries', () => {
    let cropped = 0;
    for (let inSize = 1; inSize <= 5; inSize++)
      for (let filterSize = 1; filterSize <= 5; filterSize++)
        for (let stride = 1; stride <= 3; stride++)
          for (let dilation = 1; dilation <= 2; dilation++)
            for (let padBefore = 0; padBefore <= 4; padBefore++)
              for (let outSize = 1; outSize <= 4; outSize++) {
                const reads = Array.from({ length: filterSize }, (_, u) =>
                  Array.from({ length: outSize }, (_, i) => i * stride - padBefore + u * dilation).some(
                    (at) => at >= 0 && at < inSize,
                  ),
                );
                const used = reads.flatMap((r, u) => (r ? [u] : []));
                const got = readingTaps({ inSize, outSize, stride, padBefore, filterSize, dilation });
                if (used.length === 0) expect(got).toBeUndefined();
                else {
                  expect(got).toEqual([used[0], used[used.length - 1]]);
                  if (used[used.length - 1]! - used[0]! + 1 < filterSize) cropped++;
                }
              }
    expect(cropped).toBeGreaterThan(100);
  });

  it('filterCrop keeps the output size and moves the padding by the cut; undefined when every tap reads', () => {
    const info = (x: number[], f: number[], s: number, pad: 'same' | 'valid', d = 1) =>
      tf.backend_util.computeConv2DInfo(
        x as [number, number, number, number],
        f as [number, number, number, number],
        s,
        d,
        pad,
      );
    // 3x3 'same' over 1x1: only the centre tap, no padding left
    expect(filterCrop(info([1, 1, 1, 4], [3, 3, 4, 5], 1, 'same'))).toEqual({
      begin: [1, 1],
      size: [1, 1],
      pad: [
        [0, 0],
        [0, 0],
        [0, 0],
        [0, 0],
      ],
    });
    // 3x3 s2 'same' over 2x3: pads (0, 1) rows, (1, 1) columns; rows keep taps 0-1, columns all three
    expect(filterCrop(info([1, 2, 3, 1], [3, 3, 1, 1], 2, 'same'))).toEqual({
      begin: [0, 0],
      size: [2, 3],
      pad: [
        [0, 0],
        [0, 0],
        [1, 1],
        [0, 0],
      ],
    });
    expect(filterCrop(info([1, 5, 5, 1], [3, 3, 1, 1], 1, 'same'))).toBeUndefined();
    expect(filterCrop(info([1, 1, 1, 1], [1, 1, 1, 1], 1, 'valid'))).toBeUndefined();
  });

  it('a dilated forward conv2d over a small map equals the cpu kernel (forward only: tfjs has no dilated gradients)', async () => {
    const shapes: Shape[] = [
      [2, 3, 2, 3],
      [3, 3, 3, 2],
    ];
    const data = makeInputs(shapes, 950);
    const run = () =>
      withTensors(shapes, data, ([x, w]) =>
        tf.tidy(
          () =>
            tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same', 'NHWC', 2).dataSync() as Float32Array,
        ),
      );
    await initEngine({ backend: 'cpu', log: false });
    const reference = run();
    await initEngine({ backend: 'wasm', log: false });
    const before = tf.backend().numDataIds();
    const got = run();
    expect(tf.backend().numDataIds()).toBe(before);
    expect(got).toHaveLength(reference.length);
    reference.forEach((v, j) => expect(got[j]).toBeCloseTo(v, 4));
  });
});

describe('the wasm convolution kernels built on XNNPACK Conv2D', () => {
  it('a new filter of the same shape gets its own operator (no stale cached weights), forward and gradients', async () => {
    // The kernels create a temporary filter tensor per call and tap; XNNPACK operators are cached by filter
    // id, and ids are reused after disposal, so consecutive calls with different weights must still differ
    // exactly as the stock cpu kernels do.
    const shapes: Shape[] = [
      [2, 4, 6, 5, 3],
      [3, 3, 3, 3, 2],
    ];
    const conv = (x: tf.Tensor, w: tf.Tensor): tf.Tensor =>
      tf.conv3d(x as tf.Tensor5D, w as tf.Tensor5D, [1, 2, 1], 'same');
    const c: GradCase = { name: 'conv3d twice', shapes, fn: conv };
    const runs = [910, 911, 912].map((seed) => makeInputs(shapes, seed));
    await initEngine({ backend: 'cpu', log: false });
    const reference = runs.map((data) => analyticGrads(c, data));
    await initEngine({ backend: 'wasm', log: false });
    const wasm = runs.map((data) => analyticGrads(c, data));
    wasm.forEach((got, r) =>
      got.forEach((values, k) =>
        values.forEach((v, j) => expect(v).toBeCloseTo((reference[r]![k] as Float32Array)[j] as number, 4)),
      ),
    );
    expect(Array.from(wasm[0]![0]!)).not.toEqual(Array.from(wasm[1]![0]!));
  });
});

describe.each(['per_tap', 'stacked'] as const)('the wasm Conv3D kernels with tap strategy %s', (strategy) => {
  // Each strategy on every 3-D case (the automatic choice stacks only inputs with fD·C ≤ 12).
  const conv3dCases = otherCases.filter((c) => c.name.startsWith('conv3d'));
  afterAll(() => setTapStrategy(undefined));
  it.each(conv3dCases.map((c, i) => [c.name, c, i] as const))(
    '%s: equals the stock cpu kernels',
    async (_name, c, i) => {
      const data = makeInputs(c.shapes, 700 + i);
      await initEngine({ backend: 'cpu', log: false });
      unregisterKernelFixes('cpu');
      const reference = analyticGrads(c, data);
      registerKernelFixes('cpu');
      await initEngine({ backend: 'wasm', log: false });
      setTapStrategy(strategy);
      const before = tf.backend().numDataIds();
      const got = analyticGrads(c, data);
      expect(tf.backend().numDataIds()).toBe(before);
      reference.forEach((ref, k) => {
        expect(got[k]).toHaveLength(ref.length);
        ref.forEach((v, j) => expect((got[k] as Float32Array)[j]).toBeCloseTo(v, 4));
      });
    },
  );
});

describe('KernelCalls frames and placeFrames (the temporal taps of the Conv3D kernels)', () => {
  // Definitions: frames(x, start, count, step)[a, k, b] = x[a, start + k·step, b] (0 outside); placeFrames
  // puts g[a, k, b] at start + k·step of a zero [A, length, B], dropping what falls outside.
  const framesCases = [
    { length: 5, start: -1, count: 5, step: 1 },
    { length: 5, start: 1, count: 5, step: 1 },
    { length: 6, start: -1, count: 3, step: 2 },
    { length: 7, start: 0, count: 3, step: 2 },
    { length: 8, start: 1, count: 3, step: 3 },
    { length: 4, start: 0, count: 4, step: 1 },
  ];
  it.each(['cpu', 'wasm'] as const)(
    'equal the definitions on %s and free their temporaries',
    async (backend) => {
      await initEngine({ backend, log: false });
      const [outer, inner] = [2, 3];
      for (const { length, start, count, step } of framesCases) {
        const xv = makeInputs([[outer, length, inner]], length * 10 + count)[0] as Float32Array;
        const gv = makeInputs([[outer, count, inner]], length * 10 + count + 1)[0] as Float32Array;
        const expectedFrames = new Float32Array(outer * count * inner);
        const expectedPlaced = new Float32Array(outer * length * inner);
        for (let a = 0; a < outer; a++) {
          for (let k = 0; k < count; k++) {
            const z = start + k * step;
            if (z < 0 || z >= length) continue;
            for (let b = 0; b < inner; b++) {
              expectedFrames[(a * count + k) * inner + b] = xv[(a * length + z) * inner + b] as number;
              expectedPlaced[(a * length + z) * inner + b] = gv[(a * count + k) * inner + b] as number;
            }
          }
        }
        const x = tf.tensor3d(xv, [outer, length, inner]);
        const g = tf.tensor3d(gv, [outer, count, inner]);
        const dataIds = tf.backend().numDataIds();
        const calls = new KernelCalls(tf.backend(), backend, 'test');
        const framed = calls.frames(x as unknown as TensorInfo, start, count, step);
        const placed = calls.placeFrames(g as unknown as TensorInfo, start, step, length);
        expect(framed.shape).toEqual([outer, count, inner]);
        expect(placed.shape).toEqual([outer, length, inner]);
        expect(Array.from(tf.backend().readSync(framed.dataId) as Float32Array)).toEqual(
          Array.from(expectedFrames),
        );
        expect(Array.from(tf.backend().readSync(placed.dataId) as Float32Array)).toEqual(
          Array.from(expectedPlaced),
        );
        calls.dispose();
        expect(tf.backend().numDataIds()).toBe(dataIds);
        tf.dispose([x, g]);
      }
    },
  );
});

describe('the wasm Slice fix (copies from the heap)', () => {
  it('equals the cpu kernel for contiguous, rank-3, rank-4 and rank-5 slices and int32', async () => {
    const cases: Array<{ shape: Shape; begin: number[]; size: number[]; dtype: 'float32' | 'int32' }> = [
      { shape: [4, 3, 2], begin: [1, 0, 0], size: [2, 3, 2], dtype: 'float32' },
      { shape: [4, 3, 2], begin: [1, 1, 0], size: [2, 2, 2], dtype: 'float32' },
      { shape: [2, 3, 4, 5], begin: [0, 1, 2, 1], size: [2, 2, 2, 3], dtype: 'int32' },
      { shape: [2, 3, 2, 3, 2], begin: [1, 0, 1, 1, 0], size: [1, 3, 1, 2, 2], dtype: 'float32' },
    ];
    const run = (c: (typeof cases)[number]): number[] =>
      tf.tidy(() => {
        const n = c.shape.reduce((p, d) => p * d, 1);
        const x = tf.tensor(
          Array.from({ length: n }, (_, i) => i * 3 - 7),
          c.shape,
          c.dtype,
        );
        return Array.from(tf.slice(x, c.begin, c.size).dataSync());
      });
    await initEngine({ backend: 'cpu', log: false });
    const reference = cases.map(run);
    await initEngine({ backend: 'wasm', log: false });
    const before = tf.backend().numDataIds();
    expect(cases.map(run)).toEqual(reference);
    expect(tf.backend().numDataIds()).toBe(before);
  });
});

describe('the MaxPoolGrad fix', () => {
  it.each(['cpu', 'wasm'] as const)(
    'on %s: a tied window sends the gradient to its first maximum in row-major order; without the forward output too',
    async (backend) => {
      await initEngine({ backend, log: false });
      // one channel, 3x4: windows 2x2 stride 2 → [[7, 7 | 1, 2], [7, 0 | 2, 2]]: ties at the top-left of both
      const x = tf.tensor4d([7, 7, 1, 2, 7, 0, 2, 2, 5, 5, 5, 5], [1, 3, 4, 1]);
      const dy = tf.tensor4d([10, 20], [1, 1, 2, 1]);
      const y = tf.maxPool(x, 2, 2, 'valid');
      const expected = [10, 0, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0];
      const withOutput = tf
        .engine()
        .runKernel(
          'MaxPoolGrad',
          { dy, input: x, output: y },
          { filterSize: 2, strides: 2, pad: 'valid' },
        ) as tf.Tensor;
      const withoutOutput = tf
        .engine()
        .runKernel('MaxPoolGrad', { dy, input: x }, { filterSize: 2, strides: 2, pad: 'valid' }) as tf.Tensor;
      // an output that no pixel equals falls back to the scan for the first maximum
      const stale = tf.tensor4d([100, 100], [1, 1, 2, 1]);
      const withStale = tf
        .engine()
        .runKernel(
          'MaxPoolGrad',
          { dy, input: x, output: stale },
          { filterSize: 2, strides: 2, pad: 'valid' },
        ) as tf.Tensor;
      expect(Array.from(withOutput.dataSync())).toEqual(expected);
      expect(Array.from(withoutOutput.dataSync())).toEqual(expected);
      expect(Array.from(withStale.dataSync())).toEqual(expected);
      tf.dispose([x, dy, y, withOutput, withoutOutput, stale, withStale]);
    },
  );
});

describe('the wasm Concat fix (copies inside the heap)', () => {
  it('equals the cpu kernel on every axis, for short and long runs, float32, int32, bool and an empty input', async () => {
    const cases: Array<{ shapes: Shape[]; axis: number; dtype: 'float32' | 'int32' | 'bool' }> = [
      {
        shapes: [
          [4, 3, 2],
          [4, 3, 5],
          [4, 3, 1],
        ],
        axis: 2,
        dtype: 'float32',
      },
      {
        shapes: [
          [2, 1, 3],
          [2, 4, 3],
        ],
        axis: 1,
        dtype: 'int32',
      },
      {
        shapes: [
          [3, 2],
          [1, 2],
        ],
        axis: 0,
        dtype: 'float32',
      },
      {
        shapes: [
          [2, 200],
          [2, 130],
          [2, 0],
        ],
        axis: -1,
        dtype: 'float32',
      },
      {
        shapes: [
          [2, 3, 2],
          [2, 3, 3],
        ],
        axis: 2,
        dtype: 'bool',
      },
    ];
    const run = (c: (typeof cases)[number]): number[] =>
      tf.tidy(() => {
        let next = 0;
        const xs = c.shapes.map((shape) => {
          const n = shape.reduce((p, d) => p * d, 1);
          const values = Array.from({ length: n }, () => next++);
          return tf.tensor(c.dtype === 'bool' ? values.map((v) => v % 3 === 0) : values, shape, c.dtype);
        });
        return Array.from(tf.concat(xs, c.axis).dataSync());
      });
    await initEngine({ backend: 'cpu', log: false });
    const reference = cases.map(run);
    await initEngine({ backend: 'wasm', log: false });
    const before = tf.backend().numDataIds();
    expect(cases.map(run)).toEqual(reference);
    expect(tf.backend().numDataIds()).toBe(before);
  });
});

describe('the wasm BatchMatMul fix', () => {
  // Shapes chosen so that each flag combination takes both routes: transposing the flagged operands
  // ('direct'), or computing Cᵀ from the unflagged ones and transposing it ('swapped'), whichever moves
  // fewer values (counts in the names).
  const routeCases: Array<[string, number[], number[], boolean, boolean]> = [
    ['transposeA, direct (18 < 48 + 18)', [2, 3, 3], [2, 3, 8], true, false],
    ['transposeA, swapped (54 > 36 + 12)', [2, 9, 3], [2, 9, 2], true, false],
    ['transposeB, direct (54 < 72 + 24)', [2, 4, 9], [2, 3, 9], false, true],
    ['transposeB, swapped (108 > 36 + 24)', [2, 2, 9], [2, 6, 9], false, true],
    ['both, direct (12 < 36)', [1, 1, 6], [1, 6, 1], true, true],
    ['both, swapped, broadcast batch (32 > 4)', [1, 8, 2], [3, 2, 8], true, true],
    ['both, swapped, broadcast batch (72 > 45)', [1, 4, 3], [3, 5, 4], true, true],
    ['transposeA, swapped, rank 2', [9, 3], [9, 2], true, false],
  ];
  it.each(routeCases)(
    '%s equals the stock cpu product and frees its temporaries',
    async (_n, sa, sb, ta, tb) => {
      const [a, b] = makeInputs([sa, sb], 960);
      const product = (): Float32Array =>
        tf.tidy(() => tf.matMul(tf.tensor(a!, sa), tf.tensor(b!, sb), ta, tb).dataSync() as Float32Array);
      await initEngine({ backend: 'cpu', log: false });
      const reference = product();
      await initEngine({ backend: 'wasm', log: false });
      product();
      const before = [tf.backend().numDataIds(), tf.memory().numTensors];
      const got = product();
      expect([tf.backend().numDataIds(), tf.memory().numTensors]).toEqual(before);
      expect(got).toHaveLength(reference.length);
      reference.forEach((v, i) => expect(got[i]).toBeCloseTo(v, 5));
    },
  );
});

/** Index-by-index transpose (the definition), for checking the run-copying one. */
function naiveTranspose(x: ArrayLike<number>, shape: number[], perm: number[]): number[] {
  const outShape = perm.map((a) => shape[a] as number);
  const size = shape.reduce((p, d) => p * d, 1);
  const out = new Array<number>(size);
  for (let o = 0; o < size; o++) {
    let rest = o;
    const outIndex = new Array<number>(shape.length);
    for (let a = shape.length - 1; a >= 0; a--) {
      outIndex[a] = rest % (outShape[a] as number);
      rest = Math.floor(rest / (outShape[a] as number));
    }
    const inIndex = new Array<number>(shape.length);
    perm.forEach((inAxis, outAxis) => (inIndex[inAxis] = outIndex[outAxis] as number));
    let i = 0;
    for (let a = 0; a < shape.length; a++) i = i * (shape[a] as number) + (inIndex[a] as number);
    out[o] = x[i] as number;
  }
  return out;
}

describe('the wasm Transpose fix (rank ≥ 6 after collapsing)', () => {
  it('collapseTranspose drops size-1 axes and merges axes that stay neighbours', () => {
    expect(collapseTranspose([64, 2, 4, 16, 4, 48], [0, 2, 4, 1, 3, 5])).toEqual({
      shape: [64, 2, 4, 16, 4, 48],
      perm: [0, 2, 4, 1, 3, 5],
    });
    // (2)(1)(3 4)(1)(2 2) → groups in output order [5 6] [0] [2 3] → input order [0] [2 3] [5 6].
    expect(collapseTranspose([2, 1, 3, 4, 1, 2, 2], [5, 6, 0, 1, 2, 3, 4])).toEqual({
      shape: [2, 12, 4],
      perm: [2, 0, 1],
    });
    expect(collapseTranspose([3, 4], [0, 1])).toEqual({ shape: [12], perm: [0] });
    expect(collapseTranspose([1, 1], [1, 0])).toEqual({ shape: [], perm: [] });
  });

  it('transposeValues equals the index-by-index definition (kept and moved last axis, collapsed shapes)', () => {
    const rng = createSeededRng(41);
    const cases: Array<[number[], number[]]> = [
      [
        [2, 3, 2, 4, 3, 2],
        [0, 2, 4, 1, 3, 5],
      ],
      [
        [2, 3, 2, 4, 3, 2],
        [5, 2, 4, 1, 3, 0],
      ],
      [
        [3, 2, 2, 2, 2, 3, 2],
        [6, 0, 5, 1, 4, 2, 3],
      ],
      [
        [5, 4],
        [1, 0],
      ],
      [[7], [0]],
    ];
    for (const [shape, perm] of cases) {
      const size = shape.reduce((p, d) => p * d, 1);
      const x = rng.uniformArray(size, -1, 1);
      const out = new Float32Array(size);
      transposeValues(x, shape, perm, out);
      expect(Array.from(out)).toEqual(naiveTranspose(x, shape, perm));
      const c = collapseTranspose(shape, perm);
      const viaCollapsed = new Float32Array(size);
      transposeValues(x, c.shape, c.perm, viaCollapsed);
      expect(viaCollapsed).toEqual(out);
    }
  });

  it('tf.transpose on wasm equals the definition for float32, int32 and bool rank-6 tensors and frees its buffers', async () => {
    await initEngine({ backend: 'wasm', log: false });
    const shape = [2, 3, 2, 2, 3, 2];
    const perm = [3, 0, 5, 1, 4, 2];
    const size = shape.reduce((p, d) => p * d, 1);
    const values = Array.from({ length: size }, (_, i) => (i * 7) % 23);
    const expected = naiveTranspose(values, shape, perm);
    for (const dtype of ['float32', 'int32', 'bool'] as const) {
      const x = tf.tensor(dtype === 'bool' ? values.map((v) => v % 2) : values, shape, dtype);
      const before = [tf.backend().numDataIds(), tf.memory().numTensors];
      const y = tf.transpose(x, perm);
      expect(y.shape).toEqual(perm.map((a) => shape[a]));
      expect(y.dtype).toBe(dtype);
      expect(Array.from(y.dataSync())).toEqual(dtype === 'bool' ? expected.map((v) => v % 2) : expected);
      y.dispose();
      expect([tf.backend().numDataIds(), tf.memory().numTensors]).toEqual(before);
      x.dispose();
    }
  });
});

describe('the wasm Identity fix (shares the buffer)', () => {
  it('a clone holds the same values, outlives its source, and frees the buffer with the last reference', async () => {
    await initEngine({ backend: 'wasm', log: false });
    const before = [tf.backend().numDataIds(), tf.memory().numTensors];
    const x = tf.tensor2d([1.5, -2, 3, 4.25, 0, -7], [2, 3]);
    const y = tf.clone(x);
    expect(y.dataId).toBe(x.dataId);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1.5, -2, 3, 4.25, 0, -7]);
    const z = tf.add(y, 1);
    expect(Array.from(z.dataSync())).toEqual([2.5, -1, 4, 5.25, 1, -6]);
    tf.dispose([y, z]);
    expect([tf.backend().numDataIds(), tf.memory().numTensors]).toEqual(before);
    // Gradients pass dy through Identity; a variable assigned from a clone keeps its own value.
    const initial = tf.tensor1d([1, 2, 3]);
    const v = tf.variable(initial);
    const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.clone(a), a)))(v);
    expect(Array.from(g.dataSync())).toEqual([2, 4, 6]);
    const source = tf.tensor1d([9, 8, 7]);
    const copy = tf.clone(source);
    v.assign(copy);
    tf.dispose([source, copy, initial]);
    expect(Array.from(v.dataSync())).toEqual([9, 8, 7]);
    tf.dispose([v, g]);
    expect([tf.backend().numDataIds(), tf.memory().numTensors]).toEqual(before);
    const s = tf.clone(tf.tensor1d(['a', 'b'], 'string'));
    expect(s.arraySync()).toEqual(['a', 'b']);
  });
});

describe('wasm element-wise kernels above rank 6 (XNNPACK returns garbage there)', () => {
  const shape = [2, 1, 3, 2, 1, 2, 2];
  const size = shape.reduce((p, d) => p * d, 1);
  const ops: Array<[string, (a: tf.Tensor, b: tf.Tensor, row: tf.Tensor) => tf.Tensor]> = [
    ['add', (a, b) => tf.add(a, b)],
    ['sub', (a, b) => tf.sub(a, b)],
    ['mul', (a, b) => tf.mul(a, b)],
    ['div', (a, b) => tf.div(a, b)],
    ['squaredDifference', (a, b) => tf.squaredDifference(a, b)],
    ['add, broadcast', (a, _b, row) => tf.add(a, row)],
    ['mul, broadcast', (a, _b, row) => tf.mul(row, a)],
    ['div, broadcast', (a, _b, row) => tf.div(a, row)],
    [
      'pad',
      (a) =>
        tf.pad(
          a,
          [
            [0, 0],
            [0, 0],
            [1, 0],
            [0, 0],
            [0, 1],
            [0, 0],
            [1, 1],
          ],
          0.5,
        ),
    ],
    ['mul gradient', (a, b) => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(t, b)))(a)],
  ];
  const evaluate = (): number[][] =>
    tf.tidy(() => {
      const a = tf.tensor(
        Array.from({ length: size }, (_, i) => (i % 7) + 1),
        shape,
      );
      const b = tf.tensor(
        Array.from({ length: size }, (_, i) => (i % 5) + 1),
        shape,
      );
      const row = tf.tensor([2, 3], [1, 1, 1, 1, 1, 1, 2]);
      return ops.map(([, op]) => Array.from(op(a, b, row).dataSync()));
    });

  it('add, sub, mul, div, squaredDifference (also broadcast) and pad at rank 7 equal the cpu kernels', async () => {
    await initEngine({ backend: 'cpu', log: false });
    const reference = evaluate();
    await initEngine({ backend: 'wasm', log: false });
    const before = [tf.backend().numDataIds(), tf.memory().numTensors];
    const got = evaluate();
    expect([tf.backend().numDataIds(), tf.memory().numTensors]).toEqual(before);
    ops.forEach(([name], k) => {
      expect([name, got[k]]).toEqual([name, reference[k]]);
    });
  });
});

describe('the checks can fail', () => {
  it('stock avgPool "same" gradient on cpu disagrees with finite differences', async () => {
    await initEngine({ backend: 'cpu', log: false });
    unregisterKernelFixes('cpu');
    try {
      const c = poolCases[3] as GradCase;
      withTensors(c.shapes, makeInputs(c.shapes, 7), (xs) => {
        expect(() => checkGradients(c.fn, xs)).toThrow(/differ from central finite differences/);
      });
    } finally {
      registerKernelFixes('cpu');
    }
  });

  it('checkGradients names the mismatching element for a wrong custom gradient', async () => {
    await initEngine({ backend: 'cpu', log: false });
    // d/dx x² = 2x, but this custom gradient returns x.
    const wrong = tf.customGrad(((x: tf.Tensor) => ({
      value: tf.square(x),
      gradFunc: (dy: tf.Tensor) => tf.mul(dy, x),
    })) as unknown as Parameters<typeof tf.customGrad>[0]);
    const x = tf.tensor1d([0.5, -1, 2]);
    expect(() => checkGradients((t) => wrong(t) as tf.Tensor, [x])).toThrow(/inputs\[0\] element 0/);
    x.dispose();
  });

  it('maxElementsPerInput checks an evenly spaced subset and counts the rest', async () => {
    await initEngine({ backend: 'cpu', log: false });
    const x = tf.tensor1d(Float32Array.from({ length: 100 }, (_, i) => Math.sin(i)));
    const report = checkGradients((t) => tf.mul(t, t), [x], { eps: 1e-2, maxElementsPerInput: 10 });
    expect([report.checked, report.unchecked]).toEqual([10, 90]);
    const wrong = tf.customGrad(((t: tf.Tensor) => ({
      value: tf.square(t),
      gradFunc: (dy: tf.Tensor) => tf.mul(dy, t),
    })) as unknown as Parameters<typeof tf.customGrad>[0]);
    expect(() => checkGradients((t) => wrong(t) as tf.Tensor, [x], { maxElementsPerInput: 10 })).toThrow(
      /of 10 checked gradient elements differ/,
    );
    expect(() => checkGradients((t) => t, [x], { maxElementsPerInput: 0 })).toThrow(
      /maxElementsPerInput must be >= 1/,
    );
    x.dispose();
  });

  it('rejects bad options and inputs with named errors', () => {
    const x = tf.tensor1d([1, 2], 'int32');
    expect(() => checkGradients((t) => t, [x])).toThrow(/inputs\[0\] must be float32/);
    expect(() => checkGradients((t) => t, [x], { eps: 0 })).toThrow(/options\.eps/);
    expect(() => checkGradients((t) => t, [])).toThrow(/at least one tensor/);
    x.dispose();
  });
});

describe('initEngine', () => {
  it('lists a fix for every kernel named in engine-notes', () => {
    const names = listKernelFixes().map((f) => `${f.backendName}/${f.kernelName}`);
    for (const name of [
      'cpu/Conv2DBackpropFilter',
      'wasm/Conv2DBackpropFilter',
      'cpu/MaxPoolGrad',
      'wasm/MaxPoolGrad',
      'cpu/AvgPoolGrad',
      'wasm/AvgPoolGrad',
      'wasm/Conv3DBackpropInputV2',
      'wasm/Conv3DBackpropFilterV2',
      'wasm/DepthwiseConv2dNativeBackpropFilter',
      'wasm/DepthwiseConv2dNativeBackpropInput',
      'wasm/UnsortedSegmentSum',
      'wasm/MaxPool3DGrad',
      'wasm/MaxPool3D',
      'cpu/AvgPool3DGrad',
      'wasm/AvgPool3DGrad',
      'cpu/ResizeBilinearGrad',
      'wasm/ResizeBilinearGrad',
    ]) {
      expect(names).toContain(name);
    }
  });

  it("'auto' falls back to wasm when tfjs-node is absent and says why, logging once", async () => {
    const messages: string[] = [];
    const info = await initEngine({ backend: 'auto', log: (m) => messages.push(m) });
    expect(info.backend).toBe('wasm');
    expect(info.reason).toMatch(/tfjs-node-gpu not importable/);
    expect(info.kernelFixes.length).toBeGreaterThanOrEqual(10);
    await initEngine({ backend: 'auto', log: (m) => messages.push(m) });
    expect(messages).toHaveLength(1);
  });

  it("an unavailable 'tensorflow' backend is an error saying how to get it", async () => {
    await expect(initEngine({ backend: 'tensorflow', log: false })).rejects.toThrow(
      /install @tensorflow\/tfjs-node/,
    );
  });

  it('kernelFixes: false restores the stock kernels (stock wasm cannot train a conv weight)', async () => {
    const info = await initEngine({ backend: 'wasm', log: false, kernelFixes: false });
    expect(info.kernelFixes).toEqual([]);
    const x = tf.ones([1, 3, 3, 1]);
    const w = tf.ones([2, 2, 1, 1]);
    const weightGrad = (k: tf.Tensor): tf.Tensor =>
      tf.sum(tf.conv2d(x as tf.Tensor4D, k as tf.Tensor4D, 1, 'valid'));
    try {
      expect(() => tf.grad(weightGrad)(w)).toThrow(/Conv2DBackpropFilter/);
      await initEngine({ backend: 'wasm', log: false });
      // d/dk Σ conv(ones, k) = number of output positions (4) for every weight.
      const g = tf.grad(weightGrad)(w);
      expect(Array.from(g.dataSync())).toEqual([4, 4, 4, 4]);
      g.dispose();
    } finally {
      await initEngine({ backend: 'wasm', log: false });
      tf.dispose([x, w]);
    }
  });

  it('maxPool3d forward on wasm is right for all-negative windows (stock wasm returns 1.18e-38)', async () => {
    await initEngine({ backend: 'wasm', log: false });
    const x = tf.tensor5d(
      Float32Array.from({ length: 16 }, (_, i) => -1 - i),
      [1, 2, 2, 2, 2],
    );
    const y = tf.maxPool3d(x, 2, 2, 'valid');
    // Channel 0 holds −1, −3, …, −15 (max −1); channel 1 holds −2, −4, …, −16 (max −2).
    expect(Array.from(y.dataSync())).toEqual([-1, -2]);
    tf.dispose([x, y]);
  });

  it('the cpu-delegated wasm kernels free their cpu and wasm buffers', async () => {
    await initEngine({ backend: 'wasm', log: false });
    const x = tf.tensor4d(makeInputs([[1, 5, 5, 2]], 3)[0] as Float32Array, [1, 5, 5, 2]);
    const w = tf.tensor4d(makeInputs([[3, 3, 2, 2]], 4)[0] as Float32Array, [3, 3, 2, 2]);
    const gradOnce = (): void =>
      tf.dispose(
        tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same')),
        )([x, w]),
      );
    gradOnce();
    const cpuBackend = tf.findBackend('cpu') as tf.KernelBackend;
    const before = [cpuBackend.numDataIds(), tf.backend().numDataIds(), tf.memory().numTensors];
    for (let i = 0; i < 5; i++) gradOnce();
    expect([cpuBackend.numDataIds(), tf.backend().numDataIds(), tf.memory().numTensors]).toEqual(before);
    tf.dispose([x, w]);
  });

  it('the Conv3D kernels (one Conv2D per temporal tap) and the rank-5 Slice free their wasm buffers', async () => {
    await initEngine({ backend: 'wasm', log: false });
    const x = tf.tensor5d(makeInputs([[1, 3, 4, 4, 2]], 5)[0] as Float32Array, [1, 3, 4, 4, 2]);
    const w = tf.tensor5d(makeInputs([[3, 3, 3, 2, 2]], 6)[0] as Float32Array, [3, 3, 3, 2, 2]);
    const gradOnce = (): void =>
      tf.dispose(
        tf.grads((a: tf.Tensor, b: tf.Tensor) => {
          const padded = tf.pad(a as tf.Tensor5D, [
            [0, 0],
            [1, 1],
            [1, 1],
            [1, 1],
            [0, 0],
          ]);
          return tf.sum(tf.conv3d(padded, b as tf.Tensor5D, [1, 2, 2], 'valid'));
        })([x, w]),
      );
    gradOnce();
    const before = [tf.backend().numDataIds(), tf.memory().numTensors];
    for (let i = 0; i < 5; i++) gradOnce();
    expect([tf.backend().numDataIds(), tf.memory().numTensors]).toEqual(before);
    tf.dispose([x, w]);
  });

  it('rejects an unknown backend name', async () => {
    await expect(initEngine({ backend: 'webgl' as never, log: false })).rejects.toThrow(/backend must be/);
  });
});

describe('a conv net trains on wasm with the fixes', () => {
  it('Adam lowers the loss of a conv + maxPool + dense net in a few steps', async () => {
    await initEngine({ backend: 'wasm', log: false });
    const rng = createSeededRng(5);
    const x = tf.tensor4d(rng.uniformArray(4 * 8 * 8 * 2, -1, 1), [4, 8, 8, 2]);
    const y = tf.tensor2d([1, 0, 0, 1, 1, 0, 0, 1], [4, 2]);
    const w1 = tf.variable(tf.tensor4d(rng.uniformArray(3 * 3 * 2 * 4, -0.5, 0.5), [3, 3, 2, 4]));
    const w2 = tf.variable(tf.tensor2d(rng.uniformArray(4 * 4 * 4 * 2, -0.3, 0.3), [64, 2]));
    const optimizer = tf.train.adam(0.05);
    const loss = (): tf.Scalar =>
      tf.tidy(() => {
        const h = tf.maxPool(tf.relu(tf.conv2d(x, w1, 1, 'same')), 2, 2, 'valid');
        const logits = tf.matMul(tf.reshape(h, [4, 64]), w2);
        return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
      });
    const first = loss().dataSync()[0] as number;
    const w1Before = w1.dataSync().slice();
    for (let step = 0; step < 15; step++) tf.dispose(optimizer.minimize(loss, true) ?? []);
    const last = loss().dataSync()[0] as number;
    expect(last).toBeLessThan(first * 0.5);
    expect(Array.from(w1.dataSync())).not.toEqual(Array.from(w1Before));
    tf.dispose([x, y, w1, w2]);
    optimizer.dispose();
  });
});
