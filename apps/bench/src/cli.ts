#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { benchOutputPaths, runMatrix, writeReports } from './matrix/run-matrix';
import { getProfile, listProfiles, type ProfileConfig } from './matrix/profiles';
import { applyRealDataset, createRealDatasetSelection, listRealDatasets } from './matrix/datasets';
import { mergeBenchResults, readBenchResults, writeBenchResults } from './results/results-file';
import { addPerfCommand } from './perf/perf-command';
import { addPretrainCommand } from './matrix/pretrain-command';
import { followWithStatusLine } from './matrix/pool-status-line';
import { applyProfileSettings, type ProfileSettings } from './matrix/profile-settings';
import { addQueueCommands, attemptsOption, queueOption, runProfileOnQueue } from './queue/queue-command';

function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1)
      throw new InvalidArgumentError(`${name} must be a positive integer, got "${value}"`);
    return n;
  };
}

function readDataNode(path: string): ProfileConfig['data'] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new InvalidArgumentError(
      `--data ${path}: cannot read a JSON data node (${(error as Error).message})`,
    );
  }
  if (typeof raw !== 'object' || raw === null || typeof (raw as { type?: unknown }).type !== 'string') {
    throw new InvalidArgumentError(
      `--data ${path}: expected a JSON object with a string "type" (a trainer data source)`,
    );
  }
  return raw as ProfileConfig['data'];
}

/** The version of `@dfer/bench` (its package.json, next to `src/` and `dist/`). */
function benchVersion(): string {
  return (JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string })
    .version;
}

/**
 * Build the `bench` command line (exported for tests). Commands must be named (`bench run …`): an unknown
 * command or a stray argument is an error with a suggestion, never a silent training run; `npm run bench`
 * passes `run` itself.
 */
export function createBenchProgram(): Command {
  const program = new Command('bench')
    .description('DFER bench: the experiment matrix, performance timings, results, report and dashboard')
    .version(benchVersion(), '-V, --version')
    .showHelpAfterError()
    .showSuggestionAfterError()
    .option('--verbose', 'report the engine choice in full (every backend tried and why it failed)')
    .hook('preAction', (command) => {
      // Read by @dfer/runtime's initEngine, here and in the processes the command starts.
      if (command.opts<{ verbose?: boolean }>().verbose) process.env.DFER_VERBOSE = '1';
    });

  program
    .command('run')
    .allowExcessArguments(false)
    .description('run an experiment matrix (resumable) and write results.json, report.md and dashboard.html')
    .addOption(new Option('--profile <name>', 'matrix to run').choices(listProfiles()).default('quick'))
    .option('--out <dir>', 'output folder', 'bench-results')
    .addOption(
      new Option('--engine <backend>', "tfjs backend (default: the profile's, auto)").choices([
        'auto',
        'wasm',
        'cpu',
        'tensorflow',
      ]),
    )
    .option('--only <substrings>', 'run only cells whose id contains one of these comma-separated substrings')
    .option(
      '--data <file.json>',
      "trainer data node to use instead of the profile's synthetic data (e.g. a DFEW node)",
    )
    .addOption(
      new Option(
        '--dataset <name>',
        "run the profile's matrix on a real dataset (needs --data-root)",
      ).choices(listRealDatasets()),
    )
    .option('--data-root <dir>', '--dataset: folder of the clip frame folders (e.g. DFEW Clip/clip_224x224)')
    .option('--split-dir <dir>', '--dataset: folder of the official split lists (default <data-root>/splits)')
    .option('--fold <k>', '--dataset: one official fold only (default: every fold)', positiveInt('--fold'))
    .option('--epochs <n>', "override the profile's epochs", positiveInt('--epochs'))
    .option('--seeds <list>', "override the profile's seeds (comma-separated)")
    .addOption(
      new Option(
        '--workers <n>',
        'cells run at once, each in its own worker process (default: os.availableParallelism())',
      )
        .argParser(positiveInt('--workers'))
        .default(availableParallelism()),
    )
    .option(
      '--train-workers <n>',
      "threads of each cell's training (train.workers, data-parallel; default the profile's, 1); the pool then runs at most cores ÷ n cells at a time",
      positiveInt('--train-workers'),
    )
    .addOption(
      queueOption(
        'run the cells on a BullMQ queue in Redis instead of the local pool (redis://[:password@]host[:port][/db]): enqueue them, then follow them to the end; start workers with bench worker',
      ),
    )
    .addOption(attemptsOption())
    .action(
      async (opts: {
        profile: string;
        out: string;
        engine?: ProfileConfig['engine'];
        only?: string;
        data?: string;
        dataset?: string;
        dataRoot?: string;
        splitDir?: string;
        fold?: number;
        epochs?: number;
        seeds?: string;
        workers: number;
        trainWorkers?: number;
        queue?: string;
        attempts: number;
      }) => {
        let base = getProfile(opts.profile);
        if (opts.dataset === undefined && (opts.dataRoot ?? opts.splitDir ?? opts.fold) !== undefined)
          throw new InvalidArgumentError(
            '--data-root, --split-dir and --fold need --dataset (dfew, ferv39k or mafw)',
          );
        if (opts.dataset !== undefined) {
          if (opts.data) throw new InvalidArgumentError('give either --data or --dataset, not both');
          if (!opts.dataRoot)
            throw new InvalidArgumentError(`--dataset ${opts.dataset} needs --data-root <dir>`);
          const selection = createRealDatasetSelection({
            dataset: opts.dataset,
            dataRoot: opts.dataRoot,
            ...(opts.splitDir ? { splitDir: opts.splitDir } : {}),
            ...(opts.fold ? { fold: opts.fold } : {}),
          });
          const real = applyRealDataset(base, selection);
          base = real.profile;
          for (const c of selection.clipCounts)
            process.stderr.write(
              `bench run: ${opts.dataset} fold ${c.fold}: ${c.train} train / ${c.test} test clips listed\n`,
            );
          if (real.leftOutMethods.length)
            process.stderr.write(
              `bench run: ${real.leftOutMethods.length} method(s) left out, they need per-clip AU labels that the split lists do not have: ${real.leftOutMethods.join(', ')}\n`,
            );
          if (real.leftOutExperiments.length)
            process.stderr.write(
              `bench run: experiment(s) left out, they run on synthetic data only: ${real.leftOutExperiments.join(', ')}\n`,
            );
        }
        const seeds = opts.seeds
          ? opts.seeds.split(',').map((s) => {
              const n = Number(s);
              if (!Number.isInteger(n) || n < 0)
                throw new InvalidArgumentError(`--seeds: "${s}" is not a non-negative integer`);
              return n;
            })
          : undefined;
        const settings: ProfileSettings = {
          ...(opts.engine ? { engine: opts.engine } : {}),
          ...(opts.epochs ? { epochs: opts.epochs } : {}),
          ...(seeds ? { seeds } : {}),
          ...(opts.trainWorkers ? { trainWorkers: opts.trainWorkers } : {}),
        };
        if (opts.queue) {
          if (opts.data || opts.dataset)
            throw new InvalidArgumentError(
              '--queue runs the built-in profiles only: a worker runs what its own copy of a profile defines, so --data and --dataset are not taken with --queue',
            );
          await runProfileOnQueue({
            queue: opts.queue,
            profile: opts.profile,
            settings,
            out: opts.out,
            attempts: opts.attempts,
            ...(opts.only ? { only: opts.only.split(',').filter(Boolean) } : {}),
          });
          return;
        }
        const profile = applyProfileSettings(
          { ...base, ...(opts.data ? { data: readDataNode(opts.data) } : {}) },
          settings,
        );
        const t0 = performance.now();
        process.stderr.write(
          `bench run: profile "${profile.name}" — ${profile.description}; up to ${opts.workers} worker(s)\n`,
        );
        // Ctrl-C / SIGTERM: stop starting cells, kill the worker processes, keep what is recorded.
        const summary = await followWithStatusLine(
          (signal) => `bench run: ${signal}, stopping the worker processes`,
          ({ report, onStatus, signal }) =>
            runMatrix(profile, {
              outDir: opts.out,
              workers: opts.workers,
              report,
              onStatus,
              signal,
              ...(opts.only ? { only: opts.only.split(',').filter(Boolean) } : {}),
            }),
        );
        const minutes = (performance.now() - t0) / 60000;
        process.stdout.write(
          `bench run: ${summary.ran.length} run(s) done, ${summary.skipped.length} already done (skipped)` +
            `${summary.failed.length ? `, ${summary.failed.length} FAILED` : ''}, in ${minutes.toFixed(1)} min on ${summary.workers} worker(s)\n` +
            `  results:   ${summary.paths.results}\n  report:    ${summary.paths.report}\n  dashboard: ${summary.paths.dashboard}\n`,
        );
        if (summary.failed.length) {
          process.stderr.write(
            `bench run: ${summary.failed.length} run(s) failed and are not in results.json (run the same command again to retry them):\n` +
              summary.failed.map((f) => `  ${f.id}: ${f.error}\n    log: ${f.logPath}\n`).join(''),
          );
          process.exitCode = 1;
        }
      },
    );

  program
    .command('report')
    .description('merge results files and regenerate report.md and dashboard.html')
    .argument('<results...>', 'results.json files (later files win on duplicate run ids)')
    .option('--out <dir>', 'output folder', 'bench-results')
    .action((files: string[], opts: { out: string }) => {
      const inputs = files.map((f) => readBenchResults(f));
      const merged = mergeBenchResults(inputs);
      mkdirSync(resolve(opts.out), { recursive: true });
      const paths = benchOutputPaths(opts.out);
      writeBenchResults(paths.results, merged.results);
      writeReports(merged.results, paths);
      if (merged.replacedRuns.length) {
        process.stderr.write(
          `bench report: ${merged.replacedRuns.length} duplicate run id(s), the later file's record kept: ${merged.replacedRuns.join(', ')}\n`,
        );
      }
      if (merged.replacedPerf)
        process.stderr.write(
          `bench report: ${merged.replacedPerf} duplicate timing(s), the later file's kept\n`,
        );
      process.stdout.write(
        `bench report: merged ${files.length} file(s): ${merged.results.runs.length} run(s), ${merged.results.perf.length} timing(s)\n` +
          `  results:   ${paths.results}\n  report:    ${paths.report}\n  dashboard: ${paths.dashboard}\n`,
      );
    });

  addPerfCommand(program);
  addPretrainCommand(program);
  addQueueCommands(program);
  return program;
}

if (require.main === module) {
  createBenchProgram()
    .parseAsync(process.argv)
    .catch((error: unknown) => {
      process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(process.exitCode && process.exitCode !== 0 ? process.exitCode : 1);
    });
}
