import type { Command } from 'commander';
import { buildCli } from '../src';

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
});
