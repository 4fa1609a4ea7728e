import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import sharp from 'sharp';
import { describeWithSharedData } from '@dfer/test-utils';
import {
  createDfewCsvDataset,
  createFrameFolderDataset,
  createOpenFaceAuDataset,
  createVideoDataset,
  DatasetInputError,
} from '@dfer/datasets';
import {
  decodeImage,
  decodeVideo,
  listFrameFiles,
  openVideoFrames,
  probeVideo,
  resolveFfmpeg,
} from '@dfer/datasets/media';

const media = JSON.parse(
  readFileSync(join(__dirname, '..', 'fixtures', 'media', 'media-fixtures.json'), 'utf8'),
) as {
  single_face_mp4_64x36: {
    numFrames: number;
    channelMeans: Record<string, number[]>;
    pixel_10_20_frame40: number[];
  };
  single_face_jpg: { height: number; width: number; channelMeans: number[] };
};

const tmp = mkdtempSync(join(tmpdir(), 'dfer-datasets-decoding-'));

function channelMeans(data: Float32Array, offset: number, pixels: number): number[] {
  const sums = [0, 0, 0];
  for (let p = 0; p < pixels; p++)
    for (let c = 0; c < 3; c++) sums[c] = (sums[c] as number) + (data[offset + p * 3 + c] as number);
  return sums.map((s) => s / pixels);
}

/** Writes a lossless PNG whose every pixel is `rgb`. */
async function writeSolidPng(
  file: string,
  rgb: [number, number, number],
  width = 4,
  height = 3,
): Promise<void> {
  const raw = Buffer.alloc(width * height * 3);
  for (let p = 0; p < width * height; p++) raw.set(rgb, p * 3);
  await sharp(raw, { raw: { width, height, channels: 3 } })
    .png()
    .toFile(file);
}

describe('decodeImage', () => {
  it('decodes a PNG exactly to value / 255 in RGB order', async () => {
    const file = join(tmp, 'solid.png');
    await writeSolidPng(file, [255, 51, 0]);
    const img = await decodeImage(file);
    expect([img.height, img.width, img.channels]).toEqual([3, 4, 3]);
    expect(Array.from(img.data.slice(0, 3))).toEqual([1, 51 / 255, 0].map(Math.fround));
  });

  it('expands a grey image to 3 equal channels and resizes to [height, width]', async () => {
    const file = join(tmp, 'grey.png');
    await sharp(Buffer.alloc(16, 128), { raw: { width: 4, height: 4, channels: 1 } })
      .png()
      .toFile(file);
    const img = await decodeImage(file, { size: [2, 3] });
    expect([img.height, img.width]).toEqual([2, 3]);
    expect(Array.from(img.data)).toEqual(new Array(18).fill(Math.fround(128 / 255)));
  });

  it('names the file it cannot decode', async () => {
    const file = join(tmp, 'broken.jpg');
    writeFileSync(file, 'not a jpeg');
    await expect(decodeImage(file)).rejects.toThrow(`${file}: cannot decode the image`);
    await expect(decodeImage(join(tmp, 'absent.png'))).rejects.toBeInstanceOf(DatasetInputError);
  });
});

describeWithSharedData('media/single_face.jpg', 'decodeImage on the real JPEG', (file) => {
  it('has the native size and the channel means of an independent ffmpeg decode', async () => {
    const img = await decodeImage(file);
    expect([img.height, img.width]).toEqual([media.single_face_jpg.height, media.single_face_jpg.width]);
    const means = channelMeans(img.data, 0, img.height * img.width);
    means.forEach((m, c) =>
      expect(Math.abs(m - (media.single_face_jpg.channelMeans[c] as number))).toBeLessThan(0.01),
    );
  });
});

describe('frame-folder dataset', () => {
  const dir = join(tmp, 'clip-0001');
  beforeAll(async () => {
    mkdirSync(dir, { recursive: true });
    // natural order: f_2 comes before f_10
    for (const n of [1, 2, 3, 10, 11])
      await writeSolidPng(join(dir, `f_${n}.png`), [n * 10, 0, 255 - n * 10]);
    writeFileSync(join(dir, 'notes.txt'), 'ignored: not an image');
  });

  it('lists frames in natural order and decodes the chosen ones', async () => {
    expect(listFrameFiles(dir).map((f) => f.slice(dir.length + 1))).toEqual([
      'f_1.png',
      'f_2.png',
      'f_3.png',
      'f_10.png',
      'f_11.png',
    ]);
    const ds = createFrameFolderDataset({ clips: [{ id: '0001', dir, label: 3 }], labels: 'dfew' });
    expect(ds.record(0)).toEqual({ id: '0001', numFrames: 5, label: 3 });
    const clip = await ds.get(0, { frameIndices: [3, 0, 3], size: [2, 2] });
    expect(clip.shape).toEqual([3, 2, 2, 3]);
    expect(clip.frames[0]).toBeCloseTo(100 / 255, 6);
    expect(clip.frames[12]).toBeCloseTo(10 / 255, 6);
    expect(clip.frameIndices).toEqual([3, 0, 3]);
  });

  it('a missing frame names the folder and the frame', async () => {
    const ds = createFrameFolderDataset({ clips: [{ id: '0001', dir, label: 0 }], labels: 'dfew' });
    await expect(ds.get(0, { frameIndices: [5] })).rejects.toThrow(
      `${dir}: frame 5 (position 0 of options.frameIndices) is missing`,
    );
    const wrongCount = createFrameFolderDataset({
      clips: [{ id: '0001', dir, label: 0, numFrames: 6 }],
      labels: 'dfew',
    });
    await expect(wrongCount.get(0)).rejects.toThrow(
      `${dir}: expected 6 frames (from the clip list), found 5 image files`,
    );
  });

  it('an unreadable image names the image file; an empty folder is an empty clip', async () => {
    const bad = join(tmp, 'clip-bad');
    mkdirSync(bad);
    await writeSolidPng(join(bad, '1.png'), [0, 0, 0]);
    writeFileSync(join(bad, '2.jpg'), 'garbage');
    const ds = createFrameFolderDataset({ clips: [{ id: 'bad', dir: bad, label: 0 }], labels: 'dfew' });
    await expect(ds.get(0)).rejects.toThrow(`${join(bad, '2.jpg')}: cannot decode the image`);
    const empty = join(tmp, 'clip-empty');
    mkdirSync(empty);
    expect(() =>
      createFrameFolderDataset({ clips: [{ id: 'e', dir: empty, label: 0 }], labels: 'dfew' }),
    ).toThrow('empty clip');
  });

  it('rejects a label out of range naming the clip', () => {
    expect(() =>
      createFrameFolderDataset({ clips: [{ id: '0001', dir, label: 7 }], labels: 'dfew' }),
    ).toThrow('clips[0] (0001): label 7');
  });
});

describe('ffmpeg', () => {
  it('resolves a binary (npm package or system)', () => {
    expect(['npm', 'system']).toContain(resolveFfmpeg().source);
  });

  it('falls back to an ffmpeg on PATH when the npm binary is not used; names what it tried', () => {
    const bin = join(tmp, 'fake-bin');
    mkdirSync(bin, { recursive: true });
    const fake = join(bin, 'ffmpeg');
    writeFileSync(fake, '#!/bin/sh\nexit 0\n');
    chmodSync(fake, 0o755);
    expect(resolveFfmpeg({ npm: false, pathEnv: `${join(tmp, 'absent')}${delimiter}${bin}` })).toEqual({
      path: fake,
      source: 'system',
    });
    expect(() => resolveFfmpeg({ npm: false, pathEnv: join(tmp, 'absent') })).toThrow('no ffmpeg on PATH');
    expect(() => resolveFfmpeg({ override: join(tmp, 'absent', 'ffmpeg') })).toThrow(
      'is not an executable file',
    );
    expect(resolveFfmpeg({ pathEnv: '' }).source).toBe('npm');
  });
});

describeWithSharedData('media/single_face.mp4', 'video decoding (real single_face.mp4)', (file) => {
  it('probes 640×360, 30 fps, 72 frames', async () => {
    expect(await probeVideo(file)).toEqual({
      file,
      width: 640,
      height: 360,
      fps: 30,
      numFrames: 72,
      damagedFrames: 0,
    });
    expect((await probeVideo(file, { fps: 10 })).numFrames).toBe(24);
  });

  it('decodes all frames at a chosen size, with the pixel statistics of the reference decode', async () => {
    const ref = media.single_face_mp4_64x36;
    const video = await decodeVideo(file, { size: [36, 64] });
    expect(video.shape).toEqual([ref.numFrames, 36, 64, 3]);
    const frameSize = 36 * 64 * 3;
    for (const [t, expected] of Object.entries(ref.channelMeans)) {
      channelMeans(video.data, Number(t) * frameSize, 36 * 64).forEach((m, c) =>
        expect(m).toBeCloseTo(expected[c] as number, 5),
      );
    }
    const p = 40 * frameSize + (10 * 64 + 20) * 3;
    expect(
      Array.from(video.data.slice(p, p + 3)).map((v, c) => v - (ref.pixel_10_20_frame40[c] as number)),
    ).toEqual([0, 0, 0].map(() => expect.closeTo(0, 6)));
  });

  it('returns only the chosen frames, in the order asked; a missing frame names the file', async () => {
    const all = await decodeVideo(file, { size: [36, 64] });
    const some = await decodeVideo(file, { size: [36, 64], frameIndices: [71, 40, 40] });
    const frameSize = 36 * 64 * 3;
    expect(some.shape[0]).toBe(3);
    expect(Array.from(some.data.subarray(frameSize, 2 * frameSize))).toEqual(
      Array.from(all.data.subarray(40 * frameSize, 41 * frameSize)),
    );
    await expect(decodeVideo(file, { size: [36, 64], frameIndices: [72] })).rejects.toThrow(
      `${file}: frame 72 is missing: the video decodes to 72 frames`,
    );
  });

  it('openVideoFrames streams every frame at the native size, byte for byte what decodeVideo decodes', async () => {
    const stream = await openVideoFrames(file);
    expect(stream.info).toEqual(await probeVideo(file));
    const whole = await decodeVideo(file);
    const frameBytes = 360 * 640 * 3;
    const times: number[] = [];
    for await (const frame of stream) {
      expect([frame.image.width, frame.image.height, frame.image.data.length]).toEqual([
        640,
        360,
        frameBytes,
      ]);
      times.push(frame.time);
      if (frame.index === 0 || frame.index === 40) {
        const want = whole.data.subarray(frame.index * frameBytes, (frame.index + 1) * frameBytes);
        // decodeVideo gives byte / 255 as float32
        expect(Array.from(frame.image.data, (b) => Math.fround(b / 255))).toEqual(Array.from(want));
      }
    }
    expect(times).toHaveLength(72);
    expect(times[30]).toBeCloseTo(1, 12);
    await expect(
      (async () => {
        for await (const frame of stream) void frame;
      })(),
    ).rejects.toThrow('can be iterated only once');
    await expect(openVideoFrames(file, { idleTimeoutMs: 0 })).rejects.toThrow(RangeError);
  });

  it('works as a ClipDataset at 10 fps', async () => {
    const ds = await createVideoDataset({
      videos: [{ file, label: 0 }],
      labels: 'dfew',
      fps: 10,
      size: [32, 32],
    });
    expect(ds.record(0)).toEqual({ id: 'single_face', numFrames: 24, label: 0 });
    const clip = await ds.get(0, { frameIndices: [0, 23] });
    expect(clip.shape).toEqual([2, 32, 32, 3]);
  });
});

describeWithSharedData('media/no_face.mp4', 'videos without a face decode without error', (file) => {
  it('no_face.mp4: 960×540, 95 frames', async () => {
    const info = await probeVideo(file);
    expect([info.width, info.height, info.numFrames]).toEqual([960, 540, 95]);
    const video = await decodeVideo(file, { size: [27, 48] });
    expect(video.shape).toEqual([95, 27, 48, 3]);
  });

  it('noface_face.mov: 169 frames', async () => {
    const mov = file.replace('no_face.mp4', 'noface_face.mov');
    const video = await decodeVideo(mov, { size: [27, 48], frameIndices: [0, 84, 168] });
    expect(video.numFrames).toBe(169);
    expect(video.shape).toEqual([3, 27, 48, 3]);
  });
});

it('a missing or unreadable video names the file', async () => {
  await expect(decodeVideo(join(tmp, 'absent.mp4'))).rejects.toThrow(
    `${join(tmp, 'absent.mp4')}: video file not found`,
  );
  const junk = join(tmp, 'junk.mp4');
  writeFileSync(junk, 'not a video');
  await expect(probeVideo(junk)).rejects.toThrow(`${junk}: ffmpeg cannot decode the video`);
  await expect(openVideoFrames(junk)).rejects.toThrow(`${junk}: ffmpeg cannot decode the video`);
});

describe('OpenFace AU labels attached to a dataset', () => {
  const dir = join(tmp, 'of-clip');
  beforeAll(async () => {
    mkdirSync(dir, { recursive: true });
    for (let n = 1; n <= 4; n++) await writeSolidPng(join(dir, `${n}.png`), [n, n, n]);
    // frames 1..4; AU12_c present on frames 2 and 3; AU01_c on frame 4; success 0 on frame 1
    writeFileSync(
      join(tmp, 'of-clip.csv'),
      'frame, timestamp, confidence, success, AU12_r, AU01_c, AU12_c\n1,0,0.1,0,0,0,0\n2,0.04,0.9,1,2.5,0,1\n3,0.08,0.9,1,2.1,0,1\n4,0.12,0.9,1,0.2,1,0\n',
    );
  });

  it('maps decoded frame f to OpenFace frame f + 1 and re-indexes AUs by name', async () => {
    const frames = createFrameFolderDataset({ clips: [{ id: 'of-clip', dir, label: 0 }], labels: 'dfew' });
    const ds = createOpenFaceAuDataset(frames, {
      openFaceFile: (r) => join(tmp, `${r.id}.csv`),
      aus: ['AU12', 'AU01'],
    });
    expect(ds.auNames).toEqual(['AU12', 'AU01']);
    const clip = await ds.get(0, { frameIndices: [1, 3, 0] });
    expect(Array.from(clip.aus ?? [])).toEqual([1, 0, 0, 1, 0, 0]);
    expect(Array.from(clip.meta?.['auSuccess'] as Uint8Array)).toEqual([1, 1, 0]);
  });

  it('names the CSV when a frame or an AU column is missing', async () => {
    const frames = createFrameFolderDataset({ clips: [{ id: 'of-clip', dir, label: 0 }], labels: 'dfew' });
    const csv = join(tmp, 'of-clip.csv');
    const short = join(tmp, 'of-short.csv');
    writeFileSync(short, 'frame, timestamp, confidence, success, AU12_c\n1,0,0.9,1,0\n');
    const missingFrame = createOpenFaceAuDataset(frames, { openFaceFile: () => short, aus: ['AU12'] });
    await expect(missingFrame.get(0, { frameIndices: [2] })).rejects.toThrow(`${short}: no row for frame 3`);
    const missingAu = createOpenFaceAuDataset(frames, { openFaceFile: () => csv, aus: ['AU45'] });
    await expect(missingAu.get(0)).rejects.toThrow(`${csv}: presence columns: no column for AU45`);
  });
});

describe('DFEW CSV dataset', () => {
  it('joins the CSV labels with <framesRoot>/<5-digit id> frame folders', async () => {
    const root = join(tmp, 'dfew-frames');
    for (const id of ['00001', '00025']) {
      mkdirSync(join(root, id), { recursive: true });
      for (let n = 1; n <= 3; n++) await writeSolidPng(join(root, id, `${id}_${n}.png`), [0, 0, 0]);
    }
    const csv = join(tmp, 'set_1.csv');
    writeFileSync(csv, 'video_name,label\n1,1\n25,7\n');
    const ds = createDfewCsvDataset(csv, { framesRoot: root, size: [2, 2] });
    expect([ds.record(0), ds.record(1)]).toEqual([
      { id: '00001', numFrames: 3, label: 0 },
      { id: '00025', numFrames: 3, label: 6 },
    ]);
    expect((await ds.get(1)).shape).toEqual([3, 2, 2, 3]);
    writeFileSync(csv, 'video_name,label\n1,1\n99,2\n');
    expect(() => createDfewCsvDataset(csv, { framesRoot: root })).toThrow(
      `${join(root, '00099')}: cannot read the frame folder`,
    );
    writeFileSync(csv, 'video_name,label\n1,1\n99,2\n0x,3\n');
    expect(() => createDfewCsvDataset(csv, { framesRoot: root })).toThrow(
      `${csv}:4: video_name: expected a clip number`,
    );
    const lenient = createDfewCsvDataset(csv, { framesRoot: root, onError: 'skip' });
    expect(lenient.length).toBe(1);
    expect(lenient.skipped.map((s) => s.line ?? s.file)).toEqual([4, join(root, '00099')]);
    expect(lenient.skipped[1]?.reason).toContain('cannot read the frame folder');
  });
});
