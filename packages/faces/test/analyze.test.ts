import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithSharedFiles, sharedDataPath } from '@dfer/test-utils';
import {
  analyzeImage,
  analyzeVideo,
  createFaceDetector,
  EXPRESSION_LABELS,
  GEOMETRY_AUS,
  type FaceDetector,
  type FrameResult,
} from '@dfer/faces';

let detector: FaceDetector;
beforeAll(async () => {
  detector = await createFaceDetector({ expression: false });
});

async function collect(
  path: string,
  every: number,
): Promise<{ frames: FrameResult[]; summary: ReturnType<ReturnType<typeof analyzeVideo>['summary']> }> {
  const analysis = analyzeVideo(path, { every, detector });
  const frames: FrameResult[] = [];
  for await (const frame of analysis) frames.push(frame);
  return { frames, summary: analysis.summary() };
}

const MEDIA = [
  'media/single_face.mp4',
  'media/no_face.mp4',
  'media/noface_face.mov',
  'media/single_face.jpg',
  'media/multi_face.jpg',
];

describeWithSharedFiles(
  'analyzeVideo / analyzeImage on the shared media',
  MEDIA,
  (single, none, late, photo, group) => {
    it('single_face.mp4: one track over the whole clip, happy dominant (AU prior), AU12 high', async () => {
      const { frames, summary } = await collect(single, 4);
      expect(frames.map((f) => f.frame)).toEqual(Array.from({ length: 18 }, (_, i) => 4 * i));
      expect(frames.every((f) => f.faces.length === 1 && f.faces[0]!.id === 0)).toBe(true);
      expect(summary).toMatchObject({
        kind: 'video',
        frames: 72,
        analyzedFrames: 18,
        fps: 30,
        width: 640,
        height: 360,
      });
      expect(summary.faces).toHaveLength(1);
      expect(summary.faces[0]).toMatchObject({
        id: 0,
        firstFrame: 0,
        lastFrame: 68,
        frames: 18,
        dominant: 'happy',
      });
      expect(summary.faces[0]!.aus['AU12']).toBeGreaterThan(2);
      for (const f of frames) {
        const p = f.faces[0]!.expression;
        expect(p).toHaveLength(EXPRESSION_LABELS.length);
        expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
        expect(f.faces[0]!.aus).toHaveLength(GEOMETRY_AUS.length);
        expect(Math.min(...f.faces[0]!.aus)).toBeGreaterThanOrEqual(0);
        expect(Math.max(...f.faces[0]!.aus)).toBeLessThanOrEqual(5);
        expect(f.time).toBeCloseTo(f.frame / 30, 12);
      }
      // segments cover the clip in order
      const seg = summary.faces[0]!.segments;
      expect(seg[0]!.startS).toBe(0);
      expect(seg[seg.length - 1]!.endS).toBeCloseTo((68 + 4) / 30, 10);
      expect(summary.warnings).toEqual([]);
    });

    it('no_face.mp4: no face in any frame, and the summary says so', async () => {
      const { frames, summary } = await collect(none, 6);
      expect(frames).toHaveLength(16);
      expect(frames.every((f) => f.faces.length === 0)).toBe(true);
      expect(summary.faces).toEqual([]);
      expect(summary.framesWithoutFace).toBe(16);
      expect(summary.warnings).toEqual(['no face was found in any of the 16 analysed frame(s)']);
    });

    it('noface_face.mov: no face during the title, then one track to the end', async () => {
      const { frames, summary } = await collect(late, 6);
      const withFace = frames.filter((f) => f.faces.length > 0);
      expect(withFace.length).toBeGreaterThan(8);
      // the title runs for about the first half to two thirds of the 169 frames
      expect(withFace[0]!.frame).toBeGreaterThanOrEqual(84);
      expect(summary.faces).toHaveLength(1);
      expect(summary.faces[0]!.lastFrame).toBeGreaterThanOrEqual(156);
      expect(summary.frames).toBe(169);
    });

    it('single_face.jpg: one face; multi_face.jpg: the five faces counted by eye', async () => {
      const one = await analyzeImage(photo, { detector });
      expect(one.frame.faces).toHaveLength(1);
      expect(one.summary).toMatchObject({ kind: 'image', frames: 1, fps: 0 });
      expect(one.summary.faces[0]!.dominant).toBe('happy');
      const five = await analyzeImage(group, { detector });
      expect(five.frame.faces.map((f) => f.id)).toEqual([0, 1, 2, 3, 4]);
      expect(five.summary.faces).toHaveLength(5);
    });
  },
);

describe('bad input', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dfer-faces-bad-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a text file named .mp4, a missing file and a fake .jpg: one error naming the file', async () => {
    const text = join(dir, 'notes.mp4');
    writeFileSync(text, 'hello, not a video\n');
    const drain = async (path: string): Promise<void> => {
      for await (const frame of analyzeVideo(path, { detector })) void frame;
    };
    await expect(drain(text)).rejects.toThrow(new RegExp(`^${text}: ffmpeg cannot decode the video`));
    await expect(drain(join(dir, 'missing.mp4'))).rejects.toThrow(/missing\.mp4: video file not found/);
    const fake = join(dir, 'fake.jpg');
    writeFileSync(fake, 'not an image');
    await expect(analyzeImage(fake, { detector })).rejects.toThrow(
      new RegExp(`^${fake}: cannot decode the image`),
    );
  });

  it('bad options are refused before any work', () => {
    expect(() => analyzeVideo('x.mp4', { every: 0 })).toThrow(/options.every must be an integer ≥ 1, got 0/);
    expect(() => analyzeVideo('x.mp4', { expression: 'model' })).toThrow(/needs options.model/);
    expect(() => analyzeVideo('x.mp4', { expression: 'smile' as never })).toThrow(/one of prior, fer, model/);
  });

  const source = sharedDataPath('media/single_face.mp4');
  (source === undefined ? it.skip : it)(
    'a video with damaged frames: analysed, with a warning counting them',
    async () => {
      // overwrite 40 runs of 20 bytes between 30 % and 70 % of the file (inside the frame data; seeded positions)
      const bytes = readFileSync(source!);
      let state = 3;
      const next = (): number => (state = (state * 1103515245 + 12345) % 2 ** 31);
      for (let k = 0; k < 40; k++) {
        const at = Math.floor(bytes.length * 0.3) + (next() % Math.floor(bytes.length * 0.4));
        for (let j = 0; j < 20; j++) bytes[at + j] = next() & 255;
      }
      const damaged = join(dir, 'damaged.mp4');
      writeFileSync(damaged, bytes);
      const { frames, summary } = await collect(damaged, 12);
      expect(frames.length).toBeGreaterThan(0);
      expect(summary.warnings.some((w) => /ffmpeg reported \d+ damaged or lost frame\(s\)/.test(w))).toBe(
        true,
      );
    },
  );
});
