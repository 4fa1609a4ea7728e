import * as tf from '@tensorflow/tfjs-core';
import { fusedKernelAvailable, initEngine, setFusedKernels } from '@dfer/runtime';
import { BatchNorm } from '@dfer/backbones/nn';
import { createSeededRng, expectNoTensorLeak } from '@dfer/test-utils';

/**
 * The running statistics of a training-mode BatchNorm: with the fused kernel (cpu, wasm) they are blended in
 * one typed-array pass per buffer; without it by tfjs ops. Both must give PyTorch's update,
 * running ← (1 − m)·running + m·batch with the unbiased batch variance, computed here in float64.
 */
describe.each(['cpu', 'wasm'] as const)('BatchNorm running statistics on %s', (backend) => {
  beforeAll(async () => {
    await initEngine({ backend, log: false });
  });
  afterAll(() => setFusedKernels('defaults'));

  it.each([true, false])('fused kernel %s: two steps follow the float64 formula, no leak', async (fused) => {
    setFusedKernels({ batchNorm: fused });
    expect(fusedKernelAvailable('batchNorm')).toBe(fused);
    const [n, c, m] = [6, 3, 0.1];
    const rng = createSeededRng(7);
    const batches = [rng.uniformArray(n * c, -2, 3), rng.uniformArray(n * c, -1, 1)];
    const bn = new BatchNorm(c, { momentum: m }).train();
    const mean = new Float64Array(c);
    const variance = new Float64Array(c).fill(1);
    await expectNoTensorLeak(() => {
      for (const values of batches) {
        tf.dispose(tf.tidy(() => bn.forward(tf.tensor2d(values, [n, c]))));
        for (let j = 0; j < c; j++) {
          let s = 0;
          for (let i = 0; i < n; i++) s += values[i * c + j]!;
          const mu = s / n;
          let q = 0;
          for (let i = 0; i < n; i++) q += (values[i * c + j]! - mu) ** 2;
          mean[j] = (1 - m) * mean[j]! + m * mu;
          variance[j] = (1 - m) * variance[j]! + m * (q / (n - 1));
        }
      }
    });
    Array.from(bn.runningMean.dataSync()).forEach((v, j) => expect(v).toBeCloseTo(mean[j]!, 6));
    Array.from(bn.runningVar.dataSync()).forEach((v, j) => expect(v).toBeCloseTo(variance[j]!, 6));
    expect(bn.numBatchesTracked.dataSync()[0]).toBe(2);
    bn.dispose();
  });
});
