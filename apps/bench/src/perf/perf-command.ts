import { availableParallelism } from 'node:os';
import { type Command, InvalidArgumentError } from 'commander';
import { listModels } from '@dfer/backbones';
import { BASE_MODELS } from '../matrix/profiles';
import { DEFAULT_PYTHON } from './pytorch';
import { defaultFaceVideo } from './face-analysis';
import { runPerf, type PerfRunConfig, type RunPerfOptions } from './run-perf';

/** Raw options of `bench perf` as commander parses them. */
export interface PerfCommandOptions {
  readonly out: string;
  readonly models: string;
  readonly presets: string;
  readonly engines: string;
  readonly repeats?: number;
  readonly warmups?: number;
  readonly batches?: string;
  readonly paperBatches?: string;
  readonly paperRepeats?: number;
  /** `--train-workers`, comma-separated (default "1,2"). */
  readonly trainWorkers?: string;
  readonly quick?: boolean;
  readonly python: string;
  /** `false` with `--no-pytorch`. */
  readonly pytorch: boolean;
  /** `--face-video <file>`: the video of the face-analysis timing (default: the shared `single_face.mp4`). */
  readonly faceVideo?: string;
  /** `false` with `--no-face-analysis`. */
  readonly faceAnalysis?: boolean;
}

function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1)
      throw new InvalidArgumentError(`${name} must be a positive integer, got "${value}"`);
    return n;
  };
}

function list(name: string, value: string): string[] {
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0)
    throw new InvalidArgumentError(`${name}: expected a comma-separated list, got "${value}"`);
  return items;
}

function positiveList(name: string, value: string): number[] {
  return list(name, value).map((b) => {
    const n = Number(b);
    if (!Number.isInteger(n) || n < 1)
      throw new InvalidArgumentError(`${name}: "${b}" is not a positive integer`);
    return n;
  });
}

/**
 * Resolve the `bench perf` options into a run config. `--quick` means 1 repeat, batch 1 only, train.workers
 * 1 only and 3 synthetic clips, unless `--repeats` / `--batches` / `--train-workers` are given explicitly;
 * without it: 3 repeats (or `--repeats`) after 10 warm-ups (or `--warmups`), batches 1 and 8, train.workers 1
 * and 2, 20 synthetic clips. The `paper` presets use `--paper-batches` (default 2) and `--paper-repeats`
 * (default 1) after one warm-up. Throws an
 * `InvalidArgumentError` naming the option on bad input (unknown model or engine, non-integer batch, more
 * train.workers than cores).
 */
export function resolvePerfConfig(opts: PerfCommandOptions): PerfRunConfig {
  const known = listModels();
  const models = list('--models', opts.models);
  for (const m of models) {
    if (!known.includes(m))
      throw new InvalidArgumentError(`--models: unknown model "${m}" (known: ${known.join(', ')})`);
  }
  const engines = list('--engines', opts.engines).map((e) => {
    if (e !== 'wasm' && e !== 'cpu')
      throw new InvalidArgumentError(`--engines: "${e}" is not one of wasm, cpu`);
    return e;
  });
  const batches = positiveList('--batches', opts.batches ?? (opts.quick ? '1' : '1,8'));
  const paperBatches = positiveList('--paper-batches', opts.paperBatches ?? '2');
  const trainWorkers = positiveList('--train-workers', opts.trainWorkers ?? (opts.quick ? '1' : '1,2'));
  const cores = availableParallelism();
  for (const w of trainWorkers) {
    if (w > cores)
      throw new InvalidArgumentError(
        `--train-workers: ${w} threads on a machine with ${cores} core(s) would oversubscribe it (at most ${cores})`,
      );
  }
  return {
    outDir: opts.out,
    models,
    presets: list('--presets', opts.presets),
    engines,
    repeats: opts.repeats ?? (opts.quick ? 1 : 3),
    warmups: opts.warmups ?? (opts.quick ? 1 : 10),
    batches,
    paperBatches,
    paperRepeats: opts.paperRepeats ?? 1,
    trainWorkers,
    python: opts.pytorch ? opts.python : false,
    syntheticClips: opts.quick ? 3 : 20,
    faceVideo: opts.faceAnalysis === false ? false : (opts.faceVideo ?? defaultFaceVideo()),
  };
}

/** Add the `perf` subcommand to the `bench` program; `runOptions` lets tests inject task runners. */
export function addPerfCommand(program: Command, runOptions: RunPerfOptions = {}): Command {
  program
    .command('perf')
    .description(
      'time training steps (tfjs wasm/cpu), inference (tfjs vs onnxruntime), synthetic generation, face analysis (frames per second) and peak memory, with a PyTorch CPU reference; merge into results.json',
    )
    .option('--out <dir>', 'output folder (same as bench run)', 'bench-results')
    .option('--models <list>', 'comma-separated models', BASE_MODELS.join(','))
    .option('--presets <list>', 'comma-separated presets (tiny, paper)', 'tiny')
    .option('--engines <list>', 'tfjs backends of the training step (wasm, cpu)', 'wasm,cpu')
    .option(
      '--repeats <n>',
      'timed repeats after the warm-ups (default 3; 1 with --quick)',
      positiveInt('--repeats'),
    )
    .option(
      '--warmups <n>',
      'untimed runs before the timed repeats, every preset but paper (default 10: V8 and the wasm tiers settle in about 10 steps; 1 with --quick; paper: 1)',
      positiveInt('--warmups'),
    )
    .option('--batches <list>', 'training batch sizes (default 1,8; 1 with --quick)')
    .option('--paper-batches <list>', 'training batch sizes of the paper presets (default 2)')
    .option(
      '--paper-repeats <n>',
      'timed repeats of the paper presets after one warm-up (default 1)',
      positiveInt('--paper-repeats'),
    )
    .option(
      '--train-workers <list>',
      'thread counts of the tfjs-wasm training step (train.workers: 1 = one thread, 2 = data-parallel on two) and of the PyTorch reference (torch.set_num_threads); default 1,2 (1 with --quick)',
    )
    .option(
      '--quick',
      'fewer repeats, batch 1 only, one thread, fewer synthetic clips (for tests and smoke runs)',
    )
    .option('--python <path>', 'interpreter with torch for the PyTorch reference', DEFAULT_PYTHON)
    .option('--no-pytorch', 'skip the PyTorch reference (recorded as not run)')
    .option(
      '--face-video <file>',
      'video of the face-analysis frame rate (@dfer/faces analyzeVideo; default ../shared/data/media/single_face.mp4)',
    )
    .option('--no-face-analysis', 'skip the face-analysis frame rate')
    .action(async (opts: PerfCommandOptions) => {
      const config = resolvePerfConfig(opts);
      const t0 = performance.now();
      const summary = await runPerf(config, runOptions);
      const minutes = (performance.now() - t0) / 60000;
      const met = summary.results.perfTargets.filter((t) => t.met).length;
      process.stdout.write(
        `bench perf: ${summary.perf.length} timing(s) in ${minutes.toFixed(1)} min; targets: ${met} met, ${summary.results.perfTargets.length - met} missed` +
          `${summary.pytorchUnavailable ? `; PyTorch reference: ${summary.pytorchUnavailable}` : ''}` +
          `${summary.refused.length ? `; ${summary.refused.length} ratio(s) refused` : ''}` +
          `${summary.failed.length ? `; ${summary.failed.length} task(s) FAILED` : ''}\n` +
          `  results:   ${summary.paths.results}\n  report:    ${summary.paths.report}\n  dashboard: ${summary.paths.dashboard}\n`,
      );
      if (summary.failed.length) process.exitCode = 1;
    });
  return program;
}
