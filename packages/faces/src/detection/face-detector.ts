/**
 * Face detection + 478-point landmarks (+ optional FER2013 emotion) with `@vladmandic/human`
 * running offline on tfjs-wasm.
 */
import { LABEL_SETS } from '@dfer/au-knowledge';
import type { FaceBox, RgbFrame } from '../types';
import { loadHuman, type HumanFace, type HumanInstance } from './human-engine';

/** Number of landmarks per face: MediaPipe face mesh (468) + 2 × 5 iris points. */
export const MESH_POINT_COUNT = 478;

/** Expression labels of every probability vector of this package: the DFEW label set, in its order. */
export const EXPRESSION_LABELS: readonly string[] = LABEL_SETS.dfew;

/** Build-time options of {@link createFaceDetector}. */
export interface FaceDetectorConfig {
  /** Most faces reported per image (default 10). */
  readonly maxFaces?: number;
  /** Minimum confidence of the face mesh for a face to be reported, in (0, 1) (default 0.5). */
  readonly minConfidence?: number;
  /**
   * Minimum BlazeFace detector confidence, in (0, 1) (default 0.7). Chosen on the shared test media:
   * an animated title with no face gave detector scores up to 0.65 (with mesh scores up to 0.99),
   * the real faces 0.78–0.88.
   */
  readonly minDetectorScore?: number;
  /** Also run Human's FER2013 expression classifier on each face (default true). */
  readonly expression?: boolean;
  /**
   * Integer factor by which the frame is enlarged (bilinear) before detection, 1–4 (default 2). Human
   * truncates landmark coordinates to whole pixels of its input; at 2 the truncation is half a pixel of
   * the frame, which lowers the landmark noise that AU geometry reads (measured on synthetic faces: the
   * per-AU correlation with the true intensity rises for 11 of the 16 AUs; package README).
   */
  readonly upsample?: number;
}

/** One detected face. */
export interface DetectedFace {
  /** Face box (from the landmarks), in image pixels, clipped to the image. */
  readonly box: FaceBox;
  /** Face mesh confidence in [0, 1] (the score Human reports for a face). */
  readonly score: number;
  /** BlazeFace detector confidence in [0, 1]. */
  readonly detectorScore: number;
  /** 478 landmarks `[x, y, z]` (row-major, length 1434) in image pixels; z is relative depth. */
  readonly landmarks: Float32Array;
  /**
   * Probabilities of the FER2013 classifier in {@link EXPRESSION_LABELS} order (sums to 1), when the
   * detector was built with `expression: true`.
   */
  readonly fer?: Float64Array;
}

/** A loaded face detector. */
export interface FaceDetector {
  /** Detects faces in one RGB frame; faces are ordered left to right. */
  detect(frame: RgbFrame): Promise<DetectedFace[]>;
  /** What runs underneath. */
  readonly info: { readonly library: string; readonly backend: string; readonly models: readonly string[] };
}

const DEFAULT_CONFIG = {
  maxFaces: 10,
  minConfidence: 0.5,
  minDetectorScore: 0.7,
  expression: true,
  upsample: 2,
} as const;

/** Human's emotion names → DFEW label names (FER2013 and DFEW share the 7 basic expressions). */
const FER_TO_LABEL: Readonly<Record<string, string>> = {
  angry: 'angry',
  disgust: 'disgust',
  fear: 'fear',
  happy: 'happy',
  sad: 'sad',
  surprise: 'surprise',
  neutral: 'neutral',
};

/**
 * Loads the detector: BlazeFace (short range) + MediaPipe face mesh with iris, and optionally the
 * FER2013 mini-Xception expression classifier, all from files inside `@vladmandic/human` (no
 * download). One model set per process; creating several detectors shares it.
 *
 * @throws RangeError for a bad config field; Error when the models cannot be loaded on wasm.
 */
export async function createFaceDetector(config: FaceDetectorConfig = {}): Promise<FaceDetector> {
  const maxFaces = config.maxFaces ?? DEFAULT_CONFIG.maxFaces;
  const minConfidence = config.minConfidence ?? DEFAULT_CONFIG.minConfidence;
  const expression = config.expression ?? DEFAULT_CONFIG.expression;
  const minDetectorScore = config.minDetectorScore ?? DEFAULT_CONFIG.minDetectorScore;
  if (!(minDetectorScore > 0 && minDetectorScore < 1))
    throw new RangeError(
      `createFaceDetector: config.minDetectorScore must be in (0, 1), got ${minDetectorScore}`,
    );
  if (!(Number.isInteger(maxFaces) && maxFaces >= 1 && maxFaces <= 100))
    throw new RangeError(
      `createFaceDetector: config.maxFaces must be an integer in [1, 100], got ${maxFaces}`,
    );
  if (!(minConfidence > 0 && minConfidence < 1))
    throw new RangeError(`createFaceDetector: config.minConfidence must be in (0, 1), got ${minConfidence}`);
  const upsample = config.upsample ?? DEFAULT_CONFIG.upsample;
  if (!(Number.isInteger(upsample) && upsample >= 1 && upsample <= 4))
    throw new RangeError(`createFaceDetector: config.upsample must be an integer in [1, 4], got ${upsample}`);
  const settings = { emotion: expression, maxFaces, minConfidence, upsample };
  const human = await loadHuman(settings);
  const models = ['blazeface', 'facemesh', 'iris', ...(expression ? ['emotion (FER2013)'] : [])];
  return {
    info: { library: '@vladmandic/human', backend: human.tf.getBackend(), models },
    detect: async (frame) =>
      (await detectFaces(human, frame, settings)).filter((f) => f.detectorScore >= minDetectorScore),
  };
}

async function detectFaces(
  human: HumanInstance,
  frame: RgbFrame,
  settings: { emotion: boolean; maxFaces: number; minConfidence: number; upsample: number },
): Promise<DetectedFace[]> {
  const { width, height, data } = frame;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0))
    throw new RangeError(`detect: frame size must be positive integers, got ${width}×${height}`);
  if (data.length !== width * height * 3)
    throw new RangeError(
      `detect: frame.data has ${data.length} bytes; a ${width}×${height} RGB frame has ${width * height * 3}`,
    );
  // the shared Human instance may have been reconfigured by another detector of this process
  await loadHuman(settings);
  // Human's models live on the wasm backend; code elsewhere in the process (e.g. a trainer that chose
  // tfjs-cpu) may have switched the active backend, which would run them ~25× slower: switch to wasm for
  // the call and back afterwards.
  const previous = human.tf.getBackend();
  if (previous !== 'wasm') await human.tf.setBackend('wasm');
  const input = human.tf.tensor4d(data, [1, height, width, 3], 'int32');
  const scale = settings.upsample;
  const scaled = scale === 1 ? input : human.tf.image.resizeBilinear(input, [height * scale, width * scale]);
  let result;
  try {
    result = await human.detect(scaled);
  } finally {
    input.dispose();
    if (scaled !== input) scaled.dispose();
    if (previous !== 'wasm' && previous !== undefined) await human.tf.setBackend(previous);
  }
  if (result.error) throw new Error(`@vladmandic/human failed: ${result.error}`);
  return result.face
    .map((face) => toDetectedFace(face, width, height, settings.emotion, scale))
    .sort((a, b) => a.box.x - b.box.x || a.box.y - b.box.y);
}

function toDetectedFace(
  face: HumanFace,
  width: number,
  height: number,
  emotion: boolean,
  scale: number,
): DetectedFace {
  const landmarks = new Float32Array(MESH_POINT_COUNT * 3);
  if (face.mesh.length !== MESH_POINT_COUNT)
    throw new Error(`@vladmandic/human returned ${face.mesh.length} landmarks, expected ${MESH_POINT_COUNT}`);
  face.mesh.forEach((p, i) => {
    landmarks[3 * i] = (p[0] ?? Number.NaN) / scale;
    landmarks[3 * i + 1] = (p[1] ?? Number.NaN) / scale;
    landmarks[3 * i + 2] = p[2] ?? 0;
  });
  const [bx, by, bw, bh] = face.box.map((v) => v / scale) as [number, number, number, number];
  const x = Math.max(0, bx);
  const y = Math.max(0, by);
  const box = { x, y, width: Math.min(width, bx + bw) - x, height: Math.min(height, by + bh) - y };
  const detected: DetectedFace = { box, score: face.score, detectorScore: face.boxScore, landmarks };
  if (!emotion) return detected;
  return { ...detected, fer: ferProbabilities(face.emotion ?? []) };
}

/**
 * Human reports each class score truncated to 2 decimals and capped at 0.99; the vector is put back
 * on the simplex by dividing by its sum (uniform when every score truncated to 0).
 */
function ferProbabilities(scores: readonly { score: number; emotion: string }[]): Float64Array {
  const out = new Float64Array(EXPRESSION_LABELS.length);
  for (const { score, emotion } of scores) {
    const label = FER_TO_LABEL[emotion];
    if (label === undefined) throw new Error(`@vladmandic/human reported an unknown emotion '${emotion}'`);
    out[EXPRESSION_LABELS.indexOf(label)] = score;
  }
  const sum = out.reduce((a, b) => a + b, 0);
  if (sum <= 0) return out.fill(1 / out.length);
  return out.map((v) => v / sum);
}
