/**
 * Backbone benchmark (not a test): for every registered model and preset, forward+backward time per clip
 * on the tfjs backends (wasm, cpu) and onnxruntime-node inference latency per clip.
 *
 *   npx tsx packages/backbones/bench/backbones.bench.ts [--models former_dfer,m3dfel] [--presets tiny,paper]
 *       [--backends wasm,cpu] [--repeats 3] [--batch 1] [--ort-threads 1] [--out path.json]
 *
 * Writes JSON to packages/backbones/bench/results/backbones.json (or --out). Paper presets on the tfjs cpu
 * backend take minutes per step (engine-notes.md: ~45 s for a ResNet-style forward of 16 × 112 × 112);
 * pass `--presets tiny` or `--backends wasm` for a quick run.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';

import { createSession, exportOnnx, initEngine, runSession } from '@dfer/runtime';

import { createModel, getModelInfo, listModels } from '../src/index';

interface Timing {
  model: string;
  preset: string;
  numParameters: number;
  input: number[];
  kind: 'tfjs-train-step' | 'onnxruntime-inference';
  backend: string;
  /** Milliseconds per clip for each repeat (after one warm-up run); empty when the run failed. */
  msPerClip: number[];
  medianMsPerClip: number | null;
  /** Why the measurement failed (e.g. the wasm heap is too small for a paper-size training step). */
  error?: string;
}

const { values } = parseArgs({
  options: {
    models: { type: 'string' },
    presets: { type: 'string', default: 'tiny,paper' },
    backends: { type: 'string', default: 'wasm,cpu' },
    repeats: { type: 'string', default: '3' },
    batch: { type: 'string', default: '1' },
    'ort-threads': { type: 'string', default: '1' },
    out: { type: 'string', default: join(__dirname, 'results', 'backbones.json') },
  },
});

const list = (s: string | undefined, all: string[]): string[] =>
  s === undefined ? all : s.split(',').filter(Boolean);
const positiveInt = (s: string, what: string): number => {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${what} must be a positive integer, got '${s}'`);
  return n;
};

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};

async function main(): Promise<void> {
  const models = list(values.models, listModels());
  const presets = list(values.presets, ['tiny', 'paper']);
  const backends = list(values.backends, ['wasm', 'cpu']);
  const repeats = positiveInt(values.repeats as string, 'repeats');
  const batch = positiveInt(values.batch as string, 'batch');
  const ortThreads = positiveInt(values['ort-threads'] as string, 'ort-threads');
  const results: Timing[] = [];
  const out = values.out as string;
  /** Rewrites the JSON after every measurement, so an interrupted run keeps what it measured. */
  const write = (): void => {
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(
      out,
      `${JSON.stringify(
        {
          schemaVersion: 1,
          createdAt: new Date().toISOString(),
          machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version },
          repeats,
          batch,
          results,
        },
        null,
        2,
      )}\n`,
    );
  };

  for (const name of models) {
    for (const preset of presets) {
      const spec = getModelInfo(name).presets[preset]?.input;
      if (spec === undefined) throw new Error(`${name} has no preset '${preset}'`);
      const shape = [batch, spec.frames, spec.height, spec.width, spec.channels];
      const size = shape.reduce((a, b) => a * b, 1);
      const data = Float32Array.from({ length: size }, (_, i) => ((i * 7919) % 1009) / 1009);

      for (const backend of backends) {
        const engine = await initEngine({ backend: backend as 'wasm' | 'cpu' });
        const model = createModel(name, { preset, seed: 0 });
        model.train();
        const x = tf.tensor(data, shape);
        const step = (): number => {
          const start = performance.now();
          const { value, grads } = tf.variableGrads(() => {
            const out = model.forward(x);
            const loss = tf.mean(tf.logSoftmax(out.logits)) as tf.Scalar;
            tf.dispose([out.features, out.auLogits ?? []]);
            return loss;
          }, model.parameters());
          value.dataSync();
          tf.dispose([value, ...Object.values(grads)]);
          return (performance.now() - start) / batch;
        };
        const base = { model: name, preset, numParameters: model.numParameters(), input: shape };
        try {
          step();
          const times = Array.from({ length: repeats }, step);
          results.push({
            ...base,
            kind: 'tfjs-train-step',
            backend: engine.backend,
            msPerClip: times,
            medianMsPerClip: median(times),
          });
          console.log(
            `${name}/${preset} train step on ${engine.backend}: ${median(times).toFixed(1)} ms per clip`,
          );
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          results.push({
            ...base,
            kind: 'tfjs-train-step',
            backend: engine.backend,
            msPerClip: [],
            medianMsPerClip: null,
            error: message,
          });
          console.error(`${name}/${preset} train step on ${engine.backend} failed: ${message}`);
        }
        write();
        x.dispose();
        model.dispose();
      }

      await initEngine({ backend: 'cpu' });
      const model = createModel(name, { preset, seed: 0 }).eval();
      const exported = await exportOnnx(model, {
        inputShape: ['batch', ...shape.slice(1)],
        modelName: name,
        preset,
      });
      const numParameters = model.numParameters();
      model.dispose();
      const session = await createSession(exported.bytes, { threads: ortThreads });
      try {
        const run = async (): Promise<number> => {
          const start = performance.now();
          await runSession(session, { [exported.inputName]: { data, dims: shape } });
          return (performance.now() - start) / batch;
        };
        await run();
        const times: number[] = [];
        for (let r = 0; r < repeats; r++) times.push(await run());
        results.push({
          model: name,
          preset,
          numParameters,
          input: shape,
          kind: 'onnxruntime-inference',
          backend: `onnxruntime-node (${ortThreads} thread${ortThreads === 1 ? '' : 's'})`,
          msPerClip: times,
          medianMsPerClip: median(times),
        });
        console.log(`${name}/${preset} onnxruntime: ${median(times).toFixed(1)} ms per clip`);
        write();
      } finally {
        await session.release();
      }
    }
  }

  write();
  console.log(`wrote ${out}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
