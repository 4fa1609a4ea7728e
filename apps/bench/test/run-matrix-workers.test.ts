/**
 * End to end through real worker processes (`cell-child.ts` under tsx, the trainer from the built packages):
 * a tiny two-cell profile with 1 and 2 workers gives identical metrics, and a cell whose worker fails makes
 * `bench run` exit non-zero and name the cell and its log. About 15–30 s on 2 CPU cores.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import {
  createBenchProgram,
  expandProfile,
  isClassificationRun,
  readBenchResults,
  runMatrix,
  type ProfileConfig,
  type RunRecord,
} from '../src';
import { tempDir } from './helpers';

const TINY: ProfileConfig = {
  name: 'workers',
  description: 'two tiny Former-DFER cells (end-to-end test of the pool)',
  models: ['former_dfer'],
  preset: 'tiny',
  methods: ['ce', 'ce+au_global'],
  seeds: [0],
  data: {
    type: 'synthetic_dfer',
    numClips: 24,
    numIdentities: 6,
    size: [16, 16],
    numFrames: [8, 8],
    distractorRate: 0,
  },
  protocol: { type: 'fixed' },
  training: { epochs: 2, batchSize: 8, lr: 2e-3, weightDecay: 0.05, warmupEpochs: 0, evalEvery: 1 },
  engine: 'wasm',
};

/** What must not depend on the pool: everything but timings and start times. */
function metricsOf(record: RunRecord) {
  if (!isClassificationRun(record)) throw new Error(`${record.id}: expected a classification run`);
  return {
    id: record.id,
    config: record.config,
    engine: record.engine.backend,
    classNames: record.classNames,
    summary: record.summary,
    numParameters: record.numParameters,
    folds: record.folds.map((f) => ({
      fold: f.fold,
      war: f.war,
      uar: f.uar,
      macroF1: f.macroF1,
      recall: f.recall,
      support: f.support,
      confusion: f.confusion,
      selectedEpoch: f.selectedEpoch,
      trainLoss: f.history.map((h) => h.trainLoss),
      selection: f.history.map((h) => h.selection),
    })),
  };
}

describe('bench run with real worker processes', () => {
  it('gives identical metrics with 1 and 2 workers', async () => {
    const ids = expandProfile(TINY).map((c) => c.id);
    const runs: RunRecord[][] = [];
    for (const workers of [1, 2]) {
      const lines: string[] = [];
      const summary = await runMatrix(TINY, { outDir: tempDir(), workers, report: (l) => lines.push(l) });
      expect(summary.failed).toEqual([]);
      expect(summary.workers).toBe(workers);
      expect(summary.ran).toEqual(ids);
      runs.push(readBenchResults(summary.paths.results).runs);
      // The trainer's epoch lines came back from the workers, tagged by cell.
      expect(lines.filter((l) => /^ {2}#[12] fold 1 epoch 2\/2: loss /.test(l))).toHaveLength(2);
    }
    const [one, two] = runs as [RunRecord[], RunRecord[]];
    expect(one.map((r) => r.id)).toEqual(ids);
    expect(two.map((r) => r.id)).toEqual(ids);
    for (const r of one) {
      const m = metricsOf(r);
      expect(m.folds[0]!.trainLoss).toHaveLength(2);
      expect(m.folds[0]!.trainLoss.every(Number.isFinite)).toBe(true);
      expect(m.folds[0]!.confusion.flat().reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    }
    expect(two.map(metricsOf)).toEqual(one.map(metricsOf));
  });

  it('reports a failed worker with the cell id and its log, records nothing for it, and exits non-zero', async () => {
    // An AU-detection run whose label file is not in the data folder: the worker fails when it reads it.
    const outDir = tempDir();
    const dataDir = tempDir();
    const stderr: string[] = [];
    const writeErr = process.stderr.write.bind(process.stderr);
    const writeOut = process.stdout.write.bind(process.stdout);
    const sharedData = process.env['DFER_SHARED_DATA'];
    process.env['DFER_SHARED_DATA'] = dataDir;
    process.stderr.write = ((s: string) => {
      stderr.push(String(s));
      return true;
    }) as typeof process.stderr.write;
    process.stdout.write = (() => true) as typeof process.stdout.write;
    let exitCode: typeof process.exitCode;
    try {
      const program: Command = createBenchProgram().exitOverride();
      await program.parseAsync([
        'node',
        'bench',
        'run',
        '--profile',
        'au_detection',
        '--seeds',
        '0',
        '--only',
        '/au_mtl_single_plain/',
        '--workers',
        '1',
        '--out',
        outDir,
      ]);
    } finally {
      process.stderr.write = writeErr;
      process.stdout.write = writeOut;
      if (sharedData === undefined) delete process.env['DFER_SHARED_DATA'];
      else process.env['DFER_SHARED_DATA'] = sharedData;
      exitCode = process.exitCode;
      process.exitCode = undefined;
    }
    expect(exitCode).toBe(1);
    const text = stderr.join('');
    const [id] = [...text.matchAll(/start #1 (\S+)/g)].map((m) => m[1]!);
    expect(id).toMatch(/^au_detection\/.*\/au_mtl_single_plain\/seed-0$/);
    const logPath = join(outDir, 'runs', id!.replace(/[^A-Za-z0-9_.+-]+/g, '__'), 'bench.log');
    expect(text).toMatch(
      new RegExp(
        `FAILED #1 ${id!.replace(/[+/]/g, '\\$&')} after \\d+s: .*${dataDir}.* \\(log: ${logPath}\\)`,
      ),
    );
    expect(text).toContain('bench run: 1 run(s) failed and are not in results.json');
    expect(text).toContain(`\n  ${id}: `);
    expect(text).toContain(`\n    log: ${logPath}\n`);
    expect(readFileSync(logPath, 'utf8')).toContain('bench run (worker): ');
    expect(readBenchResults(join(outDir, 'results.json')).runs).toEqual([]);
  });

  it('refuses --workers 0', async () => {
    const program = createBenchProgram()
      .exitOverride()
      .configureOutput({ writeErr: () => undefined });
    program.commands.forEach((c) => c.exitOverride().configureOutput({ writeErr: () => undefined }));
    await expect(program.parseAsync(['node', 'bench', 'run', '--workers', '0'])).rejects.toThrow(
      '--workers must be a positive integer, got "0"',
    );
  });
});
