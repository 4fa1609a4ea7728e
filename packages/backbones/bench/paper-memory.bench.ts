/**
 * Peak memory of one training step of each `paper` preset on the wasm backend (batch 2 by default), with and
 * without gradient checkpointing. Each configuration runs in a child process of its own, so its peak
 * resident set size (`process.resourceUsage().maxRSS`) and the wasm heap it grew to belong to it alone.
 * The step is forward + cross-entropy + backward + an AdamW update (m and v per parameter, as the trainer's).
 * Writes bench/results/paper-memory.json.
 *
 * Run: npx tsx packages/backbones/bench/paper-memory.bench.ts [models=former_dfer,m3dfel,mae_dfer] [batch=2]
 */
import * as tf from '@tensorflow/tfjs-core';
import { initEngine, runWithWasmHeapGuard, wasmHeapBytes, WASM_HEAP_LIMIT_BYTES } from '@dfer/runtime';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';

import { createModel, estimateTrainStepBytes } from '../src';

interface StepRecord {
  model: string;
  preset: 'paper';
  batch: number;
  gradientCheckpointing: boolean;
  ok: boolean;
  error?: string;
  /** Wall time of the step, ms. */
  stepMs?: number;
  /** Peak resident set size of the process, MiB. */
  peakRssMiB?: number;
  /** Size the wasm heap grew to, MiB (it never shrinks). */
  wasmHeapMiB?: number;
  numParameters?: number;
  /** Probe of `estimateTrainStepBytes` (forward at batch 1 under a tape), MiB, and its lower bound for `batch`. */
  activationMiBPerClip?: number;
  estimatedMiB?: number;
  /** (wasm heap − 4·parameter bytes) ÷ (batch · activations per clip): how far the step went above the bound's activation term. */
  measuredActivationFactor?: number;
}

const MiB = 1024 * 1024;

async function child(model: string, batch: number, checkpointing: boolean): Promise<StepRecord> {
  const base = { model, preset: 'paper' as const, batch, gradientCheckpointing: checkpointing };
  await initEngine({ backend: 'wasm', log: false });
  const net = createModel(model, { preset: 'paper', seed: 0, gradientCheckpointing: checkpointing }).train();
  const params = net.parameters().filter((p) => p.trainable);
  const s = net.inputSpec;
  const x = tf.randomUniform([batch, s.frames, s.height, s.width, s.channels], 0, 1, 'float32', 1);
  const labels = tf.oneHot(
    tf.tensor1d(
      Array.from({ length: batch }, (_, i) => i % net.numClasses),
      'int32',
    ),
    net.numClasses,
  );
  const estimate = estimateTrainStepBytes(net, batch);
  console.log(
    `PROBE ${JSON.stringify({ activationMiBPerClip: estimate.activationBytesPerClip / MiB, estimatedMiB: estimate.neededBytes / MiB })}`,
  );
  const m = params.map((p) => tf.zerosLike(p));
  const v = params.map((p) => tf.zerosLike(p));
  const t0 = performance.now();
  const { value, grads } = runWithWasmHeapGuard(
    () => {
      const result = tf.variableGrads(
        () => tf.losses.softmaxCrossEntropy(labels, net.forward(x).logits) as tf.Scalar,
        params,
      );
      result.value.dataSync();
      return result;
    },
    {
      what: `${model}/paper training step at batch ${batch}`,
      advice: 'a smaller batch, gradientCheckpointing: true, fewer frames, or the tensorflow backend',
    },
  );
  // AdamW (β 0.9 / 0.999, lr 1e-3, wd 0.05), step 1.
  params.forEach((p, i) => {
    const g = grads[p.name];
    if (g === undefined) return;
    tf.tidy(() => {
      const mi = tf.add(tf.mul(m[i] as tf.Tensor, 0.9), tf.mul(g, 0.1));
      const vi = tf.add(tf.mul(v[i] as tf.Tensor, 0.999), tf.mul(tf.square(g), 0.001));
      const update = tf.div(tf.div(mi, 0.1), tf.add(tf.sqrt(tf.div(vi, 0.001)), 1e-8));
      p.assign(tf.sub(tf.mul(p, 1 - 1e-3 * 0.05), tf.mul(update, 1e-3)));
      tf.dispose([m[i] as tf.Tensor, v[i] as tf.Tensor]);
      m[i] = tf.keep(mi);
      v[i] = tf.keep(vi);
    });
  });
  params[0]?.dataSync();
  const stepMs = performance.now() - t0;
  tf.dispose([value, Object.values(grads), m, v, x, labels]);
  const numParameters = net.numParameters();
  net.dispose();
  const heapBytes = wasmHeapBytes() ?? 0;
  return {
    ...base,
    activationMiBPerClip: estimate.activationBytesPerClip / MiB,
    estimatedMiB: estimate.neededBytes / MiB,
    measuredActivationFactor:
      (heapBytes - 4 * estimate.parameterBytes) / (batch * estimate.activationBytesPerClip),
    ok: true,
    stepMs,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    wasmHeapMiB: (wasmHeapBytes() ?? 0) / MiB,
    numParameters,
  };
}

function parent(): void {
  const models = (process.argv[2] ?? 'former_dfer,m3dfel,mae_dfer').split(',');
  const batch = Number(process.argv[3] ?? '2');
  const loadAverageAtStart = loadavg();
  const records: StepRecord[] = [];
  for (const model of models) {
    for (const checkpointing of [false, true]) {
      const started = Date.now();
      const run = spawnSync(
        process.execPath,
        [...process.execArgv, __filename, '--child', model, String(batch), String(checkpointing)],
        { encoding: 'utf8', timeout: 20 * 60_000, maxBuffer: 64 * MiB },
      );
      const line = run.stdout.split('\n').find((l) => l.startsWith('RESULT '));
      const probe = run.stdout.split('\n').find((l) => l.startsWith('PROBE '));
      const record: StepRecord =
        line !== undefined
          ? (JSON.parse(line.slice('RESULT '.length)) as StepRecord)
          : {
              model,
              preset: 'paper',
              batch,
              gradientCheckpointing: checkpointing,
              ...(probe !== undefined
                ? (JSON.parse(probe.slice('PROBE '.length)) as Partial<StepRecord>)
                : {}),
              ok: false,
              error: (
                run.stderr.trim().split('\n').slice(-2).join(' | ') || `exit ${String(run.status)}`
              ).slice(0, 1200),
            };
      records.push(record);
      console.log(JSON.stringify(record), `(${((Date.now() - started) / 1000).toFixed(0)} s)`);
    }
  }
  const out = {
    created: new Date().toISOString(),
    machine: `${cpus().length} CPU(s), ${cpus()[0]?.model ?? ''}`,
    loadAverageAtStart,
    loadAverageAtEnd: loadavg(),
    wasmHeapLimitMiB: WASM_HEAP_LIMIT_BYTES / MiB,
    note: 'one training step per child process: forward + softmax cross-entropy + backward + AdamW; wasm backend (single thread); peak RSS = process.resourceUsage().maxRSS',
    records,
  };
  const dir = join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'paper-memory.json'), `${JSON.stringify(out, null, 2)}\n`);
}

if (process.argv[2] === '--child') {
  const [model, batch, checkpointing] = process.argv.slice(3);
  child(model as string, Number(batch), checkpointing === 'true')
    .then((r) => console.log(`RESULT ${JSON.stringify(r)}`))
    .catch((e: unknown) => {
      console.error(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
      process.exit(1);
    });
} else {
  parent();
}
