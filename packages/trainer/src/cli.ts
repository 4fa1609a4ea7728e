#!/usr/bin/env node
/**
 * The `dfer` command line:
 *
 *   dfer train <config.json> [--set path=value ...] [--out dir] [--resume] [--dry-run] [--data-dir dir]
 *   dfer eval <fold-dir> [--weights best|latest]
 *   dfer export-onnx <fold-dir> --out model.onnx [--weights best|latest]
 *   dfer configs            list the shipped configs
 *   dfer analyze <video-or-image> --out <dir> [--model m.onnx] [--expression prior|fer|model] [--every N]
 *   dfer prepare <video or folder...> --out <dir> [--size 112] [--every N] [--aus <dir>]
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { SingleBar } from 'cli-progress';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { loadConfigFile, SHIPPED_CONFIG_DIR } from './config/config-file';
import { applyOverrides } from './config/merge';
import { ConfigError } from './config/schema';
import { initEngine } from '@dfer/runtime';
import { runAuDetectionExperiment } from './au-detection/run-au-detection';
import { runExperiment } from './experiment/run-experiment';
import type { StepInfo } from './loop/fold-runner';
import { formatSummaryTable } from './experiment/summary-table';
import { evaluateRun, exportRunToOnnx } from './experiment/run-artifacts';
import { describeAnalysis, runAnalyzeCommand } from './analyze-command';
import { describePrepareOutcome, runPrepareCommand, summarisePrepare } from './prepare-command';
import { describePlan, planExperiment } from './experiment/plan-experiment';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function progressReporter(): { onStep?: (s: StepInfo) => void; stop: () => void } {
  const interactive = process.stderr.isTTY === true && !process.env.CI;
  if (!interactive) return { stop: () => undefined };
  const bar = new SingleBar({
    format: 'fold {fold} epoch {epoch}/{epochs} [{bar}] {value}/{total} steps | loss {loss}',
    stream: process.stderr,
    clearOnComplete: true,
  });
  let started = false;
  return {
    onStep: (s) => {
      const payload = { fold: s.fold, epoch: s.epoch + 1, epochs: s.epochs, loss: s.loss.toFixed(4) };
      if (!started || s.step === 1) {
        if (started) bar.stop();
        bar.start(s.steps, 0, payload);
        started = true;
      }
      bar.update(s.step, payload);
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}

function listConfigs(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('_')) continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listConfigs(full));
    else if (entry.name.endsWith('.json')) out.push(full);
  }
  return out.sort();
}

/** Options of `dfer train`. */
interface TrainCliOptions {
  set: string[];
  out?: string;
  resume: boolean;
  configRoot?: string;
  dryRun: boolean;
  dataDir?: string;
}

/** An AU-detection config (`runAuDetectionExperiment`) has a `task`; an expression experiment has none. */
function isAuDetectionConfig(config: Record<string, unknown>): boolean {
  return 'task' in config;
}

/** `dfer train` of an AU-detection config: every seed × fold on the shared loop, then the F1 summary. */
async function trainAuDetection(
  config: Record<string, unknown>,
  opts: TrainCliOptions,
  outputDir: string,
  report: (line: string) => void,
  onStep: ((info: StepInfo) => void) | undefined,
): Promise<void> {
  await initEngine({ backend: 'auto' });
  const result = await runAuDetectionExperiment(config, {
    outputDir,
    resume: opts.resume,
    report,
    ...(onStep ? { onStep } : {}),
    ...(opts.dataDir !== undefined ? { dataDir: opts.dataDir } : {}),
  });
  const pct = (m: { mean: number; std: number; n: number }): string =>
    m.n === 1
      ? `${(m.mean * 100).toFixed(1)} % (1 run)`
      : `${(m.mean * 100).toFixed(1)} ± ${(m.std * 100).toFixed(1)} % (${m.n} runs)`;
  console.log(
    `${result.name}: mean AU F1 at ${result.config.evaluation.threshold}: ${pct(result.summary.meanF1)}`,
  );
  if (result.tunedSummary)
    console.log(`at thresholds tuned on validation: ${pct(result.tunedSummary.meanF1)}`);
  console.log(`\nresults: ${join(outputDir, 'results.json')}`);
}

/** The highest folder of `dir`'s path that does not exist yet (`undefined` when `dir` exists). */
function firstMissingFolder(dir: string): string | undefined {
  let current = resolve(dir);
  let missing: string | undefined;
  while (!existsSync(current)) {
    missing = current;
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  return missing;
}

/** Removes `dir` and its parents up to `top` (inclusive) while they are empty folders. */
function removeEmptyFolders(dir: string, top: string): void {
  let current = resolve(dir);
  while (existsSync(current) && readdirSync(current).length === 0) {
    rmdirSync(current);
    if (current === top) return;
    current = dirname(current);
  }
}

/** The version of `@dfer/trainer` (its package.json, next to `src/` and `dist/`). */
function trainerVersion(): string {
  return (JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string })
    .version;
}

/** Parses a flag value that must be an integer ≥ 1. */
function positiveInteger(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError(`expected an integer ≥ 1, got '${value}'`);
  return n;
}

/** `--weights best|latest`: anything else is refused with the choices. */
function weightsOption(): Option {
  return new Option('--weights <which>', 'best (selected) or latest')
    .choices(['best', 'latest'])
    .default('best');
}

/** The `dfer` command line (exported for tests): train, eval, export-onnx, configs; `--version`. */
export function buildCli(): Command {
  const program = new Command('dfer')
    .description('Train, evaluate and export DFER models (@dfer/trainer)')
    .version(trainerVersion(), '-V, --version')
    .showSuggestionAfterError()
    .option('--verbose', 'report the engine choice in full (every backend tried and why it failed)')
    .hook('preAction', (command) => {
      // Read by @dfer/runtime's initEngine (the one-line engine report becomes the full reason).
      if (command.opts<{ verbose?: boolean }>().verbose) process.env.DFER_VERBOSE = '1';
    });
  program
    .command('train')
    .description('run the experiment of a config file (JSON, may inherit with "_base")')
    .argument('<config>', 'config file')
    .option(
      '--set <path=value>',
      'override one config field (repeatable), e.g. --set optim.lr=1e-3',
      collect,
      [],
    )
    .option(
      '--out <dir>',
      'output folder (logs, checkpoints, results.json); default config.output.dir or runs/<name>',
    )
    .option('--resume', 'continue from the latest checkpoint in the output folder', false)
    .option(
      '--config-root <dir>',
      'folder every "_base" must lie inside (default: the config file\'s folder)',
    )
    .option(
      '--data-dir <dir>',
      'folder the relative data paths of an AU-detection config are resolved against (default: the working directory)',
    )
    .option(
      '--dry-run',
      'print the plan without training: data check, clips per fold and class, AU-label coverage, steps, estimated time',
      false,
    )
    .action(async (file: string, opts: TrainCliOptions) => {
      const root = opts.configRoot === undefined ? {} : { root: opts.configRoot };
      const config = applyOverrides(loadConfigFile(file, root), opts.set);
      if (opts.dryRun && isAuDetectionConfig(config)) {
        throw new Error(
          `${resolve(file)}: --dry-run plans expression experiments; this is an AU-detection config`,
        );
      }
      if (opts.dryRun) {
        const plan = await planExperiment(config as never).catch((error: unknown) => {
          if (error instanceof ConfigError) throw new ConfigError(error.issues, resolve(file));
          throw error;
        });
        for (const line of describePlan(plan)) console.log(line);
        return;
      }
      const outputDir =
        opts.out ?? (config.output as { dir?: string } | undefined)?.dir ?? join('runs', String(config.name));
      const progress = progressReporter();
      const createdFrom = firstMissingFolder(outputDir);
      const report = (line: string): void => {
        progress.stop();
        process.stderr.write(`${line}\n`);
      };
      const run = isAuDetectionConfig(config)
        ? trainAuDetection(config, opts, outputDir, report, progress.onStep).then(() => undefined)
        : runExperiment(config as never, {
            outputDir,
            resume: opts.resume,
            ...(progress.onStep ? { onStep: progress.onStep } : {}),
            report,
          });
      const result = await run.catch((error: unknown) => {
        // A run that fails before writing anything leaves no empty output folder behind.
        if (createdFrom !== undefined) removeEmptyFolders(outputDir, createdFrom);
        // A config problem names the file it came from (and the --set overrides, when there were any).
        if (error instanceof ConfigError) {
          const overrides = opts.set.length > 0 ? ` with --set ${opts.set.join(' --set ')}` : '';
          throw new ConfigError(error.issues, `${resolve(file)}${overrides}`);
        }
        throw error;
      });
      progress.stop();
      if (result === undefined) return;
      console.log(formatSummaryTable(result));
      console.log(`\nresults: ${join(outputDir, 'results.json')}`);
    });
  program
    .command('eval')
    .description('score the saved weights of a fold folder (runs/<name>/fold-1) on its test split')
    .argument('<fold-dir>', 'a fold folder written by `dfer train`')
    .addOption(weightsOption())
    .action(async (dir: string, opts: { weights: 'best' | 'latest' }) => {
      const { report } = await evaluateRun(dir, { weights: opts.weights });
      console.log(
        `test clips ${report.count}: WAR ${(report.war * 100).toFixed(2)} %, UAR ${(report.uar * 100).toFixed(2)} %`,
      );
      report.classNames.forEach((name, c) =>
        console.log(
          `  ${name}: recall ${report.recall[c] === null ? '-' : ((report.recall[c] as number) * 100).toFixed(1)} %`,
        ),
      );
    });
  program
    .command('export-onnx')
    .description('export the saved weights of a fold folder to an ONNX file (through @dfer/runtime)')
    .argument('<fold-dir>', 'a fold folder written by `dfer train`')
    .requiredOption('--out <file>', 'the .onnx file to write')
    .addOption(weightsOption())
    .action(async (dir: string, opts: { out: string; weights: 'best' | 'latest' }) => {
      // The folder of --out is created when missing (an error names it when it cannot be).
      mkdirSync(dirname(resolve(opts.out)), { recursive: true });
      const exported = await exportRunToOnnx(dir, { path: opts.out, weights: opts.weights });
      console.log(
        `wrote ${exported.path} (${exported.bytes.length} bytes; outputs ${Object.keys(exported.outputs).join(', ')})`,
      );
    });
  program
    .command('analyze')
    .description(
      'find faces in a video or photo and write per-frame AU estimates and expressions: frames.csv, summary.json, report.html',
    )
    .argument('<video-or-image>', 'a video file (read with ffmpeg) or a photo (.jpg, .png, …)')
    .requiredOption('--out <dir>', 'folder for frames.csv, summary.json and report.html')
    .option('--model <file>', 'a DFER model from `dfer export-onnx` (implies --expression model)')
    .addOption(
      new Option(
        '--expression <source>',
        'prior (AU estimates through the DFEW prior), fer, or model',
      ).choices(['prior', 'fer', 'model']),
    )
    .option('--every <n>', 'analyse every n-th frame', positiveInteger, 1)
    .action(
      async (
        input: string,
        opts: { out: string; model?: string; expression?: 'prior' | 'fer' | 'model'; every: number },
      ) => {
        const result = await runAnalyzeCommand(input, opts);
        for (const warning of result.summary.warnings) console.error(`warning: ${warning}`);
        for (const line of describeAnalysis(result)) console.log(line);
      },
    );
  program
    .command('prepare')
    .description(
      'training data from raw videos: the main face of each, aligned as for dfer analyze, written as a folder of JPEG frames',
    )
    .argument('<video...>', 'video files, or folders whose video files are all taken (read with ffmpeg)')
    .requiredOption('--out <dir>', 'folder that receives one frame folder per video (named after the video)')
    .option('--size <n>', 'side of the square crops in pixels', positiveInteger, 112)
    .option('--every <n>', 'keep every n-th frame', positiveInteger, 1)
    .option(
      '--aus <dir>',
      "also write each video's AU estimates (dfer analyze's frames.csv) to <dir>/<name>/ (the 'estimated' AU source)",
    )
    .action(async (videos: string[], opts: { out: string; size: number; every: number; aus?: string }) => {
      const outcomes = await runPrepareCommand(videos, opts, (outcome) =>
        console.log(describePrepareOutcome(outcome)),
      );
      const [counts, ...warnings] = summarisePrepare(outcomes);
      console.log(counts);
      for (const warning of warnings) console.error(warning);
    });
  program
    .command('configs')
    .description('list the configs shipped with @dfer/trainer')
    .action(() => {
      for (const file of listConfigs(SHIPPED_CONFIG_DIR)) console.log(relative(process.cwd(), file));
    });
  return program;
}

/**
 * Runs the `dfer` command line on `argv` (`process.argv` form: node, script, arguments…); errors are printed
 * as one message and exit with status 1. Used by the `dfer` bin (`bin/dfer.cjs`).
 */
export function runCli(argv: readonly string[]): void {
  buildCli()
    .parseAsync([...argv])
    .catch((error: unknown) => {
      console.error(error instanceof Error ? error.message : String(error));
      process.exit(1);
    });
}

if (require.main === module) runCli(process.argv);
