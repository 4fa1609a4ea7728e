/**
 * AU-MTL: the attention gate unit opens and closes, frame/clip AU outputs, gradients (finite differences),
 * ONNX export parity of the ablation preset (the gated preset is covered by the registry tests).
 */
import * as tf from '@tensorflow/tfjs-core';
import { assertParity, checkGradients, initEngine } from '@dfer/runtime';

import type { AuMtl } from '@dfer/backbones/models';
import { createModel, createRng } from '@dfer/backbones';
import { AttentionGateUnit, AU_MTL_TINY, createAuMtl } from '@dfer/backbones/models';
import { createSeededRng, expectNoTensorLeak } from '@dfer/test-utils';

beforeAll(async () => {
  await initEngine({ backend: 'cpu' });
});

const { frames, height, width, channels } = AU_MTL_TINY.input;

function clip(batch: number, seed: number): tf.Tensor {
  const rng = createSeededRng(seed);
  return tf.tensor(rng.uniformArray(batch * frames * height * width * channels), [
    batch,
    frames,
    height,
    width,
    channels,
  ]);
}

/** Forces both gates of `model` to the constant σ(bias): weights 0, bias `bias`. */
function forceGate(model: AuMtl, bias: number): void {
  const gate = model.gate as AttentionGateUnit;
  for (const lin of [gate.auGate, gate.ferGate]) {
    lin.weight.assign(tf.zerosLike(lin.weight));
    lin.bias?.assign(tf.fill(lin.bias.shape, bias));
  }
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] as number);
}

it('a closed gate (g = 0) leaves each branch alone: outputs equal the model without the gate unit', () => {
  const gated = createAuMtl({ gate: 'attention', seed: 3, numAus: 5 }).eval();
  const plain = createAuMtl({ gate: 'none', seed: 3, numAus: 5 }).eval();
  expect(plain.gate).toBeUndefined();
  forceGate(gated, -60);
  const x = clip(2, 1);
  const a = gated.forwardWithFrames(x);
  const b = plain.forwardWithFrames(x);
  expect(maxAbsDiff(a.auLogits, b.auLogits)).toBeLessThan(1e-6);
  expect(maxAbsDiff(a.frameAuLogits, b.frameAuLogits)).toBeLessThan(1e-6);
  expect(maxAbsDiff(a.logits, b.logits)).toBeLessThan(1e-6);
  // and with the learned (random) gate the outputs do differ: the test can fail
  const gated2 = createAuMtl({ gate: 'attention', seed: 3, numAus: 5 }).eval();
  const c = gated2.forwardWithFrames(x);
  expect(maxAbsDiff(c.auLogits, b.auLogits)).toBeGreaterThan(1e-3);
  tf.dispose([x, a, b, c] as unknown as tf.TensorContainer);
  [gated, gated2, plain].forEach((m) => m.dispose());
});

it("an open gate (g = 1) adds the other branch: f_AU' = f_AU + f_FER, f_FER' = f_FER + f_AU", () => {
  const model = createAuMtl({ seed: 4, numAus: 3, numClasses: 4 }).eval();
  forceGate(model, 60);
  const x = clip(1, 2);
  const out = model.forwardWithFrames(x);
  const expected = tf.tidy(() => {
    const f = model.encoder.forward(tf.reshape(x, [frames, height, width, channels]));
    const au = model.auBranch.forward(f);
    const fer = model.ferBranch.forward(f);
    const mixed = tf.add(au, fer);
    return {
      frameAu: tf.reshape(model.auFc.forward(mixed), [1, frames, 3]),
      logits: model.fc.forward(tf.mean(mixed, 0, true)),
    };
  });
  expect(maxAbsDiff(out.frameAuLogits, expected.frameAu)).toBeLessThan(1e-5);
  expect(maxAbsDiff(out.logits, expected.logits)).toBeLessThan(1e-5);
  tf.dispose([x, out, expected] as unknown as tf.TensorContainer);
  model.dispose();
});

it('the gate unit by hand: g = σ(W·[a; b] + c) on a 1×2 example', () => {
  const gate = new AttentionGateUnit(2, createRng(0));
  gate.auGate.weight.assign(
    tf.tensor2d([
      [1, 0],
      [0, 1],
      [1, 0],
      [0, 1],
    ]),
  );
  gate.auGate.bias?.assign(tf.tensor1d([0, -1]));
  gate.ferGate.weight.assign(tf.zeros([4, 2]));
  gate.ferGate.bias?.assign(tf.tensor1d([0, 0]));
  const a = tf.tensor2d([[1, 2]]);
  const b = tf.tensor2d([[3, -1]]);
  const out = gate.forward([a, b]);
  // g_AU = σ([1 + 3, 2 − 1 − 1]) = σ([4, 0]); f_AU' = a + g ⊙ b
  const s4 = 1 / (1 + Math.exp(-4));
  expect(Array.from(out.auGate.dataSync())).toEqual([expect.closeTo(s4, 6), expect.closeTo(0.5, 6)]);
  expect(Array.from(out.au.dataSync())).toEqual([expect.closeTo(1 + 3 * s4, 5), expect.closeTo(2 - 0.5, 5)]);
  // g_FER = σ(0) = 0.5; f_FER' = b + 0.5·a
  expect(Array.from(out.fer.dataSync())).toEqual([expect.closeTo(3.5, 5), expect.closeTo(0, 5)]);
  tf.dispose([a, b, out] as unknown as tf.TensorContainer);
  gate.dispose();
});

it('shapes: frame AU logits [B, T, nAU], clip AU logits = their mean over T, features [B, 2·dim]; no leak', async () => {
  const model = createModel('au_mtl', { preset: 'tiny', auHead: 12, numClasses: 7, seed: 1 }) as AuMtl;
  const x = clip(3, 7);
  await expectNoTensorLeak(() => {
    const out = model.forwardWithFrames(x);
    expect(out.frameAuLogits.shape).toEqual([3, frames, 12]);
    expect(out.auLogits.shape).toEqual([3, 12]);
    expect(out.logits.shape).toEqual([3, 7]);
    expect(out.features.shape).toEqual([3, 64]);
    const meanFrames = tf.mean(out.frameAuLogits, 1);
    expect(maxAbsDiff(meanFrames, out.auLogits)).toBeLessThan(1e-5);
    const plain = model.forward(x);
    expect(maxAbsDiff(plain.auLogits as tf.Tensor, out.auLogits)).toBeLessThan(1e-6);
    tf.dispose([out, plain, meanFrames] as unknown as tf.TensorContainer);
  });
  expect(createModel('au_mtl', { preset: 'tiny' }).numAus).toBe(12);
  expect(() => createModel('au_mtl', { preset: 'tiny_nope' })).toThrow(/no preset 'tiny_nope'/);
  x.dispose();
  model.dispose();
});

it('gradients of the gate unit and of the whole tiny model match finite differences', () => {
  const rng = createSeededRng(11);
  const gate = new AttentionGateUnit(3, createRng(11));
  const a = tf.tensor2d(rng.uniformArray(6), [2, 3]);
  const b = tf.tensor2d(rng.uniformArray(6), [2, 3]);
  const r = checkGradients(
    (ai, bi) => {
      const o = gate.forward([ai, bi]);
      return tf.concat([o.au, o.fer], 1);
    },
    [a, b],
    { eps: 1e-3, rtol: 2e-2, atol: 1e-3 },
  );
  expect(r.checked).toBe(12);
  const model = createAuMtl({ seed: 2, numAus: 3 }).eval();
  const x = clip(1, 3);
  const r2 = checkGradients((xi) => model.forwardWithFrames(xi).frameAuLogits, [x], {
    eps: 1e-2,
    rtol: 5e-2,
    atol: 2e-3,
    maxElementsPerInput: 16,
  });
  expect(r2.checked).toBe(16);
  tf.dispose([a, b, x]);
  gate.dispose();
  model.dispose();
});

it('ONNX export of tiny_no_gate matches the tfjs forward within 1e-4', async () => {
  const model = createModel('au_mtl', { preset: 'tiny_no_gate', auHead: 4, seed: 6 }).eval();
  const x = clip(2, 8);
  const report = await assertParity(model, x, { rtol: 1e-4, atol: 1e-4 });
  expect(report.outputs.map((o) => o.name).sort()).toEqual(['auLogits', 'features', 'logits']);
  x.dispose();
  model.dispose();
});
