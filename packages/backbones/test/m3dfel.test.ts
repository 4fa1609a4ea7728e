import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import { checkGradients, initEngine } from '@dfer/runtime';
import { expectNoTensorLeak } from '@dfer/test-utils';

import { createM3dfel, type M3dfel, M3dfel as M3dfelClass, M3DFEL_TINY } from '../src/models/m3dfel';
import type { ModelBuildOptions } from '../src/registry';
import { DMIN } from '../src/models/m3dfel/dmin';
import { instanceSelfAttention } from '../src/models/m3dfel/instance-attention';
import {
  deterministicFill,
  hashUniform,
  type LayerFixtures,
  maxRelativeError,
  type ParityFixture,
  readM3dfelFixture,
} from './m3dfel-fixtures';

const layers = readM3dfelFixture<LayerFixtures>('layers.json');
const parity = readM3dfelFixture<{ cases: ParityFixture[] }>('paper-parity.json');
/** The shared reference folder beside the clone (absent in a user's clone: those checks skip). */
const STATE_DICT_JSON = join(
  __dirname,
  '..',
  '..',
  '..',
  '..',
  'shared',
  'reference',
  'm3dfel.state-dict.json',
);

beforeAll(async () => {
  await initEngine({ backend: 'cpu', log: false });
});

const tinyOptions: ModelBuildOptions = {
  preset: 'tiny',
  numClasses: 7,
  numAus: 0,
  seed: 0,
  initialization: 'random',
};
const tiny = (overrides: Partial<ModelBuildOptions> = {}): M3dfel =>
  createM3dfel({ ...tinyOptions, ...overrides });

/** Max over a sample of |a − e| / max_j |e_j|: the relative error of logits against their own scale. */
function maxErrorRelativeToScale(
  actual: ArrayLike<number>,
  expected: readonly number[],
  width: number,
): number {
  let worst = 0;
  for (let row = 0; row * width < expected.length; row++) {
    const slice = expected.slice(row * width, (row + 1) * width);
    const scale = Math.max(...slice.map(Math.abs));
    slice.forEach((e, j) => {
      worst = Math.max(worst, Math.abs((actual[row * width + j] as number) - e) / scale);
    });
  }
  return worst;
}

describe('M3DFEL building blocks', () => {
  it('splits a clip into contiguous instances, instance-minor (reference §2)', () => {
    const model = tiny();
    // Frame t of clip b holds the value 100·b + t everywhere.
    const [b, t, h, w] = [2, 16, 2, 2];
    const values = new Float32Array(b * t * h * w * 3);
    for (let i = 0; i < values.length; i++)
      values[i] = 100 * Math.floor(i / (t * h * w * 3)) + (Math.floor(i / (h * w * 3)) % t);
    const x = tf.tensor5d(values, [b, t, h, w, 3]);
    const split = model.splitInstances(x);
    expect(split.shape).toEqual([8, 4, h, w, 3]);
    // Row b·4 + k, step j is frame 4k + j of clip b.
    const firstPixel = tf.tidy(
      () => tf.reshape(tf.slice(split, [0, 0, 0, 0, 0], [8, 4, 1, 1, 1]), [8, 4]).arraySync() as number[][],
    );
    for (let clip = 0; clip < b; clip++) {
      for (let k = 0; k < 4; k++) {
        expect(firstPixel[clip * 4 + k]).toEqual([0, 1, 2, 3].map((j) => 100 * clip + 4 * k + j));
      }
    }
    tf.dispose([x, split]);
    model.dispose();
  });

  it('DMIN matches the reference equations run in PyTorch', async () => {
    const c = layers.dmin[0];
    if (c === undefined) throw new Error('layers.json has no dmin case');
    const [, , features] = c.inputShape as [number, number, number];
    const dmin = new DMIN(features);
    dmin.loadStateDict({
      weight: tf.tensor(c.weight, [1, features, 1]),
      bias: tf.tensor(c.bias, [1, features, 1]),
      mean_weight: tf.tensor1d(c.meanWeight),
      var_weight: tf.tensor1d(c.varWeight),
    });
    const y = tf.tensor(c.input, c.inputShape);
    await expectNoTensorLeak(() => {
      const out = dmin.forward(y);
      expect(maxRelativeError(out.dataSync(), c.output)).toBeLessThan(1e-4);
      return out;
    });
    y.dispose();
    dmin.dispose();
  });

  it('DMIN at init equals a hand-computed normalisation (equal mixing weights)', () => {
    // y = [[1, 2], [3, 6]] (N = 2 instances, C = 2): μ_in = [2, 4], σ²_in = [2, 8] (unbiased), μ_ln = 3,
    // σ²_ln = mean([2 + 4, 8 + 16]) − 9 = 6; softmax([1, 1]) = [½, ½]:
    // μ = [2.5, 3.5], σ² = [4, 7]; out[0, 0] = (1 − 2.5)/√(4 + 1e-5).
    const dmin = new DMIN(2);
    const out = dmin.forward(tf.tensor3d([1, 2, 3, 6], [1, 2, 2]));
    const expected = [
      (1 - 2.5) / Math.sqrt(4 + 1e-5),
      (2 - 3.5) / Math.sqrt(7 + 1e-5),
      (3 - 2.5) / Math.sqrt(4 + 1e-5),
      (6 - 3.5) / Math.sqrt(7 + 1e-5),
    ];
    const got = out.dataSync();
    expected.forEach((e, i) => expect(got[i]).toBeCloseTo(e, 5));
    out.dispose();
    expect(() => dmin.forward(tf.zeros([1, 1, 2]))).toThrow(
      /expected input \[B, N ≥ 2 instances, 2\], got \[1, 1, 2\]/,
    );
    dmin.dispose();
  });

  it('DMIN has gradients that match finite differences', () => {
    const dmin = new DMIN(3);
    const y = tf.randomUniform([2, 4, 3], -1, 1, 'float32', 21);
    const report = checkGradients((yi) => dmin.forward(yi), [y]);
    expect(report.checked).toBe(y.size);
    y.dispose();
    dmin.dispose();
  });

  it('the instance attention matches the reference run in PyTorch, with gradients', () => {
    const c = layers.attention[0];
    if (c === undefined) throw new Error('layers.json has no attention case');
    const x = tf.tensor(c.input, c.inputShape);
    const w = tf.tidy(() => tf.transpose(tf.tensor(c.weight, c.weightShape)));
    const y = instanceSelfAttention(x, w, c.heads);
    expect(maxRelativeError(y.dataSync(), c.output)).toBeLessThan(1e-4);
    y.dispose();
    const small = tf.randomUniform([1, 3, 4], -1, 1, 'float32', 22);
    const ws = tf.randomUniform([4, 12], -1, 1, 'float32', 23);
    expect(checkGradients((a, b) => instanceSelfAttention(a, b, 2), [small, ws]).checked).toBe(
      small.size + ws.size,
    );
    tf.dispose([x, w, small, ws]);
  });
});

describe('M3DFEL tiny', () => {
  const clip = (batch: number, size: number, seed: number): tf.Tensor =>
    tf.tensor(
      Float32Array.from(hashUniform(batch * 16 * size * size * 3, seed), (v) => 0.5 + 0.5 * v),
      [batch, 16, size, size, 3],
    );

  it('keeps the batch axis for a batch of one (no squeeze quirk) and mixes no samples', async () => {
    const model = tiny({ numAus: 18 }).eval();
    const two = clip(2, 8, 1);
    const one = tf.slice(two, [0], [1]);
    await expectNoTensorLeak(() => {
      const a = model.forward(one);
      const b = model.forward(two);
      expect(a.logits.shape).toEqual([1, 7]);
      expect(a.features.shape).toEqual([1, 64]);
      expect(a.auLogits?.shape).toEqual([1, 18]);
      expect(b.logits.shape).toEqual([2, 7]);
      const first = tf.tidy(() => tf.slice(b.logits, [0], [1]).dataSync());
      expect(maxRelativeError(a.logits.dataSync(), first)).toBeLessThan(1e-5);
      return [a, b];
    });
    tf.dispose([one, two]);
    model.dispose();
  });

  it('gates the attention path with a sigmoid (not a residual): DMIN ≡ 0 halves the BiLSTM output', () => {
    const model = tiny().eval();
    model.norm.weight.assign(tf.zeros([1, 64, 1]));
    model.norm.bias.assign(tf.zeros([1, 64, 1]));
    const x = clip(2, 8, 2);
    const got = model.forwardFeatures(x);
    const expected = tf.tidy(() => {
      const bag = tf.reshape(model.features.forward(model.splitInstances(x)), [2, 4, 32]);
      const ori = model.lstm.forward(bag);
      return tf.reshape(model.pwconv.forward(tf.transpose(tf.mul(ori, 0.5), [0, 2, 1])), [2, 64]);
    });
    expect(maxRelativeError(got.dataSync(), expected.dataSync())).toBeLessThan(1e-5);
    tf.dispose([x, got, expected]);
    model.dispose();
  });

  it('has at most 300k parameters and the official state-dict structure', () => {
    const model = tiny();
    expect(model.numParameters()).toBe(252_288);
    expect(model.numParameters()).toBeLessThanOrEqual(300_000);
    expect(model.stateDictSpec()).toHaveLength(145);
    const withAu = tiny({ numAus: 18 });
    expect(withAu.stateDictSpec().slice(-2)).toEqual([
      { name: 'AU_fc.weight', shape: [18, 64], dtype: 'float32' },
      { name: 'AU_fc.bias', shape: [18], dtype: 'float32' },
    ]);
    expect(withAu.numParameters()).toBe(252_288 + 18 * 64 + 18);
    model.dispose();
    withAu.dispose();
  });

  it('gives every parameter a non-zero gradient in training mode, without leaks', async () => {
    const model = tiny({ numAus: 4 }).train();
    const x = clip(1, 8, 3);
    await expectNoTensorLeak(() => {
      const { value, grads } = tf.variableGrads(() =>
        tf.tidy(() => {
          const out = model.forward(x);
          return tf.add(
            tf.sum(tf.square(out.logits)),
            tf.sum(tf.square(out.auLogits as tf.Tensor)),
          ) as tf.Scalar;
        }),
      );
      const zero = model
        .namedParameters()
        .filter(([, v]) => tf.tidy(() => tf.max(tf.abs(grads[v.name] as tf.Tensor)).dataSync()[0]) === 0)
        .map(([name]) => name);
      expect(zero).toEqual([]);
      expect(Number.isFinite(value.dataSync()[0])).toBe(true);
      tf.dispose([value, ...Object.values(grads)]);
    });
    x.dispose();
    model.dispose();
  });

  it('rejects a clip with the wrong frame count or channels, and bad configs', () => {
    const model = tiny();
    expect(() => model.forward(tf.zeros([1, 8, 16, 16, 3]))).toThrow(
      /expected input \[B, 16 frames, H, W, 3\] \(B, T, H, W, C\), got \[1, 8, 16, 16, 3\]/,
    );
    expect(() => model.forward(tf.zeros([1, 16, 16, 16, 1]))).toThrow(/16 frames, H, W, 3/);
    expect(() => new M3dfelClass({ ...M3DFEL_TINY, numClasses: 7, numAus: 0, seed: 0, heads: 5 })).toThrow(
      /must be divisible by heads = 5/,
    );
    expect(() => new M3dfelClass({ ...M3DFEL_TINY, numClasses: 7, numAus: 0, seed: 0, bagSize: 1 })).toThrow(
      /bagSize must be ≥ 2/,
    );
    expect(() => tiny({ numAus: -1 })).toThrow(/numAus must be a non-negative integer/);
    expect(() => tiny({ preset: 'huge' })).toThrow(/unknown preset 'huge'; presets: paper, tiny/);
    model.dispose();
  });
});

/** Loads `deterministic_fill` weights (make_m3dfel_fixtures.py) into a model, in PyTorch layout. */
function loadDeterministicWeights(model: M3dfel): void {
  model.stateDictSpec().forEach((entry, k) => {
    const t = deterministicFill(entry.name, entry.shape, k);
    model.loadStateDict({ [entry.name]: t }, { layout: 'pytorch', strict: false });
    t.dispose();
  });
}

describe('M3DFEL paper (official network)', () => {
  let model: M3dfel;
  beforeAll(() => {
    model = createM3dfel({
      preset: 'paper',
      numClasses: 7,
      numAus: 0,
      seed: 0,
      initialization: 'zeros',
    }).eval();
  });
  afterAll(() => model.dispose());

  it('has 46,823,384 parameters and, when the shared reference is present, its 145 names and shapes', () => {
    expect(model.numParameters()).toBe(46_823_384);
    const spec = model.stateDictSpec();
    expect(spec).toHaveLength(145);
    if (!existsSync(STATE_DICT_JSON)) return;
    const ref = JSON.parse(readFileSync(STATE_DICT_JSON, 'utf8')) as {
      state_dict: Array<{ name: string; shape: number[]; dtype: string }>;
    };
    expect(spec.map((e) => [e.name, e.shape, e.dtype])).toEqual(
      ref.state_dict.map((e) => [e.name, e.shape, e.dtype]),
    );
  });

  // The paper-size forward takes minutes on one shared CPU core, so the parity cases run only on request:
  // DFER_M3DFEL_PARITY=1 runs the 8×8 case, DFER_M3DFEL_PARITY=full also the 16×16 one.
  const parityMode = process.env.DFER_M3DFEL_PARITY;
  const cases = parity.cases.filter(
    (c) => (parityMode === '1' && c.inputShape[2] === 8) || parityMode === 'full',
  );
  if (cases.length === 0) {
    it.skip('matches the PyTorch reference logits (set DFER_M3DFEL_PARITY=1 or =full to run)', () =>
      undefined);
  }
  for (const c of cases) {
    it(`matches the PyTorch reference logits (eval, rel. 1e-3), input ${c.inputShape.join('×')}`, () => {
      loadDeterministicWeights(model);
      const x = tf.tensor(
        Float32Array.from(
          hashUniform(
            c.inputShape.reduce((a, b) => a * b, 1),
            1000,
          ),
          (v) => 0.5 + 0.5 * v,
        ),
        c.inputShape,
      );
      const out = model.forward(x);
      expect(out.logits.shape).toEqual(c.logitsShape);
      expect(maxErrorRelativeToScale(out.logits.dataSync(), c.logits, 7)).toBeLessThan(1e-3);
      const firstFeatures = tf.tidy(() => tf.slice(out.features, [0, 0], [2, 16]).dataSync());
      expect(maxErrorRelativeToScale(firstFeatures, c.features, 16)).toBeLessThan(1e-3);
      tf.dispose([x, out.logits, out.features]);
    });
  }
});
