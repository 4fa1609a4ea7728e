import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeImage, listFrameFiles } from '@dfer/datasets/media';
import { describeWithSharedFiles } from '@dfer/test-utils';
import {
  createFaceDetector,
  measureFaceGeometry,
  prepareFaceClip,
  readImageFrame,
  type FaceDetector,
} from '@dfer/faces';

describeWithSharedFiles('prepareFaceClip', ['media/single_face.mp4', 'media/no_face.mp4'], (single, none) => {
  const dir = mkdtempSync(join(tmpdir(), 'dfer-faces-prepare-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let detector: FaceDetector;
  beforeAll(async () => {
    detector = await createFaceDetector({ expression: false });
  });

  it('writes the main face as a frame folder of aligned 112×112 JPEGs, eyes where the template puts them', async () => {
    const out = join(dir, 'clips');
    const result = await prepareFaceClip(single, out, { every: 12, detector });
    expect(result).toMatchObject({ frames: 72, analyzedFrames: 6, framesWritten: 6, faces: 1 });
    expect(result.folder).toBe(join(out, 'single_face'));
    const files = listFrameFiles(result.folder!);
    expect(files.map((f) => f.split('/').pop())).toEqual([
      '00001.jpg',
      '00013.jpg',
      '00025.jpg',
      '00037.jpg',
      '00049.jpg',
      '00061.jpg',
    ]);
    expect(readdirSync(out)).toEqual(['single_face']); // no temporary folder left
    const image = await decodeImage(files[0]!);
    expect([image.height, image.width]).toEqual([112, 112]);
    // the detector finds the face in the crop, with its eye centres at the template's (0.3·112, 0.4·112)
    // and (0.7·112, 0.4·112), within 3 px
    const faces = await detector.detect(await readImageFrame(files[2]!));
    expect(faces).toHaveLength(1);
    const g = measureFaceGeometry(faces[0]!.landmarks);
    expect(Math.hypot(g.rightEye[0] - 33.6, g.rightEye[1] - 44.8)).toBeLessThan(3);
    expect(Math.hypot(g.leftEye[0] - 78.4, g.leftEye[1] - 44.8)).toBeLessThan(3);
  });

  it('refuses to overwrite a folder; a video without a face writes nothing', async () => {
    const out = join(dir, 'clips');
    await expect(prepareFaceClip(single, out, { every: 12, detector })).rejects.toThrow(
      /single_face already exists/,
    );
    const result = await prepareFaceClip(none, out, { every: 10, detector });
    expect(result).toMatchObject({ folder: undefined, framesWritten: 0, faces: 0, analyzedFrames: 10 });
    expect(readdirSync(out)).toEqual(['single_face']);
  });
});
