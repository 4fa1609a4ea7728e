/**
 * RDFER tiny training-step benchmark (not a test): forward + backward (cross-entropy on the final
 * logits plus 0.1 × the long, instance and clip heads, and the key-position loss, as the lab's loss
 * composition in reference/rdfer.md) of a batch of 8 clips [8, 16, 32, 32, 3] on the wasm backend
 * (single-threaded in Node), with per-part timings (per-frame CNN, long-term BiLSTM).
 *
 *   npx tsx packages/backbones/bench/rdfer-step.bench.ts [--backend wasm] [--repeats 7] [--batch 8]
 *
 * Writes packages/backbones/bench/results/rdfer-step.json, including the 1-minute load average: on a
 * shared machine the timings grow with it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { initEngine } from '@dfer/runtime';

import { createModel } from '../src/index';
import { type Rdfer, rdferKeyPositionLoss, rdferKeyTargets, RDFER_TINY } from '../src/models';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    repeats: { type: 'string', default: '7' },
    batch: { type: 'string', default: '8' },
  },
});

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

async function timeIt(repeats: number, run: () => Promise<void>): Promise<number[]> {
  await run(); // warm-up
  const out: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    await run();
    out.push(performance.now() - t0);
  }
  return out;
}

async function main(): Promise<void> {
  const backend = values.backend as 'wasm' | 'cpu';
  const repeats = Number(values.repeats);
  const batch = Number(values.batch);
  const engine = await initEngine({ backend, log: false });
  const model = createModel('rdfer', { preset: 'tiny', seed: 0 }) as Rdfer;
  const { frames, height, width, channels } = RDFER_TINY.input;
  const x = tf.randomUniform([batch, frames, height, width, channels], 0, 1, 'float32', 1);
  const labels = tf.tidy(() =>
    tf.oneHot(
      tf.tensor1d(
        Array.from({ length: batch }, (_, i) => i % 7),
        'int32',
      ),
      7,
    ),
  );
  const vars = model.parameters();
  const ce = (z: tf.Tensor, l: tf.Tensor): tf.Tensor => tf.losses.softmaxCrossEntropy(l, z);

  const step = await timeIt(repeats, async () => {
    const { value, grads } = tf.variableGrads(() => {
      const o = model.forwardWithAux(x);
      const targets = rdferKeyTargets(o.instanceLogits, RDFER_TINY.clips, RDFER_TINY.longStride);
      const tl = o.instanceLogits.shape[1] as number;
      const instLabels = tf.reshape(tf.tile(tf.expandDims(labels, 1), [1, tl, 1]), [batch * tl, 7]);
      const clipLabels = tf.reshape(tf.tile(tf.expandDims(labels, 1), [1, RDFER_TINY.clips, 1]), [
        batch * RDFER_TINY.clips,
        7,
      ]);
      return tf.addN([
        ce(o.logits, labels),
        tf.mul(0.1, ce(o.longLogits, labels)),
        tf.mul(0.1, ce(tf.reshape(o.instanceLogits, [batch * tl, 7]), instLabels)),
        tf.mul(0.1, ce(tf.reshape(o.clipLogits, [batch * RDFER_TINY.clips, 7]), clipLabels)),
        rdferKeyPositionLoss(o.keyCentres, targets, frames),
      ]) as tf.Scalar;
    }, vars);
    await value.data();
    tf.dispose([value, grads as unknown as tf.TensorContainer]);
  });
  const forward = await timeIt(repeats, async () => {
    const o = model.forwardWithAux(x);
    await o.logits.data();
    tf.dispose(o as unknown as tf.TensorContainer);
  });
  const folded = tf.reshape(x, [batch * frames, height, width, channels]);
  const cnn = await timeIt(repeats, async () => {
    const { value, grads } = tf.variableGrads(
      () => tf.sum(model.frameEncoder.forward(folded)) as tf.Scalar,
      model.frameEncoder.parameters(),
    );
    await value.data();
    tf.dispose([value, grads as unknown as tf.TensorContainer]);
  });
  const seq = tf.randomNormal(
    [batch, frames / RDFER_TINY.longStride, model.frameEncoder.outDim],
    0,
    1,
    'float32',
    2,
  );
  const lstm = await timeIt(repeats, async () => {
    const { value, grads } = tf.variableGrads(
      () => tf.sum(model.longLstm.forward(seq)) as tf.Scalar,
      model.longLstm.parameters(),
    );
    await value.data();
    tf.dispose([value, grads as unknown as tf.TensorContainer]);
  });
  const result = {
    benchmark: 'rdfer-tiny-train-step',
    date: new Date().toISOString(),
    backend: engine.backend,
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    loadAverage1m: loadavg()[0],
    input: [batch, frames, height, width, channels],
    numParameters: model.numParameters(),
    repeats,
    ms: {
      trainStep: { median: median(step), runs: step },
      forward: { median: median(forward), runs: forward },
      frameCnnForwardBackward: { median: median(cnn), runs: cnn },
      longBiLstmForwardBackward: { median: median(lstm), runs: lstm },
    },
  };
  const dir = join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'rdfer-step.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log(
    JSON.stringify(result.ms, (k, v) => (k === 'runs' ? undefined : v)),
    'load',
    result.loadAverage1m,
  );
  tf.dispose([x, labels, folded, seq]);
  model.dispose();
}

void main();
