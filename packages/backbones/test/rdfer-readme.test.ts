// The README's RDFER example, run as written (on the cpu backend, top-level await in a test body).
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '@dfer/runtime';
import { expectNoTensorLeak } from '@dfer/test-utils';

import { createModel } from '../src/index';
import { type Rdfer, rdferKeyPositionLoss, rdferKeyTargets, RDFER_TINY } from '../src/models';

it('README: one RDFER training loss with the aux terms', async () => {
  await initEngine({ backend: 'cpu', log: false });
  const model = createModel('rdfer', { preset: 'tiny', numClasses: 7 }) as Rdfer;
  await expectNoTensorLeak(() => {
    const x = tf.randomUniform([2, 16, 32, 32, 3]);
    const labels = tf.tidy(() => tf.oneHot(tf.tensor1d([3, 5], 'int32'), 7));
    const { value, grads } = tf.variableGrads(() => {
      const out = model.forwardWithAux(x);
      const keyTargets = rdferKeyTargets(out.instanceLogits, RDFER_TINY.clips, RDFER_TINY.longStride);
      return tf.addN([
        tf.losses.softmaxCrossEntropy(labels, out.logits),
        tf.mul(0.1, tf.losses.softmaxCrossEntropy(labels, out.longLogits)),
        tf.mul(0.1, rdferKeyPositionLoss(out.keyCentres, keyTargets, 16)),
      ]) as tf.Scalar;
    });
    expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    expect(Object.keys(grads).length).toBe(model.parameters().length);
    tf.dispose([x, labels, value, grads as unknown as tf.TensorContainer]);
  });
  model.dispose();
});
