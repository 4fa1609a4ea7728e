/**
 * ONNX lowering of MAE-DFER's layers and of the tiny model: the exported graph, run in onnxruntime-node,
 * matches the tfjs forward within 1e-4 (dynamic batch, tfjs layout in and out).
 */
import * as tf from '@tensorflow/tfjs-core';
import { createSession, initEngine, OnnxGraph, runSession, type OnnxDim } from '@dfer/runtime';
import { expectNoTensorLeak } from '@dfer/test-utils';

import { createMaeDfer } from '../src/models/mae-dfer';
import { GeneralAttention, LgiBlock } from '../src/nn/lgi-attention';
import { TubeletEmbedding } from '../src/nn/tubelet-embedding';
import { expectAllClose, loadDeterministicWeights, sineTensor } from './mae-dfer-helpers';

beforeAll(async () => {
  await initEngine({ backend: 'cpu' });
});

/** Builds a graph with the given inputs (dimension 0 dynamic), lowers with `lower`, runs it in onnxruntime. */
async function runOnnx(
  inputs: Record<string, tf.Tensor>,
  lower: (graph: OnnxGraph, names: string[]) => Record<string, string>,
): Promise<Record<string, Float32Array>> {
  const graph = new OnnxGraph('mae_dfer_test');
  const names = Object.entries(inputs).map(([name, t]) =>
    graph.addInput(name, ['batch', ...t.shape.slice(1)] as OnnxDim[]),
  );
  for (const [name, value] of Object.entries(lower(graph, names))) graph.addOutput(value, name);
  const session = await createSession(graph.toBytes());
  try {
    const feeds = Object.fromEntries(
      Object.entries(inputs).map(([name, t]) => [
        name,
        { data: t.dataSync() as Float32Array, dims: [...t.shape] },
      ]),
    );
    const out = await runSession(session, feeds);
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data]));
  } finally {
    await session.release();
  }
}

describe('ONNX lowering of the MAE-DFER layers', () => {
  it('TubeletEmbedding', async () => {
    await expectNoTensorLeak(async () => {
      const embed = new TubeletEmbedding(6, { tubeletSize: 2, patchSize: 4 });
      const x = sineTensor([2, 4, 8, 12, 3], 0.37, 0.2);
      const expected = embed.forward(x);
      const out = await runOnnx({ x }, (g, [input]) => ({ y: embed.toOnnx(g, input as string) }));
      expectAllClose(out.y as Float32Array, expected.dataSync(), 1e-4, 1e-5);
      tf.dispose([x, expected]);
      embed.dispose();
    });
  });

  it('GeneralAttention, self and cross', async () => {
    await expectNoTensorLeak(async () => {
      const attn = new GeneralAttention(8, { heads: 2 });
      loadDeterministicWeights(attn);
      const x = sineTensor([2, 5, 8], 0.3, 0.1);
      const ctx = sineTensor([2, 3, 8], 0.3, 1.1);
      const self = attn.forward(x);
      const cross = attn.attend(x, ctx);
      const out = await runOnnx({ x, ctx }, (g, [xi, ci]) => ({
        self: attn.toOnnx(g, xi as string),
        cross: attn.attendToOnnx(g, xi as string, ci as string),
      }));
      expectAllClose(out.self as Float32Array, self.dataSync(), 1e-4, 1e-5);
      expectAllClose(out.cross as Float32Array, cross.dataSync(), 1e-4, 1e-5);
      tf.dispose([x, ctx, self, cross]);
      attn.dispose();
    });
  });

  it('LgiBlock', async () => {
    await expectNoTensorLeak(async () => {
      const block = new LgiBlock(8, 2, { heads: 2, mlpRatio: 4, dropPath: 0.1 });
      loadDeterministicWeights(block);
      block.eval();
      const x = sineTensor([4, 4, 8], 0.3, 0.1);
      const expected = block.forward(x);
      const out = await runOnnx({ x }, (g, [xi]) => ({ y: block.toOnnx(g, xi as string) }));
      expectAllClose(out.y as Float32Array, expected.dataSync(), 1e-4, 1e-5);
      tf.dispose([x, expected]);
      block.dispose();
    });
  });
});

describe('ONNX lowering of mae_dfer (tiny preset, AU head)', () => {
  it('matches tfjs logits, AU logits and features for a batch of 2', async () => {
    await expectNoTensorLeak(async () => {
      const model = createMaeDfer({ preset: 'tiny', numAus: 18, seed: 3 });
      model.eval();
      const x = sineTensor([2, 16, 64, 64, 3], 0.05, 0.3);
      const expected = model.forward(x);
      const out = await runOnnx({ clip: x }, (g, [input]) => model.toOnnx(g, input as string));
      expectAllClose(out.logits as Float32Array, expected.logits.dataSync(), 1e-4, 1e-4);
      expectAllClose(out.auLogits as Float32Array, (expected.auLogits as tf.Tensor).dataSync(), 1e-4, 1e-4);
      expectAllClose(out.features as Float32Array, expected.features.dataSync(), 1e-4, 1e-4);
      tf.dispose([x, expected.logits, expected.features, expected.auLogits as tf.Tensor]);
      model.dispose();
    });
  });
});
