import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '@dfer/runtime';
import { createModel } from './src/index';

async function main() {
  await initEngine({ backend: (process.argv[2] as 'wasm') ?? 'wasm' });
  const name = process.argv[3] ?? 'm3dfel';
  const model = createModel(name, { preset: 'tiny', numClasses: 7, seed: 0 });
  const spec = model.inputSpec ?? { frames: 16, height: 16, width: 16 };
  const B = Number(process.argv[4] ?? 1);
  const x = tf.randomNormal([B, (spec as any).frames, (spec as any).height, (spec as any).width, 3]);
  const step = () => {
    const { value, grads } = tf.variableGrads(() => tf.sum(model.forward(x).logits) as tf.Scalar, model.parameters());
    tf.dispose([value, ...Object.values(grads)]);
  };
  step();
  let t = performance.now();
  step();
  console.log('train step ms/clip', (performance.now() - t) / B);
  t = performance.now();
  tf.tidy(() => model.forward(x).logits.dataSync());
  console.log('forward ms/clip', (performance.now() - t) / B);
  const prof = await tf.profile(() => { step(); });
  const agg: Record<string, number> = {};
  for (const k of prof.kernels) agg[k.name] = (agg[k.name] ?? 0) + (k.kernelTimeMs as number);
  console.log(Object.entries(agg).sort((a, b) => b[1] - a[1]).slice(0, 12));
}
main();
