import * as tf from '@tensorflow/tfjs-core';
import { createSeededRng, expectNoTensorLeak } from '@dfer/test-utils';
import {
  assertParity,
  initEngine,
  onnxAttr,
  transposeToChannelsFirst,
  transposeToChannelsLast,
} from '@dfer/runtime';
import type { OnnxGraph, ParityModel } from '@dfer/runtime';

// Each case is a tiny model with a tfjs forward (the reference) and a hand-written ONNX lowering; the
// lowering runs in onnxruntime-node and must match tfjs within 1e-4.

const rng = createSeededRng(11);
const values = (n: number, lo = -1, hi = 1): Float32Array => rng.uniformArray(n, lo, hi);
const size = (shape: number[]): number => shape.reduce((p, d) => p * d, 1);

/** tfjs filter [kh, kw, (kd,) in, out] → ONNX [out, in, (kd,) kh, kw]. */
function toOnnxFilter(w: Float32Array, shape: number[]): Float32Array {
  const rank = shape.length;
  return tf.tidy(() => {
    const perm = [rank - 1, rank - 2, ...Array.from({ length: rank - 2 }, (_, i) => i)];
    return tf.transpose(tf.tensor(w, shape), perm).dataSync() as Float32Array;
  });
}

interface OpCase {
  name: string;
  inputShape: number[];
  model: ParityModel;
}

function conv2dCase(
  name: string,
  xShape: number[],
  wShape: number[],
  stride: number,
  tfPad: 'same' | 'valid' | [number, number][],
  onnxPads: number[],
): OpCase {
  const w = values(size(wShape), -0.5, 0.5);
  const b = values(wShape[3] as number);
  const wOnnx = toOnnxFilter(w, wShape);
  return {
    name,
    inputShape: xShape,
    model: {
      forward: (x) => {
        const pad = Array.isArray(tfPad) ? (tfPad as unknown as tf.backend_util.ExplicitPadding) : tfPad;
        return tf.add(
          tf.conv2d(
            x as tf.Tensor4D,
            tf.tensor4d(w, wShape as [number, number, number, number]),
            stride,
            pad,
          ),
          tf.tensor1d(b),
        );
      },
      toOnnx: (g: OnnxGraph, input: string) => {
        const W = g.addInitializer(g.uniqueName('conv.weight'), wOnnx, [
          wShape[3],
          wShape[2],
          wShape[0],
          wShape[1],
        ] as number[]);
        const B = g.addInitializer(g.uniqueName('conv.bias'), b, [wShape[3] as number]);
        const y = g.addNode('Conv', [transposeToChannelsFirst(g, input, 4), W, B], {
          kernel_shape: onnxAttr.ints(wShape.slice(0, 2)),
          strides: onnxAttr.ints([stride, stride]),
          pads: onnxAttr.ints(onnxPads),
        });
        return transposeToChannelsLast(g, y, 4);
      },
    },
  };
}

function unary(
  name: string,
  shape: number[],
  tfFn: (x: tf.Tensor) => tf.Tensor,
  lower: (g: OnnxGraph, x: string) => string,
): OpCase {
  return { name, inputShape: shape, model: { forward: tfFn, toOnnx: lower } };
}

const SQRT1_2 = Math.SQRT1_2;
const GELU_C = Math.sqrt(2 / Math.PI);

const cases: OpCase[] = [
  conv2dCase('Conv 2-D 3x3 stride 1 same', [2, 5, 6, 3], [3, 3, 3, 4], 1, 'same', [1, 1, 1, 1]),
  conv2dCase(
    'Conv 2-D 3x3 stride 2 pads 1',
    [1, 7, 7, 2],
    [3, 3, 2, 3],
    2,
    [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ],
    [1, 1, 1, 1],
  ),
  conv2dCase('Conv 2-D 2x2 stride 2 valid', [2, 6, 4, 3], [2, 2, 3, 2], 2, 'valid', [0, 0, 0, 0]),
  (() => {
    const wShape = [2, 3, 3, 2, 3];
    const w = values(size(wShape), -0.5, 0.5);
    const wOnnx = toOnnxFilter(w, wShape);
    return {
      name: 'Conv 3-D 2x3x3 stride (1,2,2) valid',
      inputShape: [1, 4, 7, 7, 2],
      model: {
        forward: (x: tf.Tensor) =>
          tf.conv3d(
            x as tf.Tensor5D,
            tf.tensor5d(w, wShape as [number, number, number, number, number]),
            [1, 2, 2],
            'valid',
          ),
        toOnnx: (g: OnnxGraph, input: string) => {
          const W = g.addInitializer(g.uniqueName('conv3d.weight'), wOnnx, [3, 2, 2, 3, 3]);
          const y = g.addNode('Conv', [transposeToChannelsFirst(g, input, 5), W], {
            kernel_shape: onnxAttr.ints([2, 3, 3]),
            strides: onnxAttr.ints([1, 2, 2]),
          });
          return transposeToChannelsLast(g, y, 5);
        },
      },
    };
  })(),
  (() => {
    const w = values(4 * 3);
    return unary(
      'MatMul [B, T, F] × [F, G]',
      [2, 3, 4],
      (x) => tf.reshape(tf.matMul(tf.reshape(x, [6, 4]), tf.tensor2d(w, [4, 3])), [2, 3, 3]),
      (g, x) => g.addNode('MatMul', [x, g.addInitializer(g.uniqueName('w'), w, [4, 3])]),
    );
  })(),
  (() => {
    const w = values(5 * 4);
    const b = values(5);
    return unary(
      'Gemm (transB) with bias',
      [3, 4],
      (x) => tf.add(tf.matMul(x, tf.tensor2d(w, [5, 4]), false, true), tf.tensor1d(b)),
      (g, x) =>
        g.addNode(
          'Gemm',
          [x, g.addInitializer(g.uniqueName('w'), w, [5, 4]), g.addInitializer(g.uniqueName('b'), b, [5])],
          {
            transB: onnxAttr.int(1),
          },
        ),
    );
  })(),
  (() => {
    const c = values(4);
    const d = values(4);
    return unary(
      'Add and Mul with broadcasting',
      [2, 3, 4],
      (x) => tf.mul(tf.add(x, tf.tensor1d(c)), tf.tensor1d(d)),
      (g, x) =>
        g.addNode('Mul', [
          g.addNode('Add', [x, g.addInitializer(g.uniqueName('c'), c, [4])]),
          g.addInitializer(g.uniqueName('d'), d, [4]),
        ]),
    );
  })(),
  unary(
    'Relu',
    [2, 9],
    (x) => tf.relu(x),
    (g, x) => g.addNode('Relu', [x]),
  ),
  unary(
    'Sigmoid',
    [2, 9],
    (x) => tf.sigmoid(tf.mul(x, 4)),
    (g, x) =>
      g.addNode('Sigmoid', [
        g.addNode('Mul', [x, g.addInitializer(g.uniqueName('k'), new Float32Array([4]), [])]),
      ]),
  ),
  unary(
    'Tanh',
    [2, 9],
    (x) => tf.tanh(tf.mul(x, 3)),
    (g, x) =>
      g.addNode('Tanh', [
        g.addNode('Mul', [x, g.addInitializer(g.uniqueName('k'), new Float32Array([3]), [])]),
      ]),
  ),
  unary(
    'GELU (erf): 0.5·x·(1 + erf(x/√2))',
    [3, 8],
    (x) => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, SQRT1_2)))),
    (g, x) => {
      const k = (v: number) => g.addInitializer(g.uniqueName('k'), new Float32Array([v]), []);
      const erf = g.addNode('Erf', [g.addNode('Mul', [x, k(SQRT1_2)])]);
      return g.addNode('Mul', [g.addNode('Mul', [x, k(0.5)]), g.addNode('Add', [erf, k(1)])]);
    },
  ),
  unary(
    'GELU (tanh): 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))',
    [3, 8],
    (x) =>
      tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(tf.mul(GELU_C, tf.add(x, tf.mul(0.044715, tf.pow(x, 3))))))),
    (g, x) => {
      const k = (v: number) => g.addInitializer(g.uniqueName('k'), new Float32Array([v]), []);
      const cube = g.addNode('Mul', [g.addNode('Mul', [x, x]), x]);
      const inner = g.addNode('Mul', [
        g.addNode('Add', [x, g.addNode('Mul', [cube, k(0.044715)])]),
        k(GELU_C),
      ]);
      return g.addNode('Mul', [
        g.addNode('Mul', [x, k(0.5)]),
        g.addNode('Add', [g.addNode('Tanh', [inner]), k(1)]),
      ]);
    },
  ),
  (() => {
    const gamma = values(6, 0.5, 1.5);
    const beta = values(6);
    return unary(
      'LayerNormalization (axis −1, eps 1e-5)',
      [2, 3, 6],
      (x) => {
        const { mean, variance } = tf.moments(x, -1, true);
        return tf.add(
          tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), tf.tensor1d(gamma)),
          tf.tensor1d(beta),
        );
      },
      (g, x) =>
        g.addNode(
          'LayerNormalization',
          [
            x,
            g.addInitializer(g.uniqueName('ln.weight'), gamma, [6]),
            g.addInitializer(g.uniqueName('ln.bias'), beta, [6]),
          ],
          {
            axis: onnxAttr.int(-1),
            epsilon: onnxAttr.float(1e-5),
          },
        ),
    );
  })(),
  (() => {
    const [scale, offset, mean, variance] = [values(3, 0.5, 1.5), values(3), values(3), values(3, 0.2, 2)];
    return unary(
      'BatchNormalization (inference, NCHW inside)',
      [2, 4, 4, 3],
      (x) =>
        tf.batchNorm(
          x,
          tf.tensor1d(mean),
          tf.tensor1d(variance),
          tf.tensor1d(offset),
          tf.tensor1d(scale),
          1e-3,
        ),
      (g, x) => {
        const c = (name: string, v: Float32Array) => g.addInitializer(g.uniqueName(name), v, [3]);
        const y = g.addNode(
          'BatchNormalization',
          [
            transposeToChannelsFirst(g, x, 4),
            c('bn.scale', scale),
            c('bn.bias', offset),
            c('bn.mean', mean),
            c('bn.var', variance),
          ],
          {
            epsilon: onnxAttr.float(1e-3),
          },
        );
        return transposeToChannelsLast(g, y, 4);
      },
    );
  })(),
  unary(
    'Softmax (axis −1)',
    [3, 7],
    (x) => tf.softmax(tf.mul(x, 5)),
    (g, x) =>
      g.addNode(
        'Softmax',
        [g.addNode('Mul', [x, g.addInitializer(g.uniqueName('k'), new Float32Array([5]), [])])],
        { axis: onnxAttr.int(-1) },
      ),
  ),
  unary(
    'MaxPool 2x2 stride 2',
    [2, 6, 6, 3],
    (x) => tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid'),
    (g, x) =>
      transposeToChannelsLast(
        g,
        g.addNode('MaxPool', [transposeToChannelsFirst(g, x, 4)], {
          kernel_shape: onnxAttr.ints([2, 2]),
          strides: onnxAttr.ints([2, 2]),
        }),
        4,
      ),
  ),
  unary(
    'MaxPool 3x3 stride 1 same (pads 1)',
    [1, 5, 5, 2],
    (x) => tf.maxPool(x as tf.Tensor4D, 3, 1, 'same'),
    (g, x) =>
      transposeToChannelsLast(
        g,
        g.addNode('MaxPool', [transposeToChannelsFirst(g, x, 4)], {
          kernel_shape: onnxAttr.ints([3, 3]),
          pads: onnxAttr.ints([1, 1, 1, 1]),
        }),
        4,
      ),
  ),
  unary(
    'AveragePool 3x3 stride 1 same (pads 1, real-pixel count)',
    [1, 5, 4, 2],
    (x) => tf.avgPool(x as tf.Tensor4D, 3, 1, 'same'),
    (g, x) =>
      transposeToChannelsLast(
        g,
        g.addNode('AveragePool', [transposeToChannelsFirst(g, x, 4)], {
          kernel_shape: onnxAttr.ints([3, 3]),
          pads: onnxAttr.ints([1, 1, 1, 1]),
        }),
        4,
      ),
  ),
  unary(
    'GlobalAveragePool',
    [2, 4, 5, 3],
    (x) => tf.mean(x, [1, 2]),
    (g, x) =>
      g.addNode('Flatten', [g.addNode('GlobalAveragePool', [transposeToChannelsFirst(g, x, 4)])], {
        axis: onnxAttr.int(1),
      }),
  ),
  unary(
    'Transpose [0, 2, 1]',
    [2, 3, 4],
    (x) => tf.transpose(x, [0, 2, 1]),
    (g, x) => g.addNode('Transpose', [x], { perm: onnxAttr.ints([0, 2, 1]) }),
  ),
  unary(
    'Reshape [0, −1] (dynamic batch)',
    [2, 3, 4],
    (x) => tf.reshape(x, [x.shape[0] as number, -1]),
    (g, x) => g.addNode('Reshape', [x, g.addInt64Constant('shape', [0, -1])]),
  ),
  unary(
    'Concat (axis −1)',
    [2, 3],
    (x) => tf.concat([x, tf.relu(x)], -1),
    (g, x) => g.addNode('Concat', [x, g.addNode('Relu', [x])], { axis: onnxAttr.int(-1) }),
  ),
  unary(
    'Slice (axes 1, 2; step 2 on axis 2)',
    [2, 5, 6],
    (x) => tf.stridedSlice(x, [0, 1, 0], [2, 4, 6], [1, 1, 2]),
    (g, x) =>
      g.addNode('Slice', [
        x,
        g.addInt64Constant('starts', [1, 0]),
        g.addInt64Constant('ends', [4, 6]),
        g.addInt64Constant('axes', [1, 2]),
        g.addInt64Constant('steps', [1, 2]),
      ]),
  ),
];

describe('ONNX lowering of each op matches tfjs within 1e-4 (onnxruntime-node)', () => {
  beforeAll(async () => {
    await initEngine({ backend: 'cpu', log: false });
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const x = tf.tensor(values(size(c.inputShape), -2, 2), c.inputShape);
    const report = await expectNoTensorLeak(() => assertParity(c.model, x, { rtol: 1e-4, atol: 1e-4 }));
    x.dispose();
    expect(report.outputs).toHaveLength(1);
    expect(report.outputs[0]?.shape).toEqual(
      tf.tidy(() => {
        const t = tf.tensor(new Float32Array(size(c.inputShape)), c.inputShape);
        return (c.model.forward(t) as tf.Tensor).shape;
      }),
    );
    expect(report.maxAbsDiff).toBeLessThan(1e-4);
  });

  it('assertParity fails, naming the element, when a lowering is wrong', async () => {
    const wrong: ParityModel = { forward: (x) => tf.sigmoid(x), toOnnx: (g, x) => g.addNode('Tanh', [x]) };
    const x = tf.tensor2d([[0.5, -1]]);
    await expect(assertParity(wrong, x)).rejects.toThrow(/output "output" element 0 differs: tfjs 0\.62/);
    x.dispose();
  });

  it('assertParity reports a shape mismatch', async () => {
    const wrong: ParityModel = { forward: (x) => tf.reshape(x, [-1]), toOnnx: (_g, x) => x };
    const x = tf.tensor2d([[0.5, -1]]);
    await expect(assertParity(wrong, x)).rejects.toThrow(/shape \[2\] in tfjs but \[1, 2\] in ONNX/);
    x.dispose();
  });
});
