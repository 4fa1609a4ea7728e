import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import { checkGradients } from '@dfer/runtime';
import { expectNoTensorLeak } from '@dfer/test-utils';
import { rdferLoss, RDFER_LOSS_WEIGHTS } from '@dfer/losses';
import { useCpuBackend } from './reference';

beforeAll(useCpuBackend);

interface Fixture {
  logits: number[][];
  longLogits: number[][];
  instanceLogits: number[][][];
  clipLogits: number[][][];
  labels: number[];
  sampleWeights: number[];
  weights: { long: number; instance: number; clip: number; key: number };
  keyLoss: number;
  terms: Record<'ce' | 'long' | 'instance' | 'clip' | 'key', number>;
  loss: number;
}

/** numpy reference values, made by fixtures/robust/make_rdfer_loss_fixture.py. */
const fixture = JSON.parse(
  readFileSync(join(__dirname, 'fixtures', 'robust', 'rdfer-loss.json'), 'utf8'),
) as Fixture;

function inputs(): Record<'logits' | 'longLogits' | 'instanceLogits' | 'clipLogits' | 'keyLoss', tf.Tensor> {
  return {
    logits: tf.tensor2d(fixture.logits),
    longLogits: tf.tensor2d(fixture.longLogits),
    instanceLogits: tf.tensor3d(fixture.instanceLogits),
    clipLogits: tf.tensor3d(fixture.clipLogits),
    keyLoss: tf.scalar(fixture.keyLoss),
  };
}

it('equals the numpy reference term by term, with sample weights and custom aux weights; no leak', async () => {
  const t = inputs();
  await expectNoTensorLeak(() => {
    const r = rdferLoss({
      ...t,
      labels: fixture.labels,
      sampleWeights: fixture.sampleWeights,
      weights: fixture.weights,
    });
    expect(r.loss.dataSync()[0]).toBeCloseTo(fixture.loss, 4);
    for (const [name, value] of Object.entries(fixture.terms)) {
      expect(r.terms[name as keyof Fixture['terms']].dataSync()[0]).toBeCloseTo(value, 4);
    }
    tf.dispose(r);
  });
  tf.dispose(t);
});

it('defaults to the lab weights 0.1 / 0.1 / 0.1 / 0 and unit sample weights', () => {
  expect(RDFER_LOSS_WEIGHTS).toEqual({ long: 0.1, instance: 0.1, clip: 0.1, key: 0 });
  const t = inputs();
  const r = rdferLoss({ ...t, labels: fixture.labels });
  const plain = rdferLoss({
    ...t,
    labels: fixture.labels,
    sampleWeights: [1, 1, 1],
    weights: RDFER_LOSS_WEIGHTS,
  });
  expect(r.loss.dataSync()[0]).toBeCloseTo(plain.loss.dataSync()[0] as number, 6);
  expect(r.terms.key.dataSync()[0]).toBe(0);
  tf.dispose([t, r, plain]);
});

it('gradients with respect to every logits tensor match finite differences', () => {
  const t = inputs();
  const report = checkGradients(
    (z, zl, zi, zc) =>
      rdferLoss({
        logits: z!,
        longLogits: zl!,
        instanceLogits: zi!,
        clipLogits: zc!,
        labels: fixture.labels,
        sampleWeights: fixture.sampleWeights,
        weights: fixture.weights,
      }).loss,
    [t.logits, t.longLogits, t.instanceLogits, t.clipLogits],
  );
  expect(report.mismatches).toEqual([]);
  tf.dispose(t);
});

it('rejects mismatched shapes, labels and weights with the argument named', () => {
  const t = inputs();
  const base = { ...t, labels: fixture.labels };
  const wrongClips = tf.zeros([3, 2, 5]);
  const vector = tf.zeros([2]);
  expect(() => rdferLoss({ ...base, clipLogits: wrongClips })).toThrow(
    /clipLogits must be a float32 tensor \[3, N, 4\]/,
  );
  expect(() => rdferLoss({ ...base, labels: [1, 4, 0] })).toThrow(
    /labels\[1\] = 4 is not an integer class index/,
  );
  expect(() => rdferLoss({ ...base, weights: { clip: -1 } })).toThrow(
    /weights\.clip must be a number in \[0, 1000000\]/,
  );
  expect(() => rdferLoss({ ...base, keyLoss: vector })).toThrow(/keyLoss must be a scalar tensor/);
  tf.dispose([t, wrongClips, vector]);
});
