/**
 * Fused kernels on cpu and wasm: gradients against central differences (`checkGradients`), forward values
 * and gradients against the unfused tfjs ops (written out here from their formulas), no tensor leaks.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createSeededRng, expectNoTensorLeak } from '@dfer/test-utils';
import {
  checkGradients,
  defaultFusedKernels,
  fusedKernelAvailable,
  fusedAdamWUpdate,
  fusedBatchNormTrain,
  fusedGelu,
  fusedLayerNorm,
  fusedLstmCell,
  fusedScaledSoftmax,
  getFusedKernels,
  initEngine,
  setFusedKernels,
} from '@dfer/runtime';

type Fn = (...xs: tf.Tensor[]) => tf.Tensor;

interface FusedCase {
  name: string;
  shapes: number[][];
  fused: Fn;
  unfused: Fn;
  /** Scale of the seeded uniform inputs (default 1). */
  scale?: number;
}

function inputs(shapes: number[][], seed: number, scale = 1): tf.Tensor[] {
  const rng = createSeededRng(seed);
  return shapes.map((shape) => {
    const n = shape.reduce((p, d) => p * d, 1);
    return tf.tensor(rng.uniformArray(n, -scale, scale), shape);
  });
}

/** Σ_i cos(0.7·i + 0.3)·f(x)_i: a loss that weights every output element differently. */
function weightedSum(y: tf.Tensor): tf.Scalar {
  return tf.tidy(() =>
    tf.sum(tf.mul(y, tf.reshape(tf.cos(tf.add(tf.mul(tf.range(0, y.size), 0.7), 0.3)), y.shape))),
  );
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] as number));
  return m;
}

function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rtol: number,
  what: string,
): void {
  expect(actual.length).toBe(expected.length);
  const scale = Math.max(1, maxAbs(expected));
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    worst = Math.max(worst, Math.abs((actual[i] as number) - (expected[i] as number)));
  }
  if (worst > rtol * scale) throw new Error(`${what}: max |fused − unfused| = ${worst} > ${rtol}·${scale}`);
}

const layerNormUnfused =
  (eps: number): Fn =>
  (x, g, b) => {
    const { mean, variance } = tf.moments(x!, -1, true);
    return tf.add(tf.mul(tf.mul(tf.sub(x!, mean), tf.rsqrt(tf.add(variance, eps))), g!), b!);
  };

const CASES: FusedCase[] = [
  {
    name: 'layerNorm [2, 3, 5], ε 1e-5',
    shapes: [[2, 3, 5], [5], [5]],
    fused: (x, g, b) => fusedLayerNorm(x!, g!, b!, 1e-5),
    unfused: layerNormUnfused(1e-5),
  },
  {
    name: 'layerNorm [4, 16], ε 1e-6, inputs ×3',
    shapes: [[4, 16], [16], [16]],
    fused: (x, g, b) => fusedLayerNorm(x!, g!, b!, 1e-6),
    unfused: layerNormUnfused(1e-6),
    scale: 3,
  },
  {
    name: 'gelu exact [3, 7], inputs ×3',
    shapes: [[3, 7]],
    fused: (x) => fusedGelu(x!, 'none'),
    unfused: (x) => tf.mul(tf.mul(x!, 0.5), tf.add(tf.erf(tf.mul(x!, Math.SQRT1_2)), 1)),
    scale: 3,
  },
  {
    name: 'gelu tanh [2, 3, 4], inputs ×3',
    shapes: [[2, 3, 4]],
    fused: (x) => fusedGelu(x!, 'tanh'),
    unfused: (x) => {
      const inner = tf.mul(tf.add(x!, tf.mul(tf.mul(tf.mul(x!, x!), x!), 0.044715)), Math.sqrt(2 / Math.PI));
      return tf.mul(tf.mul(x!, 0.5), tf.add(tf.tanh(inner), 1));
    },
    scale: 3,
  },
  {
    name: 'softmax [2, 3, 6], scale 0.35, inputs ×3',
    shapes: [[2, 3, 6]],
    fused: (x) => fusedScaledSoftmax(x!, 0.35),
    unfused: (x) => tf.softmax(tf.mul(x!, 0.35), -1),
    scale: 3,
  },
  {
    name: 'softmax [5, 9], scale 1, inputs ×4',
    shapes: [[5, 9]],
    fused: (x) => fusedScaledSoftmax(x!),
    unfused: (x) => tf.softmax(x!, -1),
    scale: 4,
  },
  {
    name: 'batchNorm train [6, 4] → y, ε 1e-5',
    shapes: [[6, 4], [4], [4]],
    fused: (x, g, b) => fusedBatchNormTrain(x as tf.Tensor2D, g!, b!, 1e-5)[0],
    unfused: (x, g, b) => {
      const { mean, variance } = tf.moments(x!, 0);
      return tf.add(tf.mul(tf.mul(tf.sub(x!, mean), tf.rsqrt(tf.add(variance, 1e-5))), g!), b!);
    },
    scale: 2,
  },
  {
    name: 'batchNorm train [5, 3] → [y, μ, σ²] (gradients through the statistics too)',
    shapes: [[5, 3], [3], [3]],
    fused: (x, g, b) => {
      const [y, mean, variance] = fusedBatchNormTrain(x as tf.Tensor2D, g!, b!, 1e-3);
      return tf.concat([tf.reshape(y, [-1]), mean, variance]);
    },
    unfused: (x, g, b) => {
      const { mean, variance } = tf.moments(x!, 0);
      const y = tf.add(tf.mul(tf.mul(tf.sub(x!, mean), tf.rsqrt(tf.add(variance, 1e-3))), g!), b!);
      return tf.concat([tf.reshape(y, [-1]), mean, variance]);
    },
  },
  {
    name: 'lstmCell gates [3, 8], c [3, 2] → [h, c′] (gradients through both outputs)',
    shapes: [
      [3, 8],
      [3, 2],
    ],
    fused: (a, c) => tf.concat(fusedLstmCell(a as tf.Tensor2D, c as tf.Tensor2D), 1),
    unfused: (a, c) => {
      const [i, f, g, o] = tf.split(a!, 4, 1);
      const cNew = tf.add(tf.mul(tf.sigmoid(f!), c!), tf.mul(tf.sigmoid(i!), tf.tanh(g!)));
      return tf.concat([tf.mul(tf.sigmoid(o!), tf.tanh(cNew)), cNew], 1);
    },
    scale: 2,
  },
];

describe.each(['cpu', 'wasm'] as const)('fused kernels on %s', (backend) => {
  beforeAll(async () => {
    const info = await initEngine({ backend, log: false });
    expect(info.backend).toBe(backend);
  });

  it('are registered; on by default except GELU and softmax (slower than the stock wasm kernels)', () => {
    expect(getFusedKernels()).toEqual({
      layerNorm: true,
      gelu: false,
      softmax: false,
      batchNorm: true,
      lstmCell: true,
      adamw: true,
    });
    setFusedKernels(true);
    for (const name of Object.keys(getFusedKernels())) expect(fusedKernelAvailable(name as never)).toBe(true);
  });

  it.each(CASES)('$name: gradients match central differences', ({ shapes, fused, scale }) => {
    const xs = inputs(shapes, 7, scale);
    const report = checkGradients(fused, xs, { eps: 1e-2, rtol: 2e-2, atol: 2e-3 });
    expect(report.checked).toBe(xs.reduce((n, x) => n + x.size, 0));
    tf.dispose(xs);
  });

  it.each(CASES)(
    '$name: forward and gradients equal the unfused ops; no leak',
    async ({ shapes, fused, unfused, scale }) => {
      const xs = inputs(shapes, 11, scale);
      const run = (fn: Fn): { y: Float32Array; grads: Float32Array[] } => {
        const y = tf.tidy(() => fn(...xs).dataSync() as Float32Array);
        const grads = tf.tidy(() =>
          tf
            .grads((...a: tf.Tensor[]) => weightedSum(fn(...a)))(xs)
            .map((g) => g.dataSync() as Float32Array),
        );
        return { y, grads };
      };
      const a = run(unfused);
      await expectNoTensorLeak(() => {
        const b = run(fused);
        expectClose(b.y, a.y, 1e-5, 'forward');
        b.grads.forEach((g, i) => expectClose(g, a.grads[i]!, 1e-4, `gradient of input ${i}`));
      });
      tf.dispose(xs);
    },
  );

  it('fusedAdamWUpdate updates in place as the AdamW formula (two steps), skips shared buffers', () => {
    const rng = createSeededRng(3);
    const p0 = rng.uniformArray(7, -1, 1);
    const gs = [rng.uniformArray(7, -1, 1), rng.uniformArray(7, -1, 1)];
    const variable = (values: Float32Array): tf.Variable => {
      const init = tf.tensor(values);
      const v = tf.variable(init, false);
      init.dispose();
      return v;
    };
    const param = variable(p0);
    const m = variable(new Float32Array(7));
    const v = variable(new Float32Array(7));
    const [lr, b1, b2, eps, wd] = [0.01, 0.9, 0.999, 1e-8, 0.05];
    const before = tf.memory().numTensors;
    // Expected values in float64, step by step (torch.optim.AdamW's update).
    const ep = Array.from(p0);
    const em = new Array<number>(7).fill(0);
    const ev = new Array<number>(7).fill(0);
    gs.forEach((g, k) => {
      const t = k + 1;
      const grad = tf.tensor(g);
      const skipped = fusedAdamWUpdate([{ param, grad, m, v, weightDecay: wd }], {
        lr,
        beta1: b1,
        beta2: b2,
        eps,
        step: t,
      });
      expect(skipped).toEqual([]);
      grad.dispose();
      for (let i = 0; i < 7; i++) {
        const gi = g[i] as number;
        em[i] = b1 * em[i]! + (1 - b1) * gi;
        ev[i] = b2 * ev[i]! + (1 - b2) * gi * gi;
        ep[i] =
          ep[i]! * (1 - lr * wd) -
          (lr * (em[i]! / (1 - b1 ** t))) / (Math.sqrt(ev[i]! / (1 - b2 ** t)) + eps);
      }
    });
    expect(tf.memory().numTensors).toBe(before);
    expectClose(param.dataSync(), ep, 1e-6, 'parameter');
    expectClose(m.dataSync(), em, 1e-6, 'm');
    expectClose(v.dataSync(), ev, 1e-6, 'v');
    // An entry whose moment buffer another tensor shares is returned untouched.
    const shared = tf.clone(m);
    const grad = tf.ones([7]);
    const kept = param.dataSync().slice();
    const skipped = fusedAdamWUpdate([{ param, grad, m, v, weightDecay: 0 }], {
      lr,
      beta1: b1,
      beta2: b2,
      eps,
      step: 3,
    });
    expect(skipped.map((e) => e.param)).toEqual([param]);
    expect(Array.from(param.dataSync())).toEqual(Array.from(kept));
    tf.dispose([shared, grad, param, m, v]);
  });

  it('fusedAdamWUpdate: a convolution reads the updated weights (the parameter is not written in place)', () => {
    // The wasm backend caches a convolution's packed weights by buffer: an in-place write would go unseen.
    const variable = (values: number[], trainable: boolean): tf.Variable => {
      const init = tf.tensor4d(values, [1, 1, 2, 2]);
      const out = tf.variable(init, trainable);
      init.dispose();
      return out;
    };
    const w = variable([0.5, -0.25, 1, 2], true);
    const m = variable([0, 0, 0, 0], false);
    const v = variable([0, 0, 0, 0], false);
    const x = tf.tensor4d([1, 2, 3, 4], [1, 1, 2, 2]);
    const conv = (): Float32Array =>
      tf.tidy(() => tf.conv2d(x, w as tf.Tensor4D, 1, 'valid').dataSync() as Float32Array);
    conv(); // the kernel has seen (and may have cached) the old weights
    const grad = tf.tensor4d([1, -1, 1, -1], [1, 1, 2, 2]);
    const skipped = fusedAdamWUpdate([{ param: w, grad, m, v, weightDecay: 0 }], {
      lr: 0.1,
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      step: 1,
    });
    expect(skipped).toEqual([]);
    const wv = w.dataSync();
    // First step: p ← p − lr·sign(g) (m̂/√v̂ = g/|g|).
    expectClose(wv, [0.4, -0.15, 0.9, 2.1], 1e-6, 'weights');
    const y = conv();
    expectClose(
      y,
      [1 * 0.4 + 2 * 0.9, 1 * -0.15 + 2 * 2.1, 3 * 0.4 + 4 * 0.9, 3 * -0.15 + 4 * 2.1],
      1e-5,
      'conv output',
    );
    tf.dispose([w, m, v, x, grad]);
  });

  it('setFusedKernels switches them off and on, and rejects unknown names', () => {
    setFusedKernels(false);
    expect(Object.values(getFusedKernels()).every((on) => !on)).toBe(true);
    expect(fusedKernelAvailable('layerNorm')).toBe(false);
    setFusedKernels({ layerNorm: true });
    expect(fusedKernelAvailable('layerNorm')).toBe(true);
    setFusedKernels('defaults');
    expect(getFusedKernels()).toEqual(defaultFusedKernels());
    expect(() => setFusedKernels({ nope: true } as never)).toThrow(/unknown fused kernel 'nope'/);
  });
});
