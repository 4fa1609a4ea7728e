import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { getModelInfo } from '@dfer/backbones';
import { expectNoTensorLeak } from '@dfer/test-utils';
import {
  addPerfCommand,
  BASE_MODELS,
  checkPytorch,
  DEFAULT_PYTHON,
  readBenchResults,
  resolvePerfConfig,
  runPerfTaskInProcess,
  type PerfCommandOptions,
  type PerfTask,
  type PerfTaskOutcome,
  type PytorchReference,
  type RunPerfOptions,
} from '../src';
import { FIXTURE_PATH, tempDir } from './helpers';

const DEFAULTS: PerfCommandOptions = {
  out: 'bench-results',
  models: 'former_dfer,m3dfel,mae_dfer',
  presets: 'tiny',
  engines: 'wasm,cpu',
  python: DEFAULT_PYTHON,
  pytorch: true,
};

/** Parse `bench perf <args>` with the given runners; resolves when the action has finished. */
async function runCli(args: string[], options: RunPerfOptions): Promise<void> {
  const program = addPerfCommand(
    new Command('bench').exitOverride().configureOutput({ writeErr: () => {} }),
    { report: () => {}, ...options },
  );
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    await program.parseAsync(['node', 'bench', 'perf', ...args]);
  } finally {
    process.stdout.write = write;
  }
}

/** The clip shape of a model's preset at batch b, `[b, T, H, W, C]`. */
function clipShape(model: string, preset: string, b: number): number[] {
  const s = getModelInfo(model).presets[preset]!.input;
  return [b, s.frames, s.height, s.width, s.channels];
}

/** A stand-in task runner: fixed numbers per task kind, and the tasks it was asked to run. */
function standIn(): { tasks: PerfTask[]; runTask: (t: PerfTask) => Promise<PerfTaskOutcome> } {
  const tasks: PerfTask[] = [];
  return {
    tasks,
    runTask: (task) => {
      tasks.push(task);
      const base = { samplesMs: [100], numParameters: 1000, threads: 1 };
      if (task.kind === 'train_step') {
        const workers = task.workers ?? 1;
        return Promise.resolve({
          peakRssMiB: 200,
          result: {
            measurements: task.batches.map((b) => ({
              ...base,
              task: 'train_step' as const,
              model: task.model,
              preset: task.preset,
              engine: `tfjs-${task.engine}`,
              shape: clipShape(task.model, task.preset, b),
              metric: 'clips_per_second' as const,
              // two threads: 1.6× the clips/s of one
              value: b * 10 * (workers === 2 ? 1.6 : 1),
              threads: workers,
            })),
            profiles: task.profile
              ? [
                  {
                    model: task.model,
                    preset: task.preset,
                    engine: `tfjs-${task.engine}`,
                    batch: 1,
                    wallMs: 10,
                    kernels: [{ kernel: 'Conv2D', ms: 4, calls: 2 }],
                    phases: { stepMs: 9, gradientsMs: 6, updateMs: 3 },
                  },
                ]
              : [],
          },
        });
      }
      if (task.kind === 'inference') {
        return Promise.resolve({
          peakRssMiB: 150,
          result: {
            measurements: ['tfjs-wasm', 'onnxruntime'].map((engine) => ({
              ...base,
              task: 'inference' as const,
              model: task.model,
              preset: task.preset,
              engine,
              shape: clipShape(task.model, task.preset, 1),
              metric: 'latency_ms' as const,
              value: 5,
            })),
            profiles: [],
          },
        });
      }
      return Promise.resolve({
        result: {
          measurements: [
            {
              task: 'synthetic_generation' as const,
              engine: 'canvas',
              shape: [16, 32, 32, 3],
              metric: 'frames_per_second' as const,
              value: 300,
              samplesMs: [50],
            },
          ],
          profiles: [],
        },
      });
    },
  };
}

/** A stand-in PyTorch reference with the given parameter count (shapes of the stand-in tasks). */
function pytorchStandIn(numParameters: number): RunPerfOptions['runPytorch'] {
  return (o) =>
    Promise.resolve<PytorchReference>({
      model: o.model,
      preset: o.preset ?? 'tiny',
      torch: '0.0-test',
      threads: o.threads,
      numParameters,
      inputShape: [1, 16, 3, 8, 8],
      train: o.batches.map((batch) => ({ batch, msPerStep: [50 * batch] })),
      inference: { batch: 1, msPerClip: [10] },
      peakRssMiB: 250,
    });
}

describe('bench perf options', () => {
  it('defaults: the three base models, tiny, wasm and cpu, 3 repeats, batches 1 and 8, 1 and 2 threads, Debian python', () => {
    const c = resolvePerfConfig(DEFAULTS);
    expect(c.models).toEqual([...BASE_MODELS]);
    expect(c.presets).toEqual(['tiny']);
    expect(c.engines).toEqual(['wasm', 'cpu']);
    expect([c.repeats, c.warmups]).toEqual([3, 10]);
    expect(c.batches).toEqual([1, 8]);
    expect(c.python).toBe('/usr/bin/python3');
    expect(c.trainWorkers).toEqual([1, 2]);
    expect([c.paperBatches, c.paperRepeats]).toEqual([[2], 1]);
    expect(c.syntheticClips).toBe(20);
  });

  it('--quick lowers repeats, batches and clips unless given explicitly; --no-pytorch skips the reference', () => {
    const q = resolvePerfConfig({ ...DEFAULTS, quick: true, pytorch: false });
    expect([q.repeats, q.warmups, q.batches, q.trainWorkers, q.syntheticClips, q.python]).toEqual([
      1,
      1,
      [1],
      [1],
      3,
      false,
    ]);
    const r = resolvePerfConfig({ ...DEFAULTS, quick: true, repeats: 2, batches: '2,4' });
    expect([r.repeats, r.batches]).toEqual([2, [2, 4]]);
  });

  it('names the option on bad input', () => {
    expect(() => resolvePerfConfig({ ...DEFAULTS, models: 'former_dfer,resnet' })).toThrow(
      /--models: unknown model "resnet"/,
    );
    expect(() => resolvePerfConfig({ ...DEFAULTS, engines: 'wasm,gpu' })).toThrow(
      /--engines: "gpu" is not one of wasm, cpu/,
    );
    expect(() => resolvePerfConfig({ ...DEFAULTS, batches: '1,0' })).toThrow(
      /--batches: "0" is not a positive integer/,
    );
    expect(() => resolvePerfConfig({ ...DEFAULTS, presets: ' , ' })).toThrow(
      /--presets: expected a comma-separated list/,
    );
    expect(() => resolvePerfConfig({ ...DEFAULTS, trainWorkers: '1,512' })).toThrow(
      /--train-workers: 512 threads on a machine with \d+ core\(s\) would oversubscribe it/,
    );
  });

  it('commander parses the options and rejects a bad --repeats', async () => {
    const { runTask } = standIn();
    await expect(runCli(['--repeats', '0', '--no-pytorch'], { runTask })).rejects.toThrow(
      /--repeats must be a positive integer, got "0"/,
    );
  });
});

describe('bench perf with stand-in timings', () => {
  it('plans one task per model × engine, one inference per model and one generation; writes a valid file', async () => {
    const out = tempDir();
    const { tasks, runTask } = standIn();
    await runCli(['--out', out, '--no-pytorch'], { runTask });
    expect(
      tasks.map((t) =>
        t.kind === 'train_step'
          ? `${t.model}:${t.engine}:${t.batches.join('+')}:${t.repeats}${t.workers ? `:workers ${t.workers}` : ''}`
          : t.kind === 'inference'
            ? `${t.model}:inference`
            : t.kind,
      ),
    ).toEqual([
      'former_dfer:wasm:1+8:3',
      'former_dfer:wasm:8:3:workers 2',
      // the ceiling of train.workers 2: one process alone, then two together, batch 4 each
      'former_dfer:wasm:4:10',
      'former_dfer:wasm:4:10',
      'former_dfer:wasm:4:10',
      'former_dfer:cpu:1+8:3',
      'former_dfer:inference',
      'm3dfel:wasm:1+8:3',
      'm3dfel:wasm:8:3:workers 2',
      'm3dfel:wasm:4:10',
      'm3dfel:wasm:4:10',
      'm3dfel:wasm:4:10',
      'm3dfel:cpu:1+8:3',
      'm3dfel:inference',
      'mae_dfer:wasm:1+8:3',
      'mae_dfer:wasm:8:3:workers 2',
      'mae_dfer:wasm:4:10',
      'mae_dfer:wasm:4:10',
      'mae_dfer:wasm:4:10',
      'mae_dfer:cpu:1+8:3',
      'mae_dfer:inference',
      'synthetic_generation',
      'face_analysis',
    ]);
    const results = readBenchResults(join(out, 'results.json'));
    // the stand-in answers the face-analysis task with one generic record
    expect(results.perf).toHaveLength(3 * (2 * 2 + 1 + 2 + 2) + 1 + 1);
    // the two processes of a ceiling time the same interval; the lone one does not wait
    // every tiny task warms up 10 times (the default)
    expect(
      tasks.filter((t) => t.kind === 'train_step' || t.kind === 'inference').map((t) => t.warmups),
    ).toEqual(new Array(3 * 7).fill(10));
    const ceilingTasks = tasks.filter((t) => t.kind === 'train_step' && t.batches[0] === 4);
    expect(ceilingTasks.map((t) => t.kind === 'train_step' && t.startAt !== undefined)).toEqual([
      false,
      true,
      true,
      false,
      true,
      true,
      false,
      true,
      true,
    ]);
    const ceiling = results.perf.find((p) => p.task === 'parallel_ceiling' && p.model === 'm3dfel')!;
    // stand-in: 40 clips/s per process of 4 clips → 80 together, at the shape of batch 8, 2 threads
    expect([ceiling.value, ceiling.shape?.[0], ceiling.threads]).toEqual([80, 8, 2]);
    expect(results.perfEnvironment?.['pytorch']).toBe('not run (--no-pytorch)');
    // Without a reference: the two-thread speed-up (1.6× < 1.7×, missed) and the memory targets (200 MiB of 2048).
    expect(results.perfTargets.map((t) => [t.name, t.met])).toEqual([
      ...BASE_MODELS.map((m) => [
        `${m}/tiny train step, batch 8: train.workers 2 vs 1 thread, speed-up ≥ 1.7×`,
        false,
      ]),
      ...BASE_MODELS.map((m) => [`${m}/tiny training peak memory`, true]),
    ]);
    const speedup = results.perfTargets[0]!;
    expect(speedup.ratio).toBeCloseTo(1 / 1.6, 12);
    expect(speedup.note).toMatch(/missed: speed-up 1\.60× < 1\.7×/);
    // the one-thread step does 80 clips/s at batch 8, the two processes together 80 → ceiling 1.00×
    expect(speedup.note).toMatch(/this machine's ceiling: 1\.00× \(2 independent processes of 4 clips each/);
    expect(results.perfProfile).toEqual([]);
  });

  it('compares with PyTorch, publishes the profile of a missed target, and keeps existing runs', async () => {
    const out = tempDir();
    copyFileSync(FIXTURE_PATH, join(out, 'results.json'));
    const { runTask } = standIn();
    const pytorchWarmups: Array<number | undefined> = [];
    const reference = pytorchStandIn(1000)!;
    await runCli(['--out', out, '--models', 'former_dfer', '--engines', 'wasm', '--python', '/x/python'], {
      runTask,
      checkPytorch: () => Promise.resolve(undefined),
      runPytorch: (o) => {
        pytorchWarmups.push(o.warmups);
        return reference(o);
      },
    });
    expect(pytorchWarmups).toEqual([10, 10]); // the same warm-ups as the tfjs side, 1 and 2 threads
    const results = readBenchResults(join(out, 'results.json'));
    expect(results.runs).toHaveLength(4); // the fixture's runs are kept
    const t = results.perfTargets.find(
      (x) => x.name === 'former_dfer/tiny train step, batch 1: tfjs-wasm vs PyTorch CPU',
    );
    // ours 10 clips/s = 100 ms; PyTorch 50 ms per clip → 2×, missed
    expect(t?.ratio).toBeCloseTo(2, 12);
    expect(t?.met).toBe(false);
    const t8 = results.perfTargets.find(
      (x) => x.name === 'former_dfer/tiny train step, batch 8: tfjs-wasm vs PyTorch CPU',
    );
    // ours 80 clips/s = 12.5 ms per clip; PyTorch 400 ms per step of 8 = 50 ms per clip → 0.25×, met
    expect(t8?.ratio).toBeCloseTo(0.25, 12);
    expect(t8?.met).toBe(true);
    // Two threads against PyTorch with two threads: ours 128 clips/s = 7.8125 ms per clip; PyTorch 50 → 0.15625×
    const t2 = results.perfTargets.find(
      (x) =>
        x.name ===
        'former_dfer/tiny train step, batch 8, 2 threads: tfjs-wasm train.workers 2 vs PyTorch CPU 2 threads',
    );
    expect(t2?.ratio).toBeCloseTo(0.15625, 12);
    expect(t2?.met).toBe(true);
    expect(results.perf.filter((p) => p.engine === 'pytorch-cpu').map((p) => p.threads)).toEqual([
      1, 1, 1, 2, 2,
    ]);
    expect(results.perfProfile.map((l) => l.kernel)).toContain('Conv2D ×2');
    expect(results.perfEnvironment?.['pytorch']).toBe('torch 0.0-test via /x/python, 1 and 2 thread(s)');
  });

  it('paper presets: batch 2, wasm only, ratio without a target, 3 GB memory target; a failed task is listed, not fatal', async () => {
    const out = tempDir();
    const { tasks, runTask } = standIn();
    const failing = (task: PerfTask): Promise<PerfTaskOutcome> =>
      task.kind === 'train_step' && task.workers === 2
        ? Promise.reject(new Error('child exited with code 1: RuntimeError: Aborted()'))
        : runTask(task);
    await expect(
      runCli(['--out', out, '--models', 'former_dfer', '--presets', 'paper', '--python', '/x/python'], {
        runTask: failing,
        checkPytorch: () => Promise.resolve(undefined),
        runPytorch: pytorchStandIn(1000),
      }),
    ).resolves.toBeUndefined();
    process.exitCode = undefined; // the failed task set it
    expect(
      tasks.map((t) =>
        t.kind === 'train_step' ? `${t.engine}:${t.batches.join('+')}:${t.repeats}` : t.kind,
      ),
    ).toEqual(['wasm:2:1', 'inference', 'synthetic_generation', 'face_analysis']);
    // paper presets warm up once (a step takes seconds)
    expect(
      tasks.flatMap((t) => (t.kind === 'train_step' || t.kind === 'inference' ? [t.warmups] : [])),
    ).toEqual([1, 1]);
    const results = readBenchResults(join(out, 'results.json'));
    expect(results.perfEnvironment?.['notTimed']).toMatch(/former_dfer\/paper on tfjs-cpu/);
    // ours 20 clips/s = 50 ms per clip; PyTorch 100 ms per step of 2 = 50 ms per clip → 1.00×, no target
    expect(results.perfEnvironment?.['paperRatios']).toMatch(
      /former_dfer\/paper train step, batch 2: tfjs-wasm vs PyTorch CPU: 1\.00× .*no target yet/,
    );
    expect(results.perfTargets.map((t) => t.name)).toEqual([
      'former_dfer/paper inference, batch 1: onnxruntime vs PyTorch CPU',
      'former_dfer/paper training peak memory',
    ]);
    expect(results.perfTargets[1]!.reference).toBe('3072 MiB limit');
    expect(results.perfEnvironment?.['failedTasks']).toMatch(
      /former_dfer\/paper train step on tfjs-wasm with train\.workers 2, batch 2: child exited with code 1: RuntimeError: Aborted\(\)/,
    );
    const report = readFileSync(join(out, 'report.md'), 'utf8');
    expect(report).toMatch(
      /### Failed tasks \(no timing; why\)\n\n- former_dfer\/paper train step on tfjs-wasm with train\.workers 2/,
    );
  });

  it('refuses the ratios when the PyTorch parameter count differs, and records why', async () => {
    const out = tempDir();
    const { runTask } = standIn();
    await runCli(['--out', out, '--models', 'former_dfer', '--engines', 'wasm', '--quick'], {
      runTask,
      checkPytorch: () => Promise.resolve(undefined),
      runPytorch: pytorchStandIn(999),
    });
    const results = readBenchResults(join(out, 'results.json'));
    expect(results.perfTargets.map((t) => t.name)).toEqual(['former_dfer/tiny training peak memory']);
    expect(results.perfEnvironment?.['refusedRatios']).toMatch(/1000 parameters in tfjs, 999 in PyTorch/);
    expect(results.perfProfile).toEqual([]);
  });

  it('records that PyTorch was unavailable when the interpreter cannot import torch', async () => {
    const out = tempDir();
    const { runTask } = standIn();
    await runCli(['--out', out, '--models', 'former_dfer', '--engines', 'wasm', '--quick'], {
      runTask,
      checkPytorch: () => Promise.resolve("ModuleNotFoundError: No module named 'torch'"),
    });
    const results = readBenchResults(join(out, 'results.json'));
    expect(results.perfEnvironment?.['pytorch']).toMatch(/cannot import torch \(ModuleNotFoundError/);
    expect(results.perf.every((p) => p.engine !== 'pytorch-cpu')).toBe(true);
  });
});

describe('bench perf --quick --models former_dfer --engines wasm (real timings, in-process)', () => {
  it('writes a valid results.json with training, inference and generation records', async () => {
    const out = tempDir();
    const torch = (await checkPytorch(DEFAULT_PYTHON)) === undefined;
    await expectNoTensorLeak(() =>
      runCli(
        ['--out', out, '--quick', '--models', 'former_dfer', '--engines', 'wasm', '--no-face-analysis'],
        {
          runTask: runPerfTaskInProcess,
        },
      ),
    );
    const results = readBenchResults(join(out, 'results.json'));
    const keys = results.perf.map((p) => `${p.task}:${p.engine}:${p.metric}`).sort();
    expect(keys).toEqual(
      [
        'inference:onnxruntime:latency_ms',
        'inference:tfjs-wasm:latency_ms',
        'synthetic_generation:canvas:clips_per_second',
        'synthetic_generation:canvas:frames_per_second',
        'train_step:tfjs-wasm:clips_per_second',
        ...(torch ? ['inference:pytorch-cpu:latency_ms', 'train_step:pytorch-cpu:clips_per_second'] : []),
      ].sort(),
    );
    const train = results.perf.find((p) => p.task === 'train_step' && p.engine === 'tfjs-wasm')!;
    expect(train.shape).toEqual([1, 16, 32, 32, 3]);
    expect(train.numParameters).toBe(155_055);
    expect(train.value).toBeGreaterThan(0);
    if (torch) {
      // Same architecture in PyTorch: the parameter counts agree, so the ratios are reported.
      expect(results.perf.find((p) => p.engine === 'pytorch-cpu')?.numParameters).toBe(155_055);
      expect(results.perfTargets.map((t) => t.name).sort()).toEqual([
        'former_dfer/tiny inference, batch 1: onnxruntime vs PyTorch CPU',
        'former_dfer/tiny train step, batch 1: tfjs-wasm vs PyTorch CPU',
      ]);
    }
  }, 120_000);
});
