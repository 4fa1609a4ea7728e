/**
 * Fused kernels vs the unfused tfjs ops, in one process and interleaved step by step (the machine is shared
 * and noisy, so only ratios from the same run mean anything): a training step of each model's `tiny` preset
 * (forward + cross-entropy + backward + AdamW, wasm, one thread) with every fused kernel off, with the
 * default set, with all on, and with the default set plus gradient checkpointing. For each mode: the median step time, the number of kernel
 * calls per step (`tf.profile`) and the share of the profiled step spent outside kernels (JS, autodiff tape,
 * disposal, profiler). Writes `results/perf/fused-kernels.json` of the bench app.
 *
 * Run: npx tsx apps/bench/src/perf/fused-kernels.ts [models=former_dfer,m3dfel,mae_dfer] [batch=8] [repeats=7]
 */
import * as tf from '@tensorflow/tfjs-core';
import { createModel, type VideoModel } from '@dfer/backbones';
import { crossEntropyLoss } from '@dfer/losses';
import { initEngine, setFusedKernels, getFusedKernels } from '@dfer/runtime';
import { createOptimizer, trainableParameters, type NamedVariable, type Optimizer } from '@dfer/trainer';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';

import { clipValues, median } from './measure';

/**
 * The configurations compared: every fused kernel off; the defaults (`setFusedKernels('defaults')`); every
 * fused kernel on; the defaults with gradient checkpointing.
 */
export type FusedMode = 'unfused' | 'fused' | 'fused-all' | 'fused+checkpointing';

const MODES: readonly FusedMode[] = ['unfused', 'fused', 'fused-all', 'fused+checkpointing'];

/** Untimed steps of each mode before the timed ones (as `bench perf --warmups`). */
const WARMUPS = 10;

/** One model × mode line of the results file. */
export interface FusedModeRecord {
  readonly model: string;
  readonly preset: string;
  readonly batch: number;
  readonly mode: FusedMode;
  /** Median wall time of a step, ms, and every timed step. */
  readonly stepMs: number;
  readonly samplesMs: readonly number[];
  /**
   * Kernel calls in one profiled step; `null` with checkpointing, where the profiler also lists the kernels
   * run inside each checkpointed block's op (counted twice).
   */
  readonly kernelCalls: number | null;
  /** Summed kernel time of the profiled step, ms, and its wall time (`null` with checkpointing, as above). */
  readonly kernelMs: number | null;
  readonly profiledWallMs: number | null;
  /** 1 − kernelMs / profiledWallMs (`null` with checkpointing). The fused AdamW update runs no kernel: its time counts here. */
  readonly outsideKernelsShare: number | null;
  /** Step time of this mode ÷ that of `unfused` (same model, same run). */
  readonly timeRatioToUnfused: number;
}

interface Trainee {
  readonly model: VideoModel;
  readonly params: NamedVariable[];
  readonly optimizer: Optimizer;
  step(): void;
  dispose(): void;
}

function createTrainee(name: string, preset: string, batch: number, checkpointing: boolean): Trainee {
  const model = createModel(name, { preset, seed: 0, gradientCheckpointing: checkpointing });
  model.train();
  const params = trainableParameters(model);
  const optimizer = createOptimizer(params, { type: 'adamw', weightDecay: 0.05 });
  const s = model.inputSpec;
  const shape = [batch, s.frames, s.height, s.width, s.channels];
  const x = tf.tensor(clipValues(shape.reduce((a, b) => a * b, 1)), shape);
  const labels = Int32Array.from({ length: batch }, (_, i) => i % model.numClasses);
  return {
    model,
    params,
    optimizer,
    step() {
      const { value, grads } = tf.variableGrads(
        () => crossEntropyLoss({ logits: model.forward(x).logits, labels }).loss as tf.Scalar,
        params.map((p) => p.variable),
      );
      value.dataSync();
      const named: Record<string, tf.Tensor> = {};
      for (const p of params) {
        const g = grads[p.variable.name];
        if (g) named[p.name] = g;
      }
      optimizer.step(named, 1e-3);
      params[0]?.variable.dataSync();
      tf.dispose([value, Object.values(grads)]);
    },
    dispose() {
      optimizer.dispose();
      x.dispose();
      model.dispose();
    },
  };
}

function setMode(mode: FusedMode): void {
  setFusedKernels(mode === 'unfused' ? false : mode === 'fused-all' ? true : 'defaults');
}

async function measureModel(name: string, batch: number, repeats: number): Promise<FusedModeRecord[]> {
  const preset = 'tiny';
  // One trainee per mode (same seed, so the same weights at the start); steps interleave across modes.
  const trainees = new Map<FusedMode, Trainee>(
    MODES.map((mode) => [mode, createTrainee(name, preset, batch, mode === 'fused+checkpointing')]),
  );
  const samples = new Map<FusedMode, number[]>(MODES.map((m) => [m, []]));
  try {
    for (let w = 0; w < WARMUPS; w++) {
      for (const mode of MODES) {
        setMode(mode);
        trainees.get(mode)!.step(); // untimed: V8 and the wasm tiers settle in about 10 steps
      }
    }
    for (let r = 0; r < repeats; r++) {
      for (const mode of r % 2 === 0 ? MODES : [...MODES].reverse()) {
        setMode(mode);
        const t0 = performance.now();
        trainees.get(mode)!.step();
        samples.get(mode)!.push(performance.now() - t0);
      }
    }
    const profiles = new Map<FusedMode, { calls: number; kernelMs: number; wallMs: number }>();
    for (const mode of MODES) {
      setMode(mode);
      const t0 = performance.now();
      const info = await tf.profile(() => {
        trainees.get(mode)!.step();
      });
      const wallMs = performance.now() - t0;
      const kernelMs = info.kernels.reduce(
        (a, k) => a + (typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0),
        0,
      );
      profiles.set(mode, { calls: info.kernels.length, kernelMs, wallMs });
    }
    const unfusedMs = median(samples.get('unfused')!);
    return MODES.map((mode) => {
      const p = profiles.get(mode)!;
      const stepMs = median(samples.get(mode)!);
      const profiled = mode !== 'fused+checkpointing';
      return {
        model: name,
        preset,
        batch,
        mode,
        stepMs,
        samplesMs: samples.get(mode)!,
        kernelCalls: profiled ? p.calls : null,
        kernelMs: profiled ? p.kernelMs : null,
        profiledWallMs: profiled ? p.wallMs : null,
        outsideKernelsShare: profiled ? Math.max(0, 1 - p.kernelMs / p.wallMs) : null,
        timeRatioToUnfused: stepMs / unfusedMs,
      };
    });
  } finally {
    setFusedKernels('defaults');
    for (const t of trainees.values()) t.dispose();
  }
}

async function main(): Promise<void> {
  const models = (process.argv[2] ?? 'former_dfer,m3dfel,mae_dfer').split(',');
  const batch = Number(process.argv[3] ?? '8');
  const repeats = Number(process.argv[4] ?? '7');
  const loadStart = loadavg();
  await initEngine({ backend: 'wasm', log: false });
  const records: FusedModeRecord[] = [];
  for (const name of models) {
    const lines = await measureModel(name, batch, repeats);
    for (const l of lines) {
      console.log(
        `${name} ${l.mode}: ${l.stepMs.toFixed(1)} ms/step (×${l.timeRatioToUnfused.toFixed(2)}), ${String(l.kernelCalls)} kernel calls, ${l.outsideKernelsShare === null ? '–' : (100 * l.outsideKernelsShare).toFixed(0)} % outside kernels`,
      );
    }
    records.push(...lines);
  }
  const out = {
    created: new Date().toISOString(),
    machine: `${cpus().length} CPU(s), ${cpus()[0]?.model ?? ''}`,
    loadAverage: { start: loadStart, end: loadavg() },
    fusedKernelDefaults: getFusedKernels(),
    method: `uptime load averages above (2 cores shared with other work); tiny presets, wasm (one thread), forward + cross-entropy + backward + AdamW (wd 0.05); the four modes are separate models with the same seed, stepped in turn (order alternating per round) after ${WARMUPS} untimed steps each; stepMs = median of the timed steps; kernel calls, kernel time and wall time from one tf.profile step per mode (the profiler waits on every kernel, so its wall time is longer than a plain step)`,
    records,
  };
  const dir = join(__dirname, '..', '..', 'results', 'perf');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'fused-kernels.json'), `${JSON.stringify(out, null, 2)}\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
