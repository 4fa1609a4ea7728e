// The AU-DFER loss of @dfer/losses in your own tfjs training loop: a linear expression head and a linear
// AU head on fixed features (stand-ins for your model's clip features), trained with Adam.
import * as tf from '@tensorflow/tfjs-core';
import { posWeights, priorMatrix } from '@dfer/au-knowledge';
import { auDferLoss } from '@dfer/losses';
import { initEngine } from '@dfer/runtime';

async function main(): Promise<void> {
  // Registers tfjs's gradients and the kernel fixes; call it before any optimizer.
  await initEngine({ backend: 'cpu', log: false });

  const numClips = 32;
  const dim = 16;
  // Training labels (DFEW order) and clip AU targets (OpenFace 18 AUs), e.g. from OpenFace on your clips.
  const labels = Array.from({ length: numClips }, (_, i) => i % 7);
  const auTargets = Array.from({ length: numClips }, (_, i) =>
    Uint8Array.from({ length: 18 }, (_, j) => ((i + j) % 3 === 0 ? 1 : 0)),
  );
  const prior = priorMatrix({ source: 'dfew', labels: 'dfew', aus: 'openface18' }); // the loss applies ×5
  const posWeight = posWeights(auTargets, labels, { mode: 'global', labels: 'dfew' });
  const auFlat = new Uint8Array(numClips * 18);
  auTargets.forEach((row, i) => auFlat.set(row, i * 18));

  const features = tf.randomNormal([numClips, dim], 0, 1, 'float32', 7); // seeded
  const wExpr = tf.variable(tf.randomNormal([dim, 7], 0, 0.1, 'float32', 1));
  const wAu = tf.variable(tf.randomNormal([dim, 18], 0, 0.1, 'float32', 2));
  const optimizer = tf.train.adam(0.05);
  const before = tf.memory().numTensors;

  const step = (): number => {
    const cost = optimizer.minimize(
      () =>
        auDferLoss({
          exprLogits: tf.matMul(features, wExpr),
          auLogits: tf.matMul(features, wAu),
          labels,
          auTargets: auFlat,
          prior,
          posWeight,
          lambda: 0.25,
        }).loss as tf.Scalar,
      true,
      [wExpr, wAu],
    )!;
    const value = cost.dataSync()[0]!;
    cost.dispose();
    return value;
  };
  const first = step();
  let last = first;
  for (let i = 1; i < 50; i++) last = step();
  console.log(`loss step 1: ${first.toFixed(4)}, step 50: ${last.toFixed(4)}`);
  // Only the optimizer's moment slots were created by the loop (two per variable); nothing else leaked.
  console.log(`tensors created by the loop besides optimizer state: ${tf.memory().numTensors - before - 4}`);
  optimizer.dispose();
  tf.dispose([features, wExpr, wAu]);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
