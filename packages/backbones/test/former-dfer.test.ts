import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { createSession, exportOnnx, runSession } from '@dfer/runtime';

import { createModel, getModelInfo } from '@dfer/backbones';
import { FormerDfer } from '@dfer/backbones/models';
import { expectNoTensorLeak, sharedDataPath } from '@dfer/test-utils';

import { fillDeterministic, inputValues, maxRelativeError } from './helpers/deterministic';

interface Fixture {
  preset: string;
  scale: number;
  num_aus: number;
  input_shape: number[];
  num_parameters: number;
  state_dict: Array<[string, number[]]>;
  logits: number[];
  logits_shape: number[];
  features: number[];
  au_logits?: number[];
}
const fixture = (name: string): Fixture =>
  JSON.parse(readFileSync(join(__dirname, 'fixtures', 'former-dfer', `${name}.json`), 'utf8')) as Fixture;

/** The fixture clip [B, T, 3, H, W] (PyTorch layout) as tfjs [B, T, H, W, 3]. */
function fixtureClip(shape: number[]): tf.Tensor {
  return tf.tidy(() =>
    tf.transpose(tf.tensor(inputValues(shape.reduce((a, b) => a * b, 1)), shape), [0, 1, 3, 4, 2]),
  );
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('former_dfer', () => {
  const referencePath = sharedDataPath('..', 'reference', 'former-dfer.state-dict.json');
  (referencePath === undefined ? it.skip : it)(
    `paper preset: every state-dict name, shape and dtype of the official network, 18,031,943 parameters${referencePath === undefined ? ' (skipped: ../shared/reference/former-dfer.state-dict.json is absent)' : ''}`,
    () => {
      const reference = JSON.parse(readFileSync(referencePath as string, 'utf8')) as {
        num_parameters: number;
        state_dict: unknown[];
      };
      const model = createModel('former_dfer', { preset: 'paper', initialization: 'zeros' });
      expect(model.stateDictSpec('pytorch')).toEqual(reference.state_dict);
      expect(model.numParameters()).toBe(18_031_943);
      expect(model.numParameters()).toBe(reference.num_parameters);
      expect(getModelInfo('former_dfer').presets.paper?.numParameters).toBe(18_031_943);
      model.dispose();
    },
  );

  it('tiny preset with AU head: eval logits, AU logits and features equal the PyTorch reference (make-former-dfer.py)', async () => {
    const f = fixture('tiny');
    const model = createModel('former_dfer', { preset: 'tiny', auHead: true });
    expect(model).toBeInstanceOf(FormerDfer);
    expect(model.stateDictSpec('pytorch').map((e) => [e.name, e.shape])).toEqual(f.state_dict);
    expect(model.numParameters()).toBe(f.num_parameters);
    fillDeterministic(model, f.scale);
    model.eval();
    await expectNoTensorLeak(() => {
      const x = fixtureClip(f.input_shape);
      const out = model.forward(x);
      expect(out.logits.shape).toEqual(f.logits_shape);
      expect(out.auLogits?.shape).toEqual([f.input_shape[0], 18]);
      expect(maxRelativeError(out.logits.dataSync(), f.logits)).toBeLessThan(1e-4);
      expect(maxRelativeError(out.features.dataSync(), f.features)).toBeLessThan(1e-4);
      expect(maxRelativeError(out.auLogits?.dataSync() ?? [], f.au_logits ?? [])).toBeLessThan(1e-4);
      // the two clips of the batch give different logits (the test would catch a broken batch fold)
      expect(Math.abs((f.logits[0] as number) - (f.logits[7] as number))).toBeGreaterThan(1e-2);
      tf.dispose([x, out.logits, out.auLogits ?? [], out.features]);
    });
    model.dispose();
  });

  it('forwardFeatures + forwardHead equal forward; wrong input shapes are rejected precisely', () => {
    const model = createModel('former_dfer', { preset: 'tiny', numClasses: 5, seed: 3 }).eval();
    tf.tidy(() => {
      const x = tf.randomUniform([1, 16, 32, 32, 3], 0, 1, 'float32', 2);
      const out = model.forward(x);
      const head = model.forwardHead(model.forwardFeatures(x));
      expect(out.logits.shape).toEqual([1, 5]);
      expect(out.auLogits).toBeUndefined();
      expect(Array.from(head.logits.dataSync())).toEqual(Array.from(out.logits.dataSync()));
      expect(() => model.forward(tf.zeros([1, 8, 32, 32, 3]))).toThrow(
        /former_dfer\.forwardFeatures: expected input \[B, 16, 32, 32, 3\] \(B, T, H, W, C\), got \[1, 8, 32, 32, 3\]/,
      );
    });
    model.dispose();
  });

  it('paper preset: the ONNX export of the official-size network gives the PyTorch reference logits (onnxruntime)', async () => {
    const f = fixture('paper');
    const model = createModel('former_dfer', { preset: 'paper', initialization: 'zeros' });
    fillDeterministic(model, f.scale);
    model.eval();
    const exported = await exportOnnx(model, {
      inputShape: ['batch', 16, 112, 112, 3],
      modelName: 'former_dfer',
      preset: 'paper',
    });
    model.dispose();
    const x = fixtureClip(f.input_shape);
    const data = Float32Array.from(x.dataSync());
    const dims = [...x.shape];
    x.dispose();
    const session = await createSession(exported.bytes, { threads: 1 });
    try {
      const out = await runSession(session, { input: { data, dims } });
      expect(out.logits?.dims).toEqual([1, 7]);
      expect(maxRelativeError(out.logits?.data ?? [], f.logits)).toBeLessThan(1e-3);
      expect(maxRelativeError(out.features?.data ?? [], f.features)).toBeLessThan(1e-3);
    } finally {
      await session.release();
    }
  });

  const slow = process.env.DFER_SLOW_TESTS === '1' ? it : it.skip;
  slow('paper preset: eval logits equal the PyTorch reference (slow: DFER_SLOW_TESTS=1)', async () => {
    const f = fixture('paper');
    const model = createModel('former_dfer', { preset: 'paper', initialization: 'zeros' });
    fillDeterministic(model, f.scale);
    model.eval();
    const x = fixtureClip(f.input_shape);
    const out = model.forward(x);
    expect(maxRelativeError(out.logits.dataSync(), f.logits)).toBeLessThan(1e-3);
    tf.dispose([x, out.logits, out.features]);
    model.dispose();
  });
});
