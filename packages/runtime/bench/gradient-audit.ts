/**
 * Gradient audit (not a test): run with `npx tsx bench/gradient-audit.ts` from packages/runtime.
 * Checks the gradients of ~40 ops against central finite differences (`checkGradients`, eps 1e-2) on
 * cpu and wasm with the kernel fixes registered, and writes bench/results/gradient-audit.json.
 * Ops with kinks get inputs away from them (a distinct grid, or fixed values for maximum/clip/where).
 * Not in the list because tfjs has no gradient at all: stridedSlice, dilated conv2d.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkGradients, initEngine } from '../src/index';
function rnd(shape: number[], seed: number, distinct = false) {
  const n = shape.reduce((p, d) => p * d, 1);
  let s = seed;
  const v = Float32Array.from({ length: n }, (_, i) => {
    s = (s * 16807) % 2147483647;
    return distinct ? (((i * 7919) % n) - n / 2) * 0.05 : (s / 2147483647) * 2 - 1;
  });
  return tf.tensor(v, shape);
}
const cases: [string, number[][], (...xs: tf.Tensor[]) => tf.Tensor, boolean?][] = [
  ['maxPool3d', [[1, 4, 4, 4, 2]], (x) => tf.maxPool3d(x as tf.Tensor5D, 2, 2, 'valid'), true],
  ['maxPool3d same s1', [[1, 3, 4, 4, 2]], (x) => tf.maxPool3d(x as tf.Tensor5D, 3, 1, 'same'), true],
  ['avgPool3d valid', [[1, 4, 4, 4, 2]], (x) => tf.avgPool3d(x as tf.Tensor5D, 2, 2, 'valid')],
  ['avgPool3d same', [[1, 3, 5, 5, 2]], (x) => tf.avgPool3d(x as tf.Tensor5D, 3, 2, 'same')],
  [
    'batchMatMul',
    [
      [2, 3, 4],
      [2, 4, 5],
    ],
    (a, b) => tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D),
  ],
  [
    'batchMatMul transB',
    [
      [2, 3, 4],
      [2, 5, 4],
    ],
    (a, b) => tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D, false, true),
  ],
  ['softmax', [[3, 6]], (x) => tf.softmax(x)],
  ['logSoftmax', [[3, 6]], (x) => tf.logSoftmax(x)],
  [
    'moments',
    [[3, 6]],
    (x) => {
      const m = tf.moments(x, -1, true);
      return tf.div(tf.sub(x, m.mean), tf.sqrt(tf.add(m.variance, 1e-5)));
    },
  ],
  ['resizeBilinear', [[1, 3, 4, 2]], (x) => tf.image.resizeBilinear(x as tf.Tensor4D, [5, 7])],
  ['resizeNearest', [[1, 3, 4, 2]], (x) => tf.image.resizeNearestNeighbor(x as tf.Tensor4D, [6, 8])],
  [
    'pad',
    [[2, 3]],
    (x) =>
      tf.pad(x, [
        [1, 0],
        [0, 2],
      ]),
  ],
  [
    'concat+split',
    [
      [2, 3],
      [2, 2],
    ],
    (a, b) => tf.split(tf.concat([a, b], 1), [1, 4], 1)[1] as tf.Tensor,
  ],
  ['transpose', [[2, 3, 4]], (x) => tf.transpose(x, [2, 0, 1])],
  ['tile', [[2, 3]], (x) => tf.tile(x, [2, 3])],
  ['gatherV2 axis1', [[3, 4]], (x) => tf.gather(x, tf.tensor1d([3, 0, 3], 'int32'), 1)],
  ['cumsum', [[2, 5]], (x) => tf.cumsum(x, 1)],
  ['prelu', [[2, 5], [5]], (x, a) => tf.prelu(x, a)],
  ['leakyRelu', [[2, 5]], (x) => tf.leakyRelu(x, 0.2)],
  ['elu', [[2, 5]], (x) => tf.elu(x)],
  ['selu', [[2, 5]], (x) => tf.selu(x)],
  ['erf', [[2, 5]], (x) => tf.erf(x)],
  ['sigmoid tanh', [[2, 5]], (x) => tf.tanh(tf.sigmoid(x))],
  ['exp log', [[2, 5]], (x) => tf.log(tf.add(tf.exp(x), 1))],
  ['sqrt rsqrt', [[2, 5]], (x) => tf.rsqrt(tf.add(tf.square(x), 1))],
  ['max reduce', [[3, 5]], (x) => tf.max(x, 1), true],
  ['min reduce', [[3, 5]], (x) => tf.min(x, 1), true],
  ['sum/mean axis', [[2, 3, 4]], (x) => tf.mean(tf.sum(x, 2), 0)],
  ['broadcast div', [[2, 5], [5]], (a, b) => tf.div(a, tf.add(tf.abs(b), 1))],
  [
    'squaredDifference',
    [
      [2, 5],
      [2, 5],
    ],
    (a, b) => tf.squaredDifference(a, b),
  ],
  [
    'conv2dTranspose',
    [
      [1, 3, 3, 2],
      [3, 3, 4, 2],
    ],
    (x, w) => tf.conv2dTranspose(x as tf.Tensor4D, w as tf.Tensor4D, [1, 6, 6, 4], 2, 'same'),
  ],
  [
    'separableConv2d',
    [
      [1, 5, 5, 2],
      [3, 3, 2, 1],
      [1, 1, 2, 3],
    ],
    (x, d, p) => tf.separableConv2d(x as tf.Tensor4D, d as tf.Tensor4D, p as tf.Tensor4D, 1, 'same'),
  ],
  [
    'conv1d',
    [
      [2, 7, 3],
      [3, 3, 4],
    ],
    (x, w) => tf.conv1d(x as tf.Tensor3D, w as tf.Tensor3D, 2, 'same'),
  ],
  ['unsortedSegmentSum', [[5, 3]], (x) => tf.unsortedSegmentSum(x, tf.tensor1d([0, 2, 2, 1, 0], 'int32'), 3)],
  [
    'oneHot CE',
    [[3, 4]],
    (x) => tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d([0, 3, 1], 'int32'), 4), x),
  ],
  [
    'sigmoid CE',
    [[3, 4]],
    (x) =>
      tf.losses.sigmoidCrossEntropy(
        tf.tensor2d([
          [1, 0, 0, 1],
          [0, 1, 1, 0],
          [1, 1, 0, 0],
        ]),
        x,
      ),
  ],
  [
    'depthwise s2',
    [
      [1, 6, 6, 2],
      [3, 3, 2, 2],
    ],
    (x, w) => tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'same'),
  ],
];
const fixed = (): [string, tf.Tensor[], (...xs: tf.Tensor[]) => tf.Tensor][] => {
  const a = tf.tensor2d([
    [0.9, -0.3, 0.2, -0.8, 0.45],
    [0.1, 0.7, -0.6, 0.35, -0.05],
  ]);
  const b = tf.tensor2d([
    [0.5, -0.1, 0.6, -0.2, 0.05],
    [0.4, 0.3, -0.9, 0.75, -0.45],
  ]);
  const cond = tf.greater(a, 0);
  return [
    ['maximum', [a, b], (p, q) => tf.maximum(p as tf.Tensor, q as tf.Tensor)],
    ['clipByValue', [a], (p) => tf.clipByValue(p as tf.Tensor, -0.5, 0.5)],
    ['where', [a, b], (p, q) => tf.where(cond, p as tf.Tensor, q as tf.Tensor)],
  ];
};
(async () => {
  const results: Record<string, string> = {};
  for (const backend of ['wasm', 'cpu'] as const) {
    await initEngine({ backend, log: false });
    for (const [name, shapes, fn, distinct] of cases) {
      const xs = shapes.map((s, i) => rnd(s, 1234 + i * 17, distinct ?? false));
      try {
        const r = checkGradients(fn, xs, { eps: 1e-2, rtol: 2e-2, atol: 2e-3 });
        results[`${backend}/${name}`] =
          `ok (${r.checked} elements, max |diff| ${r.maxAbsError.toExponential(2)})`;
      } catch (e) {
        results[`${backend}/${name}`] = `FAIL: ${(e as Error).message}`;
      }
      xs.forEach((x) => x.dispose());
    }
    for (const [name, xs, fn] of fixed()) {
      try {
        const r = checkGradients(fn, xs, { eps: 1e-2 });
        results[`${backend}/${name}`] =
          `ok (${r.checked} elements, max |diff| ${r.maxAbsError.toExponential(2)})`;
      } catch (e) {
        results[`${backend}/${name}`] = `FAIL: ${(e as Error).message}`;
      }
    }
  }
  const failures = Object.entries(results).filter(([, v]) => v.startsWith('FAIL'));
  failures.forEach(([k, v]) => console.log(k, v));
  console.log(`${Object.keys(results).length} checks, ${failures.length} failures`);
  const dir = join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'gradient-audit.json'),
    `${JSON.stringify({ date: new Date().toISOString(), results }, null, 2)}\n`,
  );
})();
