/**
 * Untrusted files stay inside their roots and never hang: playlists disguised as videos,
 * FIFOs and other non-regular files given to ffmpeg, ffmpeg runs past their time limit, and split-list
 * clip dirs that climb out of the dataset root.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSplitList } from '@dfer/datasets/annotations';
import { decodeVideo, probeVideo, resolveFfmpeg } from '@dfer/datasets/media';

const tmp = mkdtempSync(join(tmpdir(), 'dfer-datasets-untrusted-'));
const outside = join(tmp, 'outside');
const given = join(tmp, 'given');
mkdirSync(outside);
mkdirSync(given);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A 5-frame 32×24 test pattern made with the bundled ffmpeg. */
function makeVideo(file: string, format: 'mp4' | 'mpegts'): string {
  execFileSync(resolveFfmpeg().path, [
    '-hide_banner',
    '-v',
    'error',
    '-f',
    'lavfi',
    '-i',
    'testsrc=size=32x24:rate=5',
    '-frames:v',
    '5',
    '-c:v',
    format === 'mp4' ? 'mpeg4' : 'mpeg2video',
    '-f',
    format,
    '-y',
    file,
  ]);
  return file;
}

const secretTs = makeVideo(join(outside, 'secret.ts'), 'mpegts');
const goodMp4 = makeVideo(join(given, 'good.mp4'), 'mp4');

function playlist(name: string, segment: string): string {
  const file = join(given, name);
  writeFileSync(file, `#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1.0,\n${segment}\n#EXT-X-ENDLIST\n`);
  return file;
}

describe('a video file cannot make ffmpeg read other files', () => {
  it('an HLS playlist saved as clip.mp4 pointing at an absolute path outside is refused, naming the file', async () => {
    const clip = playlist('clip.mp4', secretTs);
    await expect(probeVideo(clip)).rejects.toThrow(`${clip}: `);
    await expect(probeVideo(clip)).rejects.toThrow(/demuxer 'hls/);
    await expect(decodeVideo(clip, { size: [24, 32] })).rejects.toThrow(/demuxer 'hls/);
  });

  it('a playlist with a ../ segment is refused too', async () => {
    const clip = playlist('relative.mp4', '../outside/secret.ts');
    await expect(decodeVideo(clip)).rejects.toThrow(`${clip}: `);
  });

  it('an ffconcat list saved as a video is refused', async () => {
    const clip = join(given, 'concat.mp4');
    writeFileSync(clip, `ffconcat version 1.0\nfile '${secretTs}'\n`);
    await expect(probeVideo(clip)).rejects.toThrow(`${clip}: `);
  });

  it('a real mp4 still decodes', async () => {
    const info = await probeVideo(goodMp4);
    expect([info.width, info.height, info.numFrames]).toEqual([32, 24, 5]);
    const video = await decodeVideo(goodMp4, { frameIndices: [0, 4] });
    expect(video.shape).toEqual([2, 24, 32, 3]);
  });
});

describe('ffmpeg never hangs', () => {
  it('a FIFO named x.mp4 is refused before ffmpeg starts', async () => {
    const fifo = join(given, 'x.mp4');
    execFileSync('mkfifo', [fifo]);
    await expect(probeVideo(fifo)).rejects.toThrow(`${fifo}: not a regular file`);
    await expect(decodeVideo(fifo, { size: [8, 8] })).rejects.toThrow(`${fifo}: not a regular file`);
  });

  it('a directory or a device is refused', async () => {
    await expect(probeVideo(given)).rejects.toThrow(`${given}: not a regular file`);
    await expect(decodeVideo('/dev/zero', { size: [8, 8] })).rejects.toThrow('/dev/zero: not a regular file');
  });

  it('a run past options.timeoutMs is killed and names the file and the limit', async () => {
    await expect(probeVideo(goodMp4, { timeoutMs: 1 })).rejects.toThrow(
      `${goodMp4}: ffmpeg did not finish within 1 ms (options.timeoutMs); it was stopped`,
    );
    await expect(decodeVideo(goodMp4, { size: [24, 32], timeoutMs: 1 })).rejects.toThrow(
      /did not finish within 1 ms/,
    );
    await expect(probeVideo(goodMp4, { timeoutMs: 0 })).rejects.toThrow(RangeError);
  });
});

describe('split-list clip dirs stay inside the root', () => {
  const root = join(tmp, 'dataset');
  mkdirSync(join(root, 'clips'), { recursive: true });
  function list(name: string, content: string): string {
    const file = join(tmp, name);
    writeFileSync(file, content);
    return file;
  }

  it('a DFEW clip dir ending in /.. is an error naming the list, line and path', () => {
    const file = list('dfew.txt', '/x/DFEW/00001 10 0\n/x/DFEW/.. 10 1\n');
    expect(() => readSplitList(file, { format: 'dfew', root })).toThrow(
      `${file}:2: clip dir: "/x/DFEW/.." resolves to ${join(root, '..')}, outside the dataset root ${root}`,
    );
  });

  it('a FERV39K clip dir /a/../../.. is an error', () => {
    const file = list('ferv.txt', '/a/../../.. 10 0\n');
    expect(() => readSplitList(file, { format: 'ferv39k', root })).toThrow(`${file}:1: clip dir:`);
    expect(() => readSplitList(file, { format: 'ferv39k', root })).toThrow(/outside the dataset root/);
  });

  it('skip mode reports the escaping line and keeps the others', () => {
    const file = list('skip.txt', '/x/DFEW/00001 10 0\n/x/DFEW/.. 10 1\n');
    const parsed = readSplitList(file, { format: 'dfew', root, onError: 'skip' });
    expect(parsed.entries.map((e) => e.id)).toEqual(['00001']);
    expect(parsed.skipped[0]?.line).toBe(2);
  });

  it('a clip dir that is a symlink out of the root is an error', () => {
    symlinkSync(outside, join(root, '00002'));
    const file = list('symlink.txt', '/x/DFEW/00002 10 0\n');
    expect(() => readSplitList(file, { format: 'dfew', root })).toThrow(
      /00002.*is a link to .*outside.*outside the dataset root/,
    );
  });

  it('a clip dir inside the root (also through a linked root) is accepted', () => {
    const linkedRoot = join(tmp, 'linked-root');
    symlinkSync(root, linkedRoot);
    const file = list('ok.txt', '/x/DFEW/clips 10 0\n/x/DFEW/00003 10 0\n');
    const parsed = readSplitList(file, { format: 'dfew', root: linkedRoot });
    expect(parsed.entries.map((e) => e.dir)).toEqual([join(linkedRoot, 'clips'), join(linkedRoot, '00003')]);
  });
});
