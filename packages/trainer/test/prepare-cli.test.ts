import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeImage, listFrameFiles } from '@dfer/datasets/media';
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
      '2 video(s): 1 prepared, 0 already prepared (skipped), 1 without a face',
      `warning: 1 video(s) had no face; no folder was written for them: ${none}`,
    ]);
    expect(readdirSync(out)).toEqual(['single_face']);
    const frames = listFrameFiles(join(out, 'single_face'));
    expect(frames).toHaveLength(6);
    const image = await decodeImage(frames[0]!);
    expect([image.height, image.width]).toEqual([64, 64]);
  });

  it('refuses a bad --size, a folder without videos and two videos of the same name', async () => {
    await expect(run([single, '--out', join(dir, 'x'), '--size', '0'])).rejects.toThrow(
      /expected an integer ≥ 1/,
    );
    const empty = mkdtempSync(join(tmpdir(), 'dfer-prepare-empty-'));
    try {
      await expect(run([empty, '--out', join(dir, 'x')])).rejects.toThrow(/holds no video file/);
      const twin = join(empty, 'single_face.mp4');
      copyFileSync(single, twin);
      await expect(run([single, twin, '--out', join(dir, 'x')])).rejects.toThrow(
        /would both be written to the folder "single_face"/,
      );
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
    expect(existsSync(join(dir, 'x'))).toBe(false);
  });

  it('resumes: a second run skips what is there and adds the AU estimates asked for with --aus', async () => {
    const out = join(dir, 'clips');
    const aus = join(dir, 'aus');
    const lines = await run([single, '--out', out, '--every', '12', '--size', '64', '--aus', aus]);
    const ausFile = join(aus, 'single_face', 'frames.csv');
    expect(lines).toEqual([
      `${single}: frames already prepared (${join(out, 'single_face')}); AU estimates ${ausFile}`,
      '1 video(s): 1 prepared, 0 already prepared (skipped), 0 without a face',
    ]);
    // frames.csv of dfer analyze: one row per analysed frame (72 frames, every 12th) with the AU columns.
    const rows = readFileSync(ausFile, 'utf8').trim().split('\n');
    expect(rows[0]).toMatch(/^frame,time_s,face,.*AU12_r/);
    expect(rows).toHaveLength(1 + 6);
    const again = await run([single, '--out', out, '--aus', aus]);
    expect(again).toEqual([
      `${single}: already prepared (${join(out, 'single_face')}); AU estimates ${ausFile}`,
      '1 video(s): 0 prepared, 1 already prepared (skipped), 0 without a face',
    ]);
  });
});
