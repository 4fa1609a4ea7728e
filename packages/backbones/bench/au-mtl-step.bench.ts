/**
 * AU-MTL tiny: time of one training step (forward + backward of batch 8, 8 frames of 32×32) on the wasm
 * and cpu backends, for the gated and the ungated preset. Writes bench/results/au-mtl-step.json.
 * Run: npx tsx packages/backbones/bench/au-mtl-step.bench.ts
 */
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '@dfer/runtime';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { createModel } from '../src';

async function timeStep(preset: string, repeats: number): Promise<{ medianMs: number; samplesMs: number[] }> {
  const model = createModel('au_mtl', { preset, auHead: 12, seed: 0 }).train();
  const x = tf.randomUniform([8, 8, 32, 32, 3], 0, 1, 'float32', 1);
  const samples: number[] = [];
  for (let r = 0; r < repeats + 1; r++) {
    const t0 = performance.now();
    const { value, grads } = tf.variableGrads(() => {
      const out = model.forward(x);
      return tf.add(tf.sum(out.logits), tf.sum(out.auLogits as tf.Tensor)) as tf.Scalar;
    }, model.parameters());
    await value.data();
    tf.dispose([value, grads]);
    if (r > 0) samples.push(performance.now() - t0); // first step warms the kernels up
  }
  x.dispose();
  model.dispose();
  const sorted = [...samples].sort((a, b) => a - b);
  return { medianMs: sorted[Math.floor(sorted.length / 2)] as number, samplesMs: samples };
}

async function main(): Promise<void> {
  const results: Record<string, unknown>[] = [];
  for (const backend of ['wasm', 'cpu'] as const) {
    const engine = await initEngine({ backend });
    for (const preset of ['tiny', 'tiny_no_gate']) {
      const r = await timeStep(preset, 5);
      results.push({ backend: engine.backend, preset, batch: 8, frames: 8, size: 32, ...r });
      console.log(backend, preset, `${r.medianMs.toFixed(1)} ms / step`);
    }
  }
  const dir = join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'au-mtl-step.json'),
    JSON.stringify({ date: new Date().toISOString(), node: process.version, results }, null, 2) + '\n',
  );
}

void main();
