import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { describeWithSharedData } from '@dfer/test-utils';
import { buildCli, SHIPPED_CONFIG_DIR } from '../src';

/** The program and every subcommand throw instead of exiting, and write their errors into `errors`. */
function quietCli(errors: string[], out: string[] = []): Command {
  const program = buildCli();
  for (const c of [program, ...program.commands]) {
    c.exitOverride().configureOutput({ writeErr: (s) => errors.push(s), writeOut: (s) => out.push(s) });
  }
  return program;
}

describe('dfer command line', () => {
  it('--weights accepts only best or latest, for eval and export-onnx', async () => {
    const errors: string[] = [];
    await expect(
      quietCli(errors).parseAsync(['node', 'dfer', 'eval', 'runs/x/fold-1', '--weights', 'foo']),
    ).rejects.toThrow(/Allowed choices are best, latest/);
    await expect(
      quietCli(errors).parseAsync([
        'node',
        'dfer',
        'export-onnx',
        'runs/x/fold-1',
        '--out',
        'm.onnx',
        '--weights',
        'last',
      ]),
    ).rejects.toThrow(/Allowed choices are best, latest/);
  });

  it('an unknown command is an error with a suggestion', async () => {
    const errors: string[] = [];
    await expect(quietCli(errors).parseAsync(['node', 'dfer', 'trian', 'a.json'])).rejects.toThrow(
      /unknown command 'trian'/,
    );
    expect(errors.join('')).toContain('(Did you mean train?)');
  });

  it('prints its version', async () => {
    const out: string[] = [];
    await expect(quietCli([], out).parseAsync(['node', 'dfer', '--version'])).rejects.toThrow();
    expect(out.join('').trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('--verbose (before or after the command) asks initEngine for the full engine report', async () => {
    const saved = process.env.DFER_VERBOSE;
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      delete process.env.DFER_VERBOSE;
      await quietCli([]).parseAsync(['node', 'dfer', 'configs']);
      expect(process.env.DFER_VERBOSE).toBeUndefined();
      await quietCli([]).parseAsync(['node', 'dfer', 'configs', '--verbose']);
      expect(process.env.DFER_VERBOSE).toBe('1');
    } finally {
      log.mockRestore();
      if (saved === undefined) delete process.env.DFER_VERBOSE;
      else process.env.DFER_VERBOSE = saved;
    }
  });

  it('a run that fails before writing anything leaves no empty output folder (a folder that existed stays)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dfer-cli-fail-'));
    try {
      const config = join(dir, 'bad-data.json');
      writeFileSync(
        config,
        JSON.stringify({
          name: 'bad_data',
          seed: 1,
          data: { type: 'split_list', root: join(dir, 'missing'), listDir: join(dir, 'missing') },
          model: { type: 'former_dfer', preset: 'tiny' },
          loss: { type: 'cross_entropy' },
          optim: { type: 'adamw', lr: 0.001 },
          train: { epochs: 1, batchSize: 2 },
        }),
      );
      const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
      try {
        await expect(
          quietCli([]).parseAsync(['node', 'dfer', 'train', config, '--out', join(dir, 'runs', 'a', 'b')]),
        ).rejects.toThrow(/pattern/);
      } finally {
        warn.mockRestore();
      }
      expect(readdirSync(dir)).toEqual(['bad-data.json']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describeWithSharedData('bp4d/BP4D_combine_1_2_AUOccur.txt', 'an AU-detection config', (labelFile) => {
    it('dfer train runs it on the shared loop: F1 summary, run folder, results.json; --resume does not repeat it', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'dfer-cli-au-'));
      const config = join(SHIPPED_CONFIG_DIR, 'au-detection', 'au_mtl_joint_nogate_plain.json');
      const args = ['node', 'dfer', 'train', config, '--set', 'epochs=1', '--set', 'seeds=[2]'];
      const more = ['--set', 'data.numClips=12', '--set', 'data.numIdentities=3'];
      const where = ['--data-dir', join(labelFile, '..', '..'), '--out', join(dir, 'au')];
      const printed: string[] = [];
      const log = jest.spyOn(console, 'log').mockImplementation((line: string) => void printed.push(line));
      const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
        printed.push(String(chunk));
        return true;
      });
      const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
      try {
        await quietCli([]).parseAsync([...args, ...more, ...where]);
        expect(printed.join('')).toMatch(/seed 2 fold 1 epoch 1\/1: loss \d/);
        expect(printed.join('')).toMatch(/au_mtl_joint_nogate_plain: mean AU F1 at 0.5: \d+\.\d % \(1 run\)/);
        const results = JSON.parse(readFileSync(join(dir, 'au', 'results.json'), 'utf8')) as {
          runs: { seed: number }[];
        };
        expect(results.runs.map((r) => r.seed)).toEqual([2]);
        expect(readdirSync(join(dir, 'au', 'seed-2', 'fold-1')).sort()).toEqual(
          ['checkpoints', 'fold-result.json', 'latest.json', 'log.jsonl'].sort(),
        );
        printed.length = 0;
        await quietCli([]).parseAsync([...args, ...more, ...where, '--resume']);
        expect(printed.join('')).toMatch(/seed 2 fold 1: already finished/);
      } finally {
        log.mockRestore();
        stderr.mockRestore();
        warn.mockRestore();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  it('the dfer bin (bin/dfer.cjs, linked at install before any build) runs the built CLI', () => {
    const bin = join(__dirname, '..', 'bin', 'dfer.cjs');
    const result = spawnSync(process.execPath, [bin, '--version'], { encoding: 'utf8', timeout: 60_000 });
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as {
      bin: Record<string, string>;
      files: string[];
    };
    expect(pkg.bin).toEqual({ dfer: './bin/dfer.cjs' });
    expect(pkg.files).toContain('bin');
  });
});
