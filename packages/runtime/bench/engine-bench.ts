/**
 * Engine benchmark (not a test): run with `npx tsx bench/engine-bench.ts` from packages/runtime.
 * Writes bench/results/engine-bench.json with
 *  1. one training step of a small conv net (Adam) on tfjs cpu and wasm, with and without the kernel
 *     fixes (stock wasm has no Conv2DBackpropFilter, so that run records the error);
 *  2. ResNet-18-style inference (BatchNorm folded into the conv biases) on onnxruntime-node with 1 and
 *     2 threads vs tfjs-wasm, plus the largest tfjs-vs-ONNX difference on the logits.
 * Targets from the issue: fixed wasm training ≥ 20× faster than stock cpu; onnxruntime ≥ 5× faster than
 * tfjs-wasm. Sizes can be reduced with BENCH_QUICK=1 (a smoke run; its numbers are not comparable).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import {
  createSession,
  exportOnnx,
  initEngine,
  onnxAttr,
  registerKernelFixes,
  runSession,
  transposeToChannelsFirst,
  unregisterKernelFixes,
} from '../src/index';
import type { OnnxGraph, ParityModel } from '../src/index';

const quick = process.env.BENCH_QUICK === '1';

/** mulberry32, for reproducible weights and inputs. */
function createRng(seed: number): (n: number, scale: number) => Float32Array {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return (n, scale) => Float32Array.from({ length: n }, () => (next() * 2 - 1) * scale);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

// ---------- 1. conv-net training step ----------

const train = quick ? { batch: 2, size: 24, steps: 2 } : { batch: 4, size: 32, steps: 3 };

async function trainingStepMs(
  backend: 'cpu' | 'wasm',
  fixes: boolean,
): Promise<{ ms?: number; error?: string; steps: number }> {
  await initEngine({ backend, log: false, kernelFixes: false });
  if (fixes) registerKernelFixes(backend);
  else unregisterKernelFixes(backend);
  const rand = createRng(1);
  const { batch, size } = train;
  const x = tf.tensor4d(rand(batch * size * size * 3, 1), [batch, size, size, 3]);
  const y = tf.oneHot(
    tf.tensor1d(
      Array.from({ length: batch }, (_, i) => i % 4),
      'int32',
    ),
    4,
  );
  const widths = [3, 16, 32, 64];
  const convs = widths
    .slice(1)
    .map((w, i) =>
      tf.variable(tf.tensor4d(rand(9 * (widths[i] as number) * w, 0.2), [3, 3, widths[i] as number, w])),
    );
  const dense = tf.variable(tf.tensor2d(rand(64 * 4, 0.2), [64, 4]));
  const optimizer = tf.train.adam(1e-3);
  const loss = (): tf.Scalar =>
    tf.tidy(() => {
      let h: tf.Tensor4D = x;
      convs.forEach((w, i) => {
        h = tf.relu(tf.conv2d(h, w, 1, 'same'));
        if (i < convs.length - 1) h = tf.maxPool(h, 2, 2, 'valid');
      });
      return tf.losses.softmaxCrossEntropy(y, tf.matMul(tf.mean(h, [1, 2]), dense)) as tf.Scalar;
    });
  const times: number[] = [];
  let error: string | undefined;
  try {
    for (let step = 0; step <= train.steps; step++) {
      const start = performance.now();
      const value = optimizer.minimize(loss, true);
      value?.dataSync();
      value?.dispose();
      if (step > 0) times.push(performance.now() - start);
    }
  } catch (e) {
    error = (e as Error).message.split('\n')[0];
  }
  tf.dispose([x, y, dense, ...convs]);
  optimizer.dispose();
  registerKernelFixes(backend);
  return error === undefined ? { ms: median(times), steps: times.length } : { error, steps: times.length };
}

// ---------- 2. ResNet-18-style inference ----------

const infer = quick
  ? { batch: 2, size: 32, runs: 2, widths: [16, 32, 64, 128] }
  : { batch: 16, size: 112, runs: 5, widths: [64, 128, 256, 512] };

interface ConvSpec {
  w: Float32Array;
  b: Float32Array;
  k: number;
  cin: number;
  cout: number;
  stride: number;
}

function makeConv(
  rand: (n: number, s: number) => Float32Array,
  k: number,
  cin: number,
  cout: number,
  stride: number,
): ConvSpec {
  return {
    w: rand(k * k * cin * cout, Math.sqrt(2 / (k * k * cin))),
    b: rand(cout, 0.1),
    k,
    cin,
    cout,
    stride,
  };
}

/** ResNet-18 layout: 7×7/2 stem, 3×3/2 max pool, 4 stages of 2 basic blocks, global average pool, fc. */
function createResNet18Style(classes: number): ParityModel {
  const rand = createRng(7);
  const [w1, w2, w3, w4] = infer.widths as [number, number, number, number];
  const stem = makeConv(rand, 7, 3, w1, 2);
  const blocks: { a: ConvSpec; b: ConvSpec; down?: ConvSpec }[] = [];
  let cin = w1;
  [w1, w2, w3, w4].forEach((w, stage) => {
    for (let i = 0; i < 2; i++) {
      const stride = stage > 0 && i === 0 ? 2 : 1;
      blocks.push({
        a: makeConv(rand, 3, cin, w, stride),
        b: makeConv(rand, 3, w, w, 1),
        ...(stride !== 1 || cin !== w ? { down: makeConv(rand, 1, cin, w, stride) } : {}),
      });
      cin = w;
    }
  });
  const fcW = rand(w4 * classes, Math.sqrt(1 / w4));
  const fcB = rand(classes, 0.1);

  const tfConv = (x: tf.Tensor4D, c: ConvSpec): tf.Tensor4D => {
    const p = (c.k - 1) >> 1;
    const pad = [
      [0, 0],
      [p, p],
      [p, p],
      [0, 0],
    ] as tf.backend_util.ExplicitPadding;
    return tf.add(tf.conv2d(x, tf.tensor4d(c.w, [c.k, c.k, c.cin, c.cout]), c.stride, pad), tf.tensor1d(c.b));
  };
  const onnxConv = (g: OnnxGraph, x: string, c: ConvSpec): string => {
    const p = (c.k - 1) >> 1;
    const w = tf.tidy(
      () =>
        tf.transpose(tf.tensor4d(c.w, [c.k, c.k, c.cin, c.cout]), [3, 2, 0, 1]).dataSync() as Float32Array,
    );
    return g.addNode(
      'Conv',
      [
        x,
        g.addInitializer(g.uniqueName('conv.w'), w, [c.cout, c.cin, c.k, c.k]),
        g.addInitializer(g.uniqueName('conv.b'), c.b, [c.cout]),
      ],
      {
        kernel_shape: onnxAttr.ints([c.k, c.k]),
        strides: onnxAttr.ints([c.stride, c.stride]),
        pads: onnxAttr.ints([p, p, p, p]),
      },
    );
  };
  return {
    forward: (input) =>
      tf.tidy(() => {
        let h = tf.maxPool(tf.relu(tfConv(input as tf.Tensor4D, stem)), 3, 2, 1);
        for (const blk of blocks) {
          const skip = blk.down === undefined ? h : tfConv(h, blk.down);
          h = tf.relu(tf.add(tfConv(tf.relu(tfConv(h, blk.a)), blk.b), skip));
        }
        return tf.add(tf.matMul(tf.mean(h, [1, 2]), tf.tensor2d(fcW, [w4, classes])), tf.tensor1d(fcB));
      }),
    toOnnx: (g, input) => {
      let h = g.addNode('Relu', [onnxConv(g, transposeToChannelsFirst(g, input, 4), stem)]);
      h = g.addNode('MaxPool', [h], {
        kernel_shape: onnxAttr.ints([3, 3]),
        strides: onnxAttr.ints([2, 2]),
        pads: onnxAttr.ints([1, 1, 1, 1]),
      });
      for (const blk of blocks) {
        const skip = blk.down === undefined ? h : onnxConv(g, h, blk.down);
        h = g.addNode('Relu', [
          g.addNode('Add', [onnxConv(g, g.addNode('Relu', [onnxConv(g, h, blk.a)]), blk.b), skip]),
        ]);
      }
      const pooled = g.addNode('Flatten', [g.addNode('GlobalAveragePool', [h])], { axis: onnxAttr.int(1) });
      const fc = g.addInitializer(g.uniqueName('fc.w'), fcW, [w4, classes]);
      return g.addNode('Add', [
        g.addNode('MatMul', [pooled, fc]),
        g.addInitializer(g.uniqueName('fc.b'), fcB, [classes]),
      ]);
    },
  };
}

async function main(): Promise<void> {
  const results: Record<string, unknown> = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
    quick,
    note: 'Shared machine: other processes may run at the same time; medians of the measured runs.',
  };

  const training: Record<string, unknown> = {
    config: { ...train, net: 'conv3x3(16)-pool-conv3x3(32)-pool-conv3x3(64)-mean-dense(4), Adam' },
  };
  for (const backend of ['wasm', 'cpu'] as const) {
    for (const fixes of [true, false]) {
      const key = `${backend}_${fixes ? 'fixed' : 'stock'}`;
      training[key] = await trainingStepMs(backend, fixes);
      console.log('training', key, training[key]);
    }
  }
  const wasmFixed = (training.wasm_fixed as { ms?: number }).ms;
  const cpuStock = (training.cpu_stock as { ms?: number }).ms;
  if (wasmFixed !== undefined && cpuStock !== undefined) {
    training.speedup_wasm_fixed_vs_cpu_stock = cpuStock / wasmFixed;
    training.target_met = cpuStock / wasmFixed >= 20;
  }
  results.training_step_ms = training;

  await initEngine({ backend: 'wasm', log: false });
  const model = createResNet18Style(7);
  const rand = createRng(3);
  const dims = [infer.batch, infer.size, infer.size, 3];
  const data = rand(
    dims.reduce((p, d) => p * d, 1),
    1,
  );
  const input = tf.tensor4d(data, dims as [number, number, number, number]);
  const tfjsTimes: number[] = [];
  let reference = new Float32Array(0);
  for (let run = 0; run <= infer.runs; run++) {
    const start = performance.now();
    const out = model.forward(input) as tf.Tensor;
    reference = out.dataSync() as Float32Array;
    out.dispose();
    if (run > 0) tfjsTimes.push(performance.now() - start);
  }
  input.dispose();
  const { bytes } = await exportOnnx(model, {
    inputShape: ['batch', infer.size, infer.size, 3],
    modelName: 'resnet18_style',
    outputName: 'logits',
  });
  const inference: Record<string, unknown> = {
    config: { ...infer, layout: 'NHWC input, BatchNorm folded into conv biases' },
    tfjs_wasm_ms: median(tfjsTimes),
  };
  for (const threads of [1, 2]) {
    const session = await createSession(bytes, { threads, warmupShape: dims });
    const times: number[] = [];
    let maxAbsDiff = 0;
    for (let run = 0; run < infer.runs; run++) {
      const start = performance.now();
      const out = await runSession(session, { input: { data, dims } });
      times.push(performance.now() - start);
      const logits = out.logits?.data ?? new Float32Array(0);
      logits.forEach((v, i) => (maxAbsDiff = Math.max(maxAbsDiff, Math.abs(v - (reference[i] as number)))));
    }
    await session.release();
    inference[`onnxruntime_${threads}_thread_ms`] = median(times);
    inference[`onnxruntime_${threads}_thread_max_abs_diff_vs_tfjs`] = maxAbsDiff;
    console.log('inference', threads, 'threads', median(times), 'ms; max |diff|', maxAbsDiff);
  }
  const ort2 = inference.onnxruntime_2_thread_ms as number;
  inference.speedup_onnxruntime_2_threads_vs_tfjs_wasm = median(tfjsTimes) / ort2;
  inference.target_met = median(tfjsTimes) / ort2 >= 5;
  console.log('inference tfjs-wasm', median(tfjsTimes), 'ms');
  results.resnet18_inference = inference;

  const dir = join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, quick ? 'engine-bench.quick.json' : 'engine-bench.json');
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`wrote ${file}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
