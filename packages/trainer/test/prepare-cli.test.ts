import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeImage, listFrameFiles } from '@dfer/datasets';
import { describeWithSharedFiles } from '@dfer/test-utils';
import { buildCli } from '../src';

async function run(args: string[]): Promise<string[]> {
  const program = buildCli();
  for (const c of [program, ...program.commands])
    c.exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  const lines: string[] = [];
  const log = jest
    .spyOn(console, 'log')
    .mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  const err = jest
    .spyOn(console, 'error')
    .mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  try {
    await program.parseAsync(['node', 'dfer', 'prepare', ...args]);
  } finally {
    log.mockRestore();
    err.mockRestore();
  }
  return lines;
}

describeWithSharedFiles('dfer prepare', ['media/single_face.mp4', 'media/no_face.mp4'], (single, none) => {
  const dir = mkdtempSync(join(tmpdir(), 'dfer-prepare-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes one frame folder of aligned crops per video with a face, and says which had none', async () => {
    const out = join(dir, 'clips');
    const lines = await run([single, none, '--out', out, '--every', '12', '--size', '64']);
    expect(lines).toEqual([
      `${single}: 6 of 6 analysed frame(s) → ${join(out, 'single_face')}`,
      `${none}: no face in 8 analysed frame(s); nothing written`,
      'warning: 1 video(s) had no face; no folder was written for them',
    ]);
    expect(readdirSync(out)).toEqual(['single_face']);
    const frames = listFrameFiles(join(out, 'single_face'));
    expect(frames).toHaveLength(6);
    const image = await decodeImage(frames[0]!);
    expect([image.height, image.width]).toEqual([64, 64]);
  });

  it('refuses a bad --size and an existing folder', async () => {
    await expect(run([single, '--out', join(dir, 'x'), '--size', '0'])).rejects.toThrow(
      /expected an integer ≥ 1/,
    );
    await expect(run([single, '--out', join(dir, 'clips'), '--every', '36'])).rejects.toThrow(
      /single_face already exists/,
    );
  });
});
