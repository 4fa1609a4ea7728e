/**
 * Forward audit (not a test): run with `npx tsx bench/forward-audit.ts` from packages/runtime.
 * Runs ~40 ops on tfjs cpu and wasm (kernel fixes registered) on the same seeded inputs and writes the
 * largest relative difference per op to bench/results/forward-audit.json. The stock wasm MaxPool3D
 * failed this audit (all-negative windows), which is why it is delegated to the cpu kernel.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../src/index';
function rnd(shape: number[], seed: number) {
  const n = shape.reduce((p, d) => p * d, 1);
  let s = seed;
  return tf.tensor(
    Float32Array.from({ length: n }, () => {
      s = (s * 16807) % 2147483647;
      return (s / 2147483647) * 4 - 3;
    }),
    shape,
  );
}
const ops: [string, number[][], (...xs: tf.Tensor[]) => tf.Tensor][] = [
  ['maxPool3d same', [[1, 3, 5, 5, 3]], (x) => tf.maxPool3d(x as tf.Tensor5D, 3, 2, 'same')],
  ['avgPool3d same', [[1, 3, 5, 5, 3]], (x) => tf.avgPool3d(x as tf.Tensor5D, 3, 2, 'same')],
  ['maxPool same', [[2, 5, 5, 3]], (x) => tf.maxPool(x as tf.Tensor4D, 3, 2, 'same')],
  ['maxPool pad1', [[2, 5, 5, 3]], (x) => tf.maxPool(x as tf.Tensor4D, 3, 2, 1)],
  ['avgPool same', [[2, 5, 5, 3]], (x) => tf.avgPool(x as tf.Tensor4D, 3, 2, 'same')],
  [
    'conv3d',
    [
      [1, 4, 5, 5, 3],
      [3, 3, 3, 3, 4],
    ],
    (x, w) => tf.conv3d(x as tf.Tensor5D, w as tf.Tensor5D, [1, 2, 2], 'same'),
  ],
  [
    'conv2d pad explicit',
    [
      [1, 6, 6, 3],
      [3, 3, 3, 4],
    ],
    (x, w) =>
      tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, [
        [0, 0],
        [1, 1],
        [1, 1],
        [0, 0],
      ]),
  ],
  [
    'depthwise',
    [
      [1, 6, 6, 3],
      [3, 3, 3, 2],
    ],
    (x, w) => tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'),
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
    'batchMatMul',
    [
      [3, 4, 5],
      [3, 5, 2],
    ],
    (a, b) => tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D),
  ],
  [
    'batchMatMul bcast',
    [
      [3, 4, 5],
      [1, 5, 2],
    ],
    (a, b) => tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D),
  ],
  ['softmax', [[4, 9]], (x) => tf.softmax(x)],
  ['logSoftmax', [[4, 9]], (x) => tf.logSoftmax(x)],
  [
    'max/min/argMax',
    [[4, 9]],
    (x) => tf.add(tf.add(tf.max(x, 1), tf.min(x, 1)), tf.cast(tf.argMax(x, 1), 'float32')),
  ],
  [
    'mean/sum/prod',
    [[3, 4, 5]],
    (x) => tf.add(tf.add(tf.mean(x, [0, 2]), tf.sum(x, [0, 2])), tf.prod(tf.div(x, 3), [0, 2])),
  ],
  ['cumsum', [[3, 7]], (x) => tf.cumsum(x, 1)],
  ['erf', [[3, 7]], (x) => tf.mul(x, tf.erf(x))],
  [
    'sigmoid tanh elu selu',
    [[3, 7]],
    (x) => tf.add(tf.add(tf.sigmoid(x), tf.tanh(x)), tf.add(tf.elu(x), tf.selu(x))),
  ],
  ['leaky prelu', [[3, 7], [7]], (x, a) => tf.add(tf.leakyRelu(x, 0.1), tf.prelu(x, a))],
  [
    'resizeBilinear hp',
    [[1, 3, 5, 2]],
    (x) => tf.image.resizeBilinear(x as tf.Tensor4D, [6, 4], false, true),
  ],
  ['resizeBilinear ac', [[1, 3, 5, 2]], (x) => tf.image.resizeBilinear(x as tf.Tensor4D, [6, 4], true)],
  ['resizeNearest', [[1, 3, 5, 2]], (x) => tf.image.resizeNearestNeighbor(x as tf.Tensor4D, [6, 4])],
  ['transpose 5d', [[2, 3, 2, 4, 3]], (x) => tf.transpose(x, [0, 4, 1, 2, 3])],
  [
    'mirrorPad',
    [[2, 5]],
    (x) =>
      tf.mirrorPad(
        x as tf.Tensor2D,
        [
          [1, 1],
          [2, 2],
        ],
        'reflect',
      ),
  ],
  ['gather', [[5, 3]], (x) => tf.gather(x, tf.tensor1d([4, 0, 2, 2], 'int32'))],
  ['tile/concat/slice', [[2, 3]], (x) => tf.slice(tf.concat([tf.tile(x, [2, 1]), x], 0), [1, 1], [4, 2])],
  ['stridedSlice', [[4, 6]], (x) => tf.stridedSlice(x, [1, 0], [4, 6], [2, 2])],
  [
    'moments',
    [[3, 8]],
    (x) => {
      const m = tf.moments(x, -1, true);
      return tf.div(tf.sub(x, m.mean), tf.sqrt(tf.add(m.variance, 1e-5)));
    },
  ],
  [
    'batchNorm',
    [[2, 4, 3], [3], [3]],
    (x, m, v) => tf.batchNorm(x, m, tf.abs(v), undefined, undefined, 1e-3),
  ],
  ['sqrt exp log', [[3, 7]], (x) => tf.add(tf.sqrt(tf.abs(x)), tf.log(tf.add(tf.exp(x), 1)))],
  [
    'maximum minimum',
    [
      [3, 7],
      [3, 7],
    ],
    (a, b) => tf.add(tf.maximum(a, b), tf.minimum(a, b)),
  ],
  ['unsortedSegmentSum', [[5, 3]], (x) => tf.unsortedSegmentSum(x, tf.tensor1d([0, 2, 2, 1, 0], 'int32'), 3)],
  ['topk', [[3, 9]], (x) => tf.topk(x, 3).values],
  ['l2 norm', [[3, 7]], (x) => tf.div(x, tf.norm(x, 'euclidean', -1, true))],
  [
    'conv1d',
    [
      [2, 7, 3],
      [3, 3, 4],
    ],
    (x, w) => tf.conv1d(x as tf.Tensor3D, w as tf.Tensor3D, 2, 'same'),
  ],
  ['avgPool valid', [[2, 6, 6, 3]], (x) => tf.avgPool(x as tf.Tensor4D, 2, 2, 'valid')],
  ['maxPool3d valid', [[1, 4, 4, 4, 3]], (x) => tf.maxPool3d(x as tf.Tensor5D, 2, 2, 'valid')],
  ['avgPool3d valid', [[1, 4, 4, 4, 3]], (x) => tf.avgPool3d(x as tf.Tensor5D, 2, 2, 'valid')],
];
(async () => {
  const outs: Record<string, Float32Array[]> = { cpu: [], wasm: [] };
  for (const b of ['cpu', 'wasm'] as const) {
    await initEngine({ backend: b, log: false });
    for (const [name, shapes, fn] of ops) {
      const xs = shapes.map((s, i) => rnd(s, 99 + i * 31));
      try {
        outs[b]!.push(tf.tidy(() => fn(...xs)).dataSync() as Float32Array);
      } catch (e) {
        console.log('ERR', b, name, (e as Error).message.slice(0, 100));
        outs[b]!.push(new Float32Array(0));
      }
    }
  }
  const results: Record<string, string> = {};
  ops.forEach(([name], i) => {
    const a = outs.cpu![i]!,
      w = outs.wasm![i]!;
    let m = 0;
    a.forEach((v, j) => {
      m = Math.max(m, Math.abs(v - (w[j] as number)) / Math.max(1, Math.abs(v)));
    });
    const ok = a.length === w.length && a.length > 0 && m <= 1e-4;
    results[name] = `${ok ? 'ok' : 'MISMATCH'}: max |cpu − wasm| / max(1, |cpu|) = ${m.toExponential(2)}`;
    if (!ok) console.log('MISMATCH', name, a.length, w.length, m);
  });
  console.log('checked', ops.length);
  const dir = join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'forward-audit.json'),
    `${JSON.stringify({ date: new Date().toISOString(), results }, null, 2)}\n`,
  );
})();
