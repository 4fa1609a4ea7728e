import {
  computePerfTargets,
  describeTarget,
  median,
  msPerClip,
  OUTSIDE_KERNELS,
  PHASE_NAMES,
  perfRecordSchema,
  perfTargetSchema,
  profileLines,
  profilesForMissedTargets,
  type PerfRecord,
  type StepProfile,
} from '../src';

/** A perf record with the fields the targets read; the rest filled plainly. */
function rec(p: Partial<PerfRecord> & Pick<PerfRecord, 'task' | 'engine' | 'metric' | 'value'>): PerfRecord {
  return perfRecordSchema.parse({ model: 'm', preset: 'tiny', shape: [1, 16, 8, 8, 3], repeats: 3, ...p });
}

describe('perf targets (hand numbers)', () => {
  it('median takes the middle (lower middle for an even count)', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2);
    expect(() => median([])).toThrow(RangeError);
  });

  it('msPerClip converts throughput and latency to ms per clip', () => {
    expect(msPerClip({ metric: 'clips_per_second', value: 4 })).toBe(250);
    expect(msPerClip({ metric: 'latency_ms', value: 7 })).toBe(7);
    expect(() => msPerClip({ metric: 'frames_per_second', value: 7 })).toThrow(/not a time per clip/);
  });

  it('describeTarget says met, or missed by ratio ÷ target', () => {
    expect(describeTarget(1.2, 1.5)).toBe('met: 1.20× ≤ 1.5×');
    expect(describeTarget(3, 1.5)).toBe(
      'missed by 2.00×: ratio 3.00× > target 1.5× (needs a 2.00× speed-up)',
    );
    expect(describeTarget(1.25, 1, 'memory')).toBe(
      'missed by 1.25×: ratio 1.25× > target 1× (needs 1.25× less memory)',
    );
  });

  it('pairs by thread count; the two-thread speed-up; paper: ratio without a target, 3 GB memory', () => {
    const b8 = [8, 16, 8, 8, 3];
    const train = (engine: string, value: number, threads: number, extra: Partial<PerfRecord> = {}) =>
      rec({
        task: 'train_step',
        engine,
        metric: 'clips_per_second',
        value,
        numParameters: 10,
        threads,
        shape: b8,
        ...extra,
      });
    const { targets, untargeted } = computePerfTargets([
      train('tfjs-wasm', 8, 1, { peakRssMiB: 100 }), // 125 ms per clip
      train('tfjs-wasm', 12, 2, { peakRssMiB: 150 }), // 83.3 ms per clip: speed-up 1.5× (< 1.7, missed)
      train('pytorch-cpu', 10, 1), // 100 ms per clip → ours 1.25× (met)
      train('pytorch-cpu', 40, 2), // 25 ms per clip → ours two threads 3.33× (missed); not paired with one thread
      train('tfjs-wasm', 0.1, 1, { preset: 'paper', shape: [2, 16, 8, 8, 3], peakRssMiB: 3500 }),
      train('pytorch-cpu', 0.5, 1, { preset: 'paper', shape: [2, 16, 8, 8, 3] }),
    ]);
    const byName = Object.fromEntries(targets.map((t) => [t.name, t]));
    expect(byName['m/tiny train step, batch 8: tfjs-wasm vs PyTorch CPU']?.ratio).toBeCloseTo(1.25, 12);
    expect(
      byName['m/tiny train step, batch 8, 2 threads: tfjs-wasm train.workers 2 vs PyTorch CPU 2 threads']
        ?.ratio,
    ).toBeCloseTo(1000 / 12 / (1000 / 40), 12);
    const speedup = byName['m/tiny train step, batch 8: train.workers 2 vs 1 thread, speed-up ≥ 1.7×']!;
    expect([speedup.ratio, speedup.target, speedup.met]).toEqual([8 / 12, 0.588, false]);
    expect(speedup.note).toMatch(/missed: speed-up 1\.50× < 1\.7× \(needs 1\.13× more/);
    // paper: no training target, a listed ratio (ours 10 s per clip, PyTorch 2 s → 5×); memory 3500 of 3072
    expect(targets.some((t) => t.name.startsWith('m/paper train step'))).toBe(false);
    expect(untargeted).toEqual([
      expect.stringMatching(
        /^m\/paper train step, batch 2: tfjs-wasm vs PyTorch CPU: 5\.00× .*no target yet\)$/,
      ),
    ]);
    const paperMemory = byName['m/paper training peak memory']!;
    expect([paperMemory.reference, paperMemory.ratio, paperMemory.met]).toEqual([
      '3072 MiB limit',
      3500 / 3072,
      false,
    ]);
    // tiny memory: the highest of the training processes, the two-thread one included
    expect(byName['m/tiny training peak memory']?.ratio).toBeCloseTo(150 / 2048, 12);
  });

  it('pairs wasm training, onnxruntime inference and memory with their targets', () => {
    const b8 = [8, 16, 8, 8, 3];
    const records = [
      // batch 1: ours 2 clips/s = 500 ms, PyTorch 5 clips/s = 200 ms → 2.5× (target 1.5: missed by 1.667×)
      rec({
        task: 'train_step',
        engine: 'tfjs-wasm',
        metric: 'clips_per_second',
        value: 2,
        numParameters: 10,
        peakRssMiB: 300,
      }),
      rec({
        task: 'train_step',
        engine: 'pytorch-cpu',
        metric: 'clips_per_second',
        value: 5,
        numParameters: 10,
      }),
      // batch 8: ours 8 clips/s = 125 ms/clip, PyTorch 10 clips/s = 100 ms/clip → 1.25× (met)
      rec({
        task: 'train_step',
        engine: 'tfjs-wasm',
        metric: 'clips_per_second',
        value: 8,
        shape: b8,
        numParameters: 10,
        peakRssMiB: 400,
      }),
      rec({
        task: 'train_step',
        engine: 'pytorch-cpu',
        metric: 'clips_per_second',
        value: 10,
        shape: b8,
        numParameters: 10,
      }),
      // cpu training has no target of its own but its peak counts for memory: 2560 MiB / 2048 = 1.25 (missed)
      rec({
        task: 'train_step',
        engine: 'tfjs-cpu',
        metric: 'clips_per_second',
        value: 1,
        numParameters: 10,
        peakRssMiB: 2560,
      }),
      // inference: 3 ms vs 4 ms → 0.75× (met); tfjs-wasm inference is not compared
      rec({ task: 'inference', engine: 'onnxruntime', metric: 'latency_ms', value: 3, numParameters: 10 }),
      rec({ task: 'inference', engine: 'tfjs-wasm', metric: 'latency_ms', value: 30, numParameters: 10 }),
      rec({ task: 'inference', engine: 'pytorch-cpu', metric: 'latency_ms', value: 4, numParameters: 10 }),
    ];
    const { targets, refused } = computePerfTargets(records);
    expect(refused).toEqual([]);
    for (const t of targets) perfTargetSchema.parse(t);
    const byName = Object.fromEntries(targets.map((t) => [t.name, t]));
    expect(Object.keys(byName).sort()).toEqual([
      'm/tiny inference, batch 1: onnxruntime vs PyTorch CPU',
      'm/tiny train step, batch 1: tfjs-wasm vs PyTorch CPU',
      'm/tiny train step, batch 8: tfjs-wasm vs PyTorch CPU',
      'm/tiny training peak memory',
    ]);
    const t1 = byName['m/tiny train step, batch 1: tfjs-wasm vs PyTorch CPU']!;
    expect(t1.ratio).toBeCloseTo(2.5, 12);
    expect(t1.target).toBe(1.5);
    expect(t1.met).toBe(false);
    expect(t1.note).toMatch(/^missed by 1\.67×/);
    expect(t1.ours).toBe('tfjs-wasm 500 ms/step (2.00 clips/s)');
    const t8 = byName['m/tiny train step, batch 8: tfjs-wasm vs PyTorch CPU']!;
    expect(t8.ratio).toBeCloseTo(1.25, 12);
    expect(t8.met).toBe(true);
    expect(t8.ours).toBe('tfjs-wasm 1000 ms/step (8.00 clips/s)');
    const inf = byName['m/tiny inference, batch 1: onnxruntime vs PyTorch CPU']!;
    expect(inf.ratio).toBeCloseTo(0.75, 12);
    expect(inf.target).toBe(1);
    expect(inf.met).toBe(true);
    const mem = byName['m/tiny training peak memory']!;
    expect(mem.ratio).toBeCloseTo(1.25, 12);
    expect(mem.met).toBe(false);
    expect(mem.ours).toMatch(/^2560 MiB peak RSS \(tfjs-cpu training process/);
  });

  it('refuses a ratio when the parameter counts differ or one is missing, and skips absent references', () => {
    const { targets, refused } = computePerfTargets([
      rec({
        task: 'train_step',
        engine: 'tfjs-wasm',
        metric: 'clips_per_second',
        value: 2,
        numParameters: 10,
      }),
      rec({
        task: 'train_step',
        engine: 'pytorch-cpu',
        metric: 'clips_per_second',
        value: 5,
        numParameters: 11,
      }),
      rec({ task: 'inference', engine: 'onnxruntime', metric: 'latency_ms', value: 3 }),
      rec({ task: 'inference', engine: 'pytorch-cpu', metric: 'latency_ms', value: 4, numParameters: 10 }),
      rec({
        task: 'inference',
        model: 'other',
        engine: 'onnxruntime',
        metric: 'latency_ms',
        value: 3,
        numParameters: 1,
      }),
    ]);
    expect(targets).toEqual([]);
    expect(refused).toHaveLength(2);
    expect(refused[0]).toMatch(
      /not the same architecture — 10 parameters in tfjs, 11 in PyTorch; no ratio reported/,
    );
    expect(refused[1]).toMatch(/a parameter count is missing/);
  });

  it('profile lines: top kernels, the rest, all kernels with the op count, time outside kernels and the two phases', () => {
    const profile: StepProfile = {
      model: 'm',
      preset: 'tiny',
      engine: 'tfjs-wasm',
      batch: 1,
      wallMs: 100,
      kernels: [
        { kernel: 'A', ms: 60, calls: 2 },
        { kernel: 'B', ms: 30, calls: 1 },
        { kernel: 'C', ms: 5, calls: 4 },
      ],
      phases: { stepMs: 80, gradientsMs: 60, updateMs: 20 },
    };
    const lines = profileLines(profile, 2);
    const scope = 'm/tiny train step tfjs-wasm batch 1';
    expect(lines).toEqual([
      { scope, kernel: 'A ×2', ms: 60, share: 0.6 },
      { scope, kernel: 'B ×1', ms: 30, share: 0.3 },
      { scope, kernel: '(other 1 kernels)', ms: 5, share: 0.05 },
      { scope, kernel: '(all kernels: 7 calls per step)', ms: 95, share: 0.95 },
      { scope, kernel: OUTSIDE_KERNELS, ms: 5, share: 0.05 },
      { scope: `${scope}, phases`, kernel: PHASE_NAMES.gradients, ms: 60, share: 0.75 },
      { scope: `${scope}, phases`, kernel: PHASE_NAMES.update, ms: 20, share: 0.25 },
    ]);
    const missed = computePerfTargets([
      rec({
        task: 'train_step',
        engine: 'tfjs-wasm',
        metric: 'clips_per_second',
        value: 2,
        numParameters: 10,
      }),
      rec({
        task: 'train_step',
        engine: 'pytorch-cpu',
        metric: 'clips_per_second',
        value: 5,
        numParameters: 10,
      }),
    ]).targets;
    expect(profilesForMissedTargets(missed, [profile])).toEqual([profile]);
    expect(profilesForMissedTargets(missed, [{ ...profile, model: 'other' }])).toEqual([]);
    const met = missed.map((t) => ({ ...t, met: true }));
    expect(profilesForMissedTargets(met, [profile])).toEqual([]);
  });
});
