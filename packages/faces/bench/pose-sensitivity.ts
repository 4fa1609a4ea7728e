/**
 * Evidence (not a test): AU intensities read from head pose alone. A neutral face is analysed frontal
 * (its own baseline) and turned; every AU read on the turned face is a false activation.
 *  - synthetic faces of `@dfer/datasets` (`identities` seeded identities, 192×192): yaw 0.3 rad, pitch ±0.25 rad,
 *    roll 0.3 rad (the generator's head pose);
 *  - the shared photo `single_face.jpg` rotated in the image plane by ±10° and ±20° (sharp).
 * Writes bench/results/pose-sensitivity.json: the mean false intensity per AU per pose (AUs ≥ 0.05).
 *
 * Run: npx tsx packages/faces/bench/pose-sensitivity.ts [identities]
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { createRandomSource } from '@dfer/datasets';
import {
  CLEAN_PHOTOMETRY,
  FRONTAL_FRAMING,
  renderFaceFrame,
  sampleFaceIdentity,
  type HeadPose,
} from '@dfer/datasets/synthetic';
import {
  GEOMETRY_AUS,
  createFaceDetector,
  estimateAus,
  measureFaceGeometry,
  type FaceDetector,
} from '../src';

const identities = Number(process.argv[2] ?? 6);
const size = 192;
const photo = resolve(
  process.env.DFER_SHARED_DATA ?? join(__dirname, '..', '..', '..', '..', 'shared', 'data'),
  'media',
  'single_face.jpg',
);

const report = (sums: number[], n: number): Record<string, number> =>
  Object.fromEntries(
    GEOMETRY_AUS.map((au, i) => [au, Number((sums[i]! / Math.max(n, 1)).toFixed(2))]).filter(
      ([, v]) => (v as number) >= 0.05,
    ),
  );

async function features(
  detector: FaceDetector,
  data: Uint8Array,
  width: number,
  height: number,
): Promise<Float64Array | undefined> {
  const faces = await detector.detect({ data, width, height });
  return faces.length === 1 ? measureFaceGeometry(faces[0]!.landmarks).features : undefined;
}

async function main(): Promise<void> {
  const loadStart = loadavg();
  const detector = await createFaceDetector({ expression: false, minDetectorScore: 0.3 });
  const poses: { name: string; pose: HeadPose }[] = [
    { name: 'yaw +0.3 rad', pose: { yaw: 0.3, pitch: 0, roll: 0 } },
    { name: 'pitch +0.25 rad', pose: { yaw: 0, pitch: 0.25, roll: 0 } },
    { name: 'pitch -0.25 rad', pose: { yaw: 0, pitch: -0.25, roll: 0 } },
    { name: 'roll +0.3 rad', pose: { yaw: 0, pitch: 0, roll: 0.3 } },
  ];
  const synthetic: Record<string, { faces: number; falseIntensity: Record<string, number> }> = {};
  for (const { name, pose } of poses) {
    const sums = new Array<number>(GEOMETRY_AUS.length).fill(0);
    let n = 0;
    for (let k = 0; k < identities; k++) {
      const identity = sampleFaceIdentity(createRandomSource(1000 + k));
      const render = (p: HeadPose): Uint8Array =>
        renderFaceFrame(
          {
            identity,
            aus: {},
            framing: { ...FRONTAL_FRAMING, pose: p, scale: 0.8 },
            photometry: CLEAN_PHOTOMETRY,
            noiseSeed: 1,
          },
          size,
          size,
        );
      const base = await features(detector, render(FRONTAL_FRAMING.pose), size, size);
      const turned = await features(detector, render(pose), size, size);
      if (base === undefined || turned === undefined) continue;
      n++;
      estimateAus(turned, base).forEach((v, i) => (sums[i] = sums[i]! + v));
    }
    synthetic[name] = { faces: n, falseIntensity: report(sums, n) };
  }
  const real: Record<string, Record<string, number>> = {};
  if (existsSync(photo)) {
    const load = async (deg: number): Promise<Float64Array | undefined> => {
      const { data, info } = await sharp(photo)
        .rotate(deg, { background: '#000' })
        .removeAlpha()
        .raw()
        .toBuffer({ resolveWithObject: true });
      return features(detector, new Uint8Array(data), info.width, info.height);
    };
    const base = await load(0);
    for (const deg of [-20, -10, 10, 20]) {
      const turned = await load(deg);
      if (base !== undefined && turned !== undefined)
        real[`in-plane ${deg}°`] = report(Array.from(estimateAus(turned, base)), 1);
    }
  }
  const result = {
    description:
      'Mean AU intensity (0–5) read on a neutral face turned away from its own frontal baseline: false activations caused by head pose alone (@dfer/faces landmark geometry; AUs below 0.05 omitted)',
    date: new Date().toISOString(),
    machine: `${cpus().length} CPU(s); load average at start ${loadStart.map((l) => l.toFixed(2)).join(' / ')}`,
    synthetic: { identities, size, poses: synthetic },
    realPhotoRotated: real,
  };
  const dir = join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'pose-sensitivity.json'), JSON.stringify(result, null, 2) + '\n');
  console.log(JSON.stringify(result, null, 1));
}

void main();
