import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { median, type PerfMeasurement } from './measure';
import { PERF_ENGINES } from './targets';

/**
 * The PyTorch CPU reference of `bench perf`: `apps/bench/python/perf_reference.py`, run by an explicit
 * interpreter (default Debian's `/usr/bin/python3`, which has python3-torch; the pyenv `python3` on PATH
 * has no torch), once per model × preset × thread count so that each gets its own process.
 */

/** Default interpreter of the PyTorch reference. */
export const DEFAULT_PYTHON = '/usr/bin/python3';

/** Path of the reference script (from `src/perf` or `dist/perf`). */
export const PERF_REFERENCE_SCRIPT = join(__dirname, '..', '..', 'python', 'perf_reference.py');

/** What `perf_reference.py` prints. */
export const pytorchReferenceSchema = z.strictObject({
  model: z.string().min(1),
  preset: z.string().min(1),
  torch: z.string().min(1),
  threads: z.number().int().min(1),
  numParameters: z.number().int().min(0),
  /** PyTorch layout of the model's input, batch 1. */
  inputShape: z.array(z.number().int().min(1)),
  train: z.array(
    z.strictObject({ batch: z.number().int().min(1), msPerStep: z.array(z.number().min(0)).min(1) }),
  ),
  inference: z.strictObject({ batch: z.number().int().min(1), msPerClip: z.array(z.number().min(0)).min(1) }),
  peakRssMiB: z.number().min(0),
});

export type PytorchReference = z.output<typeof pytorchReferenceSchema>;

/** Per-call options of {@link runPytorchReference}. */
export interface PytorchReferenceOptions {
  readonly python: string;
  readonly model: string;
  /** `tiny` or `paper` (default `tiny`). */
  readonly preset?: string;
  readonly batches: readonly number[];
  readonly repeats: number;
  readonly threads: number;
  /** Untimed runs before the timed repeats (default 1). */
  readonly warmups?: number;
  /** Kill the interpreter after this many ms (default 20 minutes). */
  readonly timeoutMs?: number;
}

function run(
  file: string,
  args: readonly string[],
  timeoutMs: number,
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    execFile(file, [...args], { timeout: timeoutMs, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      if (error) {
        reject(
          new Error(
            `${file} ${args.join(' ')} failed: ${error.message}${stderr ? `\n${stderr.trim()}` : ''}`,
          ),
        );
      } else {
        resolvePromise({ stdout, stderr });
      }
    });
  });
}

/**
 * Whether `python` can import torch: `undefined` when it can, else why not (one line). Never throws.
 */
export async function checkPytorch(python: string): Promise<string | undefined> {
  try {
    await run(python, ['-c', 'import torch'], 120_000);
    return undefined;
  } catch (error) {
    const text = (error as Error).message.split('\n');
    return text[text.length - 1] ?? text[0];
  }
}

/** Run `perf_reference.py` for one model and validate what it prints. */
export async function runPytorchReference(options: PytorchReferenceOptions): Promise<PytorchReference> {
  if (!existsSync(PERF_REFERENCE_SCRIPT)) {
    throw new Error(`the PyTorch reference script ${PERF_REFERENCE_SCRIPT} is missing`);
  }
  const { stdout } = await run(
    options.python,
    [
      PERF_REFERENCE_SCRIPT,
      '--model',
      options.model,
      '--preset',
      options.preset ?? 'tiny',
      '--batches',
      options.batches.join(','),
      '--repeats',
      String(options.repeats),
      '--threads',
      String(options.threads),
      '--warmups',
      String(options.warmups ?? 1),
    ],
    options.timeoutMs ?? 20 * 60_000,
  );
  const line = stdout.trim().split('\n').pop() ?? '';
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    throw new Error(
      `perf_reference.py --model ${options.model}: last line of its output is not JSON: ${line.slice(0, 200)}`,
    );
  }
  const parsed = pytorchReferenceSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(
      `perf_reference.py --model ${options.model}: unexpected output: ${parsed.error.issues
        .map((i) => `${i.path.join('.')}: ${i.message}`)
        .join('; ')}`,
    );
  }
  return parsed.data;
}

/**
 * Turn a PyTorch reference into measurements comparable with ours: `shape` is given in the tfjs layout
 * `[N, T, H, W, C]` of the same clip (`tfjsShapeOfBatch1` with the batch replaced), PyTorch's own layout is
 * named in the note.
 */
export function pytorchMeasurements(
  ref: PytorchReference,
  tfjsShapeOfBatch1: readonly number[],
): PerfMeasurement[] {
  const withBatch = (b: number): number[] => [b, ...tfjsShapeOfBatch1.slice(1)];
  const layout = `PyTorch input [${ref.inputShape.slice(1).join(', ')}] per clip`;
  const out: PerfMeasurement[] = ref.train.map((t) => ({
    task: 'train_step',
    model: ref.model,
    preset: ref.preset,
    engine: PERF_ENGINES.pytorch,
    shape: withBatch(t.batch),
    metric: 'clips_per_second',
    value: (t.batch * 1000) / median(t.msPerStep),
    samplesMs: t.msPerStep,
    numParameters: ref.numParameters,
    threads: ref.threads,
    note: `torch ${ref.torch}, ${ref.threads} thread(s); forward + cross-entropy + backward + AdamW (wd 0.05); ${layout}`,
  }));
  out.push({
    task: 'inference',
    model: ref.model,
    preset: ref.preset,
    engine: PERF_ENGINES.pytorch,
    shape: withBatch(ref.inference.batch),
    metric: 'latency_ms',
    value: median(ref.inference.msPerClip),
    samplesMs: ref.inference.msPerClip,
    numParameters: ref.numParameters,
    threads: ref.threads,
    note: `torch ${ref.torch}, ${ref.threads} thread(s); eval-mode forward under no_grad; ${layout}`,
  });
  return out;
}
