/**
 * RDFER: registry wiring, shapes, seeding, the key-expression re-sampling against closed forms and
 * finite differences, the key targets and key loss by hand, and no tensor leaks.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkGradients, initEngine } from '@dfer/runtime';
import { expectNoTensorLeak } from '@dfer/test-utils';

import { createModel, getModelInfo, listModels } from '../src/registry';
import {
  createRdfer,
  keyCentresFromScores,
  keySamplingPositions,
  Rdfer,
  RDFER_TINY,
  rdferKeyPositionLoss,
  rdferKeyTargets,
  softSampleFrames,
} from '../src/models/rdfer';

beforeAll(async () => {
  await initEngine({ backend: 'cpu', log: false });
});

function clip(b: number, seed: number): tf.Tensor {
  const { frames, height, width, channels } = RDFER_TINY.input;
  return tf.randomUniform([b, frames, height, width, channels], 0, 1, 'float32', seed);
}

describe('rdfer registry and forward', () => {
  it('is registered with paper and tiny presets whose parameter counts match the built models', () => {
    expect(listModels()).toContain('rdfer');
    const info = getModelInfo('rdfer');
    expect(Object.keys(info.presets).sort()).toEqual(['paper', 'tiny']);
    for (const preset of ['tiny', 'paper']) {
      const model = createModel('rdfer', { preset, initialization: 'zeros' });
      expect(model.numParameters()).toBe(info.presets[preset]!.numParameters);
      model.dispose();
    }
  });

  it('returns logits, AU logits and every aux output with the documented shapes; no leak', async () => {
    const model = createModel('rdfer', { preset: 'tiny', auHead: 5, numClasses: 6 }) as Rdfer;
    const x = clip(2, 1);
    await expectNoTensorLeak(() => {
      const out = model.forwardWithAux(x);
      expect(out.logits.shape).toEqual([2, 6]);
      expect(out.auLogits?.shape).toEqual([2, 5]);
      expect(out.features.shape).toEqual([2, model.featureDim]);
      expect(out.longLogits.shape).toEqual([2, 6]);
      expect(out.instanceLogits.shape).toEqual([2, 8, 6]);
      expect(out.clipLogits.shape).toEqual([2, 4, 6]);
      expect(out.keyCentres.shape).toEqual([2, 4]);
      expect(out.keyStride.shape).toEqual([2]);
      for (const v of out.logits.dataSync()) expect(Number.isFinite(v)).toBe(true);
      const plain = model.forward(x);
      expect(Array.from(plain.logits.dataSync())).toEqual(Array.from(out.logits.dataSync()));
      tf.dispose([out as unknown as tf.TensorContainer, plain as unknown as tf.TensorContainer]);
    });
    x.dispose();
    model.dispose();
  });

  it('starts the key centres spread over the video (centre_prior)', () => {
    const model = createModel('rdfer', { preset: 'tiny' }) as Rdfer;
    const x = tf.zeros([1, 16, 32, 32, 3]);
    const out = model.forwardWithAux(x);
    const c = Array.from(out.keyCentres.dataSync());
    // The prior peaks at long-term frames 0.875, 2.625, 4.375, 6.125 (input frames ×2): spread, increasing.
    expect(c[0]!).toBeLessThan(c[1]!);
    expect(c[2]!).toBeLessThan(c[3]!);
    expect(c[0]!).toBeGreaterThanOrEqual(0);
    expect(c[3]!).toBeLessThanOrEqual(15);
    tf.dispose([x, out as unknown as tf.TensorContainer]);
    model.dispose();
  });

  it('same seed, same weights bit for bit; another seed differs', () => {
    const a = createModel('rdfer', { preset: 'tiny', seed: 3 });
    const b = createModel('rdfer', { preset: 'tiny', seed: 3 });
    const c = createModel('rdfer', { preset: 'tiny', seed: 4 });
    const [wa, wb, wc] = [a, b, c].map((m) => m.parameters().map((p) => Array.from(p.dataSync())));
    expect(wa).toEqual(wb);
    expect(wa).not.toEqual(wc);
    [a, b, c].forEach((m) => m.dispose());
  });

  it('rejects a wrong input shape and invalid configs with the field named', () => {
    const model = createModel('rdfer', { preset: 'tiny' });
    const x = tf.zeros([1, 8, 32, 32, 3]);
    expect(() => model.forward(x)).toThrow(/rdfer: expected input \[B, 16, 32, 32, 3\]/);
    x.dispose();
    model.dispose();
    const base = { ...RDFER_TINY, numClasses: 7, numAus: 0, seed: 0 };
    expect(() => new Rdfer({ ...base, longStride: 3 })).toThrow(
      /input\.frames \(16\) must be ≥ 2 and a multiple of longStride \(3\)/,
    );
    expect(() => new Rdfer({ ...base, strideRange: 1 })).toThrow(/strideRange must be a number > 1/);
    expect(() => new Rdfer({ ...base, numClasses: 3 })).toThrow(/clips \(4\) must be ≤ numClasses \(3\)/);
    expect(() =>
      createRdfer({ preset: 'huge', numClasses: 7, numAus: 0, seed: 0, initialization: 'random' }),
    ).toThrow(/unknown preset 'huge'; presets: paper, tiny/);
  });
});

describe('key-expression re-sampling', () => {
  const config = { clips: 2, clipLength: 4, baseStride: 1, strideRange: 2, sigma: 1 };

  it('centres are the soft argmax Σ_i softmax_i(a)·i·k, by hand', () => {
    // T_long = 3, k = 2: scores [0, ln 2, 0] → weights [1/4, 1/2, 1/4] → (0 + 2·2 + 4)/4 = 2;
    // scores [0, 0, 0] → weights 1/3 → (0 + 2 + 4)/3 = 2; [−40, 0, 40] → 4.
    const scores = tf.tensor3d([
      [
        [0, 0],
        [Math.log(2), 0],
        [0, 0],
      ],
      [
        [-40, -40],
        [0, 0],
        [40, 40],
      ],
    ]);
    const centres = keyCentresFromScores(scores, 2);
    Array.from(centres.dataSync()).forEach((v, i) => expect(v).toBeCloseTo([2, 2, 4, 4][i]!, 5));
    tf.dispose([scores, centres]);
  });

  it('positions follow s = s₀·r^tanh(v), t = c + (g − 1.5)·s', () => {
    const centres = tf.tensor2d([[7.5, 3.25]]);
    const v = tf.tensor2d([[0.3]]);
    const { stride, positions } = keySamplingPositions(centres, v, config);
    const s = 2 ** Math.tanh(0.3);
    expect(stride.dataSync()[0]).toBeCloseTo(s, 5);
    const expected = [7.5, 3.25].flatMap((c) => [-1.5, -0.5, 0.5, 1.5].map((g) => c + g * s));
    Array.from(positions.dataSync()).forEach((p, i) => expect(p).toBeCloseTo(expected[i]!, 4));
    tf.dispose([centres, v, stride, positions]);
  });
  it('soft selection: w = softmax_t(−(t − t_m)²/2σ²) by hand; a small σ picks the nearest frame', () => {
    const features = tf.tensor3d([[[1], [2], [4], [8]]]); // [1, T=4, D=1]
    const positions = tf.tensor2d([[1, 2.5]]);
    const { weights, sampled } = softSampleFrames(features, positions, 1);
    // Row for t_m = 1: logits −(t−1)²/2 = [−0.5, 0, −0.5, −2].
    const e = [-0.5, 0, -0.5, -2].map(Math.exp);
    const z = e.reduce((a, b) => a + b, 0);
    Array.from(weights.dataSync())
      .slice(0, 4)
      .forEach((v, i) => expect(v).toBeCloseTo(e[i]! / z, 6));
    expect(sampled.dataSync()[0]).toBeCloseTo((e[0]! * 1 + e[1]! * 2 + e[2]! * 4 + e[3]! * 8) / z, 5);
    const sharp = softSampleFrames(features, tf.tensor2d([[2.1, 0]]), 0.05);
    expect(Array.from(sharp.sampled.dataSync())).toEqual([expect.closeTo(4, 4), expect.closeTo(1, 4)]);
    tf.dispose([features, positions, weights, sampled, sharp as unknown as tf.TensorContainer]);
  });

  it('gradients with respect to positions and features match finite differences', () => {
    const features = tf.tensor3d(
      Array.from({ length: 2 * 6 * 3 }, (_, i) => Math.sin(0.7 * i)),
      [2, 6, 3],
    );
    const positions = tf.tensor2d([
      [0.4, 2.2, 4.9],
      [1.3, 3.6, 5.5],
    ]);
    const report = checkGradients((f, p) => softSampleFrames(f!, p!, 0.8).sampled, [features, positions], {
      eps: 1e-2,
    });
    expect(report.mismatches).toEqual([]);
    const scores = tf.tensor3d(
      Array.from({ length: 2 * 5 * 2 }, (_, i) => Math.cos(1.3 * i)),
      [2, 5, 2],
    );
    const v = tf.tensor2d([[0.4], [-0.7]]);
    const localisation = checkGradients(
      (a, sv) => keySamplingPositions(keyCentresFromScores(a!, 2), sv!, config).positions,
      [scores, v],
      { eps: 1e-2 },
    );
    expect(localisation.mismatches).toEqual([]);
    tf.dispose([features, positions, scores, v]);
  });
});

describe('key targets and key-position loss', () => {
  it('rdferKeyTargets: the frame of each class maximum, the P best classes, ×longStride, sorted', () => {
    // B = 1, T = 3, C = 3. Class maxima: c0 = 5 at i=2, c1 = 9 at i=0, c2 = 1 at i=1 → best two: c1, c0.
    const z = tf.tensor3d([
      [
        [0, 9, 0],
        [1, 2, 1],
        [5, 3, -1],
      ],
    ]);
    expect(Array.from(rdferKeyTargets(z, 2, 2))).toEqual([0, 4]);
    expect(() => rdferKeyTargets(z, 4, 2)).toThrow(/clips must be an integer in \[1, 3\]/);
    z.dispose();
  });

  it('rdferKeyPositionLoss = mean |sort(c) − sort(τ)|/(T−1), by hand, with gradient ±1/(B·P·(T−1))', async () => {
    const centres = tf.tensor2d([
      [9, 2],
      [4, 4],
    ]);
    await expectNoTensorLeak(() => {
      const loss = rdferKeyPositionLoss(centres, [3, 10, 5, 1], 16);
      // Sample 0: sorted c = [2, 9] vs τ = [3, 10] → |−1| + |−1|; sample 1: [4, 4] vs [1, 5] → 3 + 1.
      expect(loss.dataSync()[0]).toBeCloseTo((1 + 1 + 3 + 1) / 4 / 15, 6);
      const g = tf.grad((c: tf.Tensor) => rdferKeyPositionLoss(c, [3, 10, 5, 1], 16))(centres);
      const unit = 1 / 4 / 15;
      const gv = Array.from(g.dataSync());
      expect(gv[0]).toBeCloseTo(-unit, 6); // 9 < 10
      expect(gv[1]).toBeCloseTo(-unit, 6); // 2 < 3
      expect(gv[2]! + gv[3]!).toBeCloseTo(0, 6); // one of the tied 4s moves up, the other down
      tf.dispose([loss, g]);
    });
    centres.dispose();
  });
});
