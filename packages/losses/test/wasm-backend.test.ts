// The trainer's `initEngine({ backend: 'auto' })` picks wasm when tfjs-node is absent: every loss must
// have its kernels (softplus, logSoftmax, logSumExp, oneHot, custom gradients) there and agree with cpu.
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '@dfer/runtime';
import {
  auDferLoss,
  auDiceLoss,
  balancedSoftmaxLoss,
  classBalancedLoss,
  crossEntropyLoss,
  focalLoss,
  logitAdjustedLoss,
  weightedAsymmetricLoss,
  weightedBceLoss,
} from '@dfer/losses';
import { expectNoTensorLeak } from '@dfer/test-utils';

const logitValues = [
  [1, 2, 3],
  [100, -100, 0],
];
const targetValues = [1, 0, 1, 0, 0, 1];
const labels = [0, 2];

const losses: [string, (z: tf.Tensor) => tf.Tensor][] = [
  [
    'cross-entropy',
    (z) => crossEntropyLoss({ logits: z, labels, labelSmoothing: 0.1, classWeights: [1, 2, 3] }).loss,
  ],
  ['focal', (z) => focalLoss({ logits: z, labels, gamma: 0.5 }).loss],
  [
    'class-balanced',
    (z) => classBalancedLoss({ logits: z, labels, classCounts: [1, 2, 3], baseLoss: 'focal' }).loss,
  ],
  ['logit-adjusted', (z) => logitAdjustedLoss({ logits: z, labels, classCounts: [1, 2, 3] }).loss],
  ['balanced softmax', (z) => balancedSoftmaxLoss({ logits: z, labels, classCounts: [1, 2, 3] }).loss],
  [
    'AU-DFER',
    (z) =>
      auDferLoss({
        exprLogits: z,
        auLogits: z,
        labels,
        auTargets: targetValues,
        prior: new Float32Array(9).fill(0.5),
      }).loss,
  ],
  [
    'weighted BCE + Dice',
    (z) => weightedBceLoss({ logits: z, targets: targetValues, dice: { weight: 1 } }).loss,
  ],
  ['weighted asymmetric', (z) => weightedAsymmetricLoss({ logits: z, targets: targetValues }).loss],
  ['Dice', (z) => auDiceLoss({ logits: z, targets: targetValues }).loss],
];

function valueAndGrad(f: (z: tf.Tensor) => tf.Tensor): number[] {
  return tf.tidy(() => {
    const z = tf.tensor2d(logitValues);
    return [...Array.from(f(z).dataSync()), ...Array.from(tf.grad(f)(z).dataSync())];
  });
}

describe('losses on the wasm backend', () => {
  let onCpu: number[][] = [];

  beforeAll(async () => {
    await initEngine({ backend: 'cpu', log: false });
    onCpu = losses.map(([, f]) => valueAndGrad(f));
    const info = await initEngine({ backend: 'wasm', log: false });
    expect(info.backend).toBe('wasm');
  });

  it.each(losses.map(([name, f], i) => [name, f, i] as const))(
    '%s: value and gradient equal the cpu backend',
    (_name, f, i) => {
      const onWasm = valueAndGrad(f);
      const cpu = onCpu[i] as number[];
      expect(onWasm).toHaveLength(cpu.length);
      onWasm.forEach((v, k) =>
        expect(Math.abs(v - (cpu[k] as number))).toBeLessThanOrEqual(
          1e-5 + 1e-5 * Math.abs(cpu[k] as number),
        ),
      );
    },
  );

  it('leaks no tensors on wasm', async () => {
    await expectNoTensorLeak(() => {
      for (const [, f] of losses) valueAndGrad(f);
    });
  });
});
