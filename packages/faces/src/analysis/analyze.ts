/**
 * From a video or photo to faces, AU estimates and expression probabilities per frame, and a
 * summary per face.
 */
import { alignFace } from '../alignment/align-face';
import {
  createFaceDetector,
  EXPRESSION_LABELS,
  type DetectedFace,
  type FaceDetector,
} from '../detection/face-detector';
import { priorExpression } from '../expression/prior-expression';
import { loadWindowExpressionModel, type WindowExpressionModel } from '../expression/window-model';
import { measureFaceGeometry } from '../geometry/face-geometry';
import {
  createNeutralBaseline,
  estimateAus,
  GEOMETRY_AUS,
  type NeutralBaseline,
  type NeutralBaselineConfig,
} from '../geometry/au-estimates';
import { NEUTRAL_REFERENCE } from '../geometry/neutral-reference';
import { readImageFrame } from '../media/image-frame';
import { openVideoFrames } from '@dfer/datasets/media';
import { createFaceTracker, type FaceTrackerConfig } from '../tracking/face-tracker';
import type { FaceBox, RgbFrame } from '../types';

/**
 * Where per-frame expression probabilities come from:
 * - `'prior'` (default): zero-shot, the AU estimates through the DFEW AU–expression prior
 *   ({@link priorExpression}); no model beyond the face mesh.
 * - `'fer'`: the FER2013 frame classifier shipped with the detection library.
 * - `'model'`: a DFER model from `dfer export-onnx` on sliding windows of aligned crops (`options.model`).
 */
export type ExpressionSource = 'prior' | 'fer' | 'model';

/** The expression sources, default first. */
export const EXPRESSION_SOURCES: readonly ExpressionSource[] = ['prior', 'fer', 'model'];

/** Progress of {@link analyzeVideo}. */
export interface AnalysisProgress {
  /** Frames decoded so far. */
  readonly frame: number;
  /** Frames in the video. */
  readonly totalFrames: number;
}

/** Per-call options of {@link analyzeVideo} and {@link analyzeImage}. */
export interface AnalyzeOptions {
  /** Expression source (default `'prior'`). */
  readonly expression?: ExpressionSource;
  /** The ONNX model file for `expression: 'model'`. */
  readonly model?: string;
  /** Analyse every N-th frame (default 1: all). */
  readonly every?: number;
  /** Most faces per frame (default 10). */
  readonly maxFaces?: number;
  /** Tracking options; its frame counts (`maxMissedFrames`) are in analysed frames. */
  readonly tracker?: FaceTrackerConfig;
  /** Per-track neutral baseline options (videos only). */
  readonly baseline?: NeutralBaselineConfig;
  /** Side of the per-face thumbnail kept for reports, in pixels (default 96). */
  readonly thumbnailSize?: number;
  /** Called after each decoded frame. */
  readonly onProgress?: (progress: AnalysisProgress) => void;
  /** A detector to reuse (default: one is created). */
  readonly detector?: FaceDetector;
}

/** One face in one frame. */
export interface FaceResult {
  /** Track id, stable across frames (0, 1, … in order of appearance). */
  readonly id: number;
  readonly box: FaceBox;
  /** Face mesh confidence in [0, 1]. */
  readonly score: number;
  /** 478 × 3 landmarks in image pixels. */
  readonly landmarks: Float32Array;
  /** AU intensities 0–5, in {@link GEOMETRY_AUS} order. */
  readonly aus: Float64Array;
  /** Expression probabilities in {@link EXPRESSION_LABELS} order (sum 1), from the chosen source. */
  readonly expression: Float64Array;
}

/** One analysed frame. */
export interface FrameResult {
  /** 0-based frame index in the video (0 for a photo). */
  readonly frame: number;
  /** Seconds from the start (frame / fps). */
  readonly time: number;
  /** The faces found, ordered by id. */
  readonly faces: readonly FaceResult[];
}

/** A stretch of frames over which one expression is the most probable. */
export interface ExpressionSegment {
  readonly startS: number;
  readonly endS: number;
  readonly expression: string;
}

/** A small aligned picture of a face (RGB bytes, `size × size × 3`). */
export interface FaceThumbnail {
  readonly size: number;
  readonly data: Uint8Array;
}

/** One face (track) over the whole input. */
export interface FaceSummary {
  readonly id: number;
  readonly firstFrame: number;
  readonly lastFrame: number;
  /** Analysed frames the face appears in. */
  readonly frames: number;
  /** Mean expression probabilities over its frames, by label. */
  readonly expression: Readonly<Record<string, number>>;
  /** The label with the highest mean probability. */
  readonly dominant: string;
  /** Runs of frames with the same most probable expression (a run also ends where the face is missing). */
  readonly segments: readonly ExpressionSegment[];
  /** Mean AU intensities over its frames, by AU. */
  readonly aus: Readonly<Record<string, number>>;
  /** The aligned face at its highest-scoring frame. */
  readonly thumbnail: FaceThumbnail;
}

/** The whole input. */
export interface AnalysisSummary {
  readonly input: string;
  readonly kind: 'video' | 'image';
  /** Frames of the input (1 for a photo). */
  readonly frames: number;
  /** Frames analysed (every `every`-th). */
  readonly analyzedFrames: number;
  readonly every: number;
  /** Frame rate (0 for a photo). */
  readonly fps: number;
  readonly width: number;
  readonly height: number;
  readonly expressionSource: ExpressionSource;
  /** Labels of every expression vector. */
  readonly expressionLabels: readonly string[];
  /** AUs of every AU vector. */
  readonly aus: readonly string[];
  /** Faces ordered by the number of frames they appear in (most first), then by id. */
  readonly faces: readonly FaceSummary[];
  /** Analysed frames in which no face was found. */
  readonly framesWithoutFace: number;
  /** Plain-language notes: no face found, decoding errors. */
  readonly warnings: readonly string[];
}

/** A running video analysis: iterate it once for the frames, then read the summary. */
export interface VideoAnalysis extends AsyncIterable<FrameResult> {
  /** The summary; available once iteration has finished. */
  summary(): AnalysisSummary;
}

interface TrackState {
  readonly id: number;
  readonly baseline: NeutralBaseline;
  firstFrame: number;
  lastFrame: number;
  frames: number;
  readonly expressionSum: Float64Array;
  readonly ausSum: Float64Array;
  segments: { startS: number; endS: number; expression: string; lastFrame: number }[];
  bestScore: number;
  thumbnail: FaceThumbnail;
}

function checkOptions(options: AnalyzeOptions): { source: ExpressionSource; every: number; thumb: number } {
  const source = options.expression ?? 'prior';
  if (!EXPRESSION_SOURCES.includes(source))
    throw new RangeError(
      `options.expression must be one of ${EXPRESSION_SOURCES.join(', ')}, got '${source}'`,
    );
  if (source === 'model' && (options.model === undefined || options.model === ''))
    throw new RangeError(
      "options.expression 'model' needs options.model (an ONNX file from `dfer export-onnx`)",
    );
  if (source !== 'model' && options.model !== undefined)
    throw new RangeError(`options.model is used only with expression 'model', not '${source}'`);
  const every = options.every ?? 1;
  if (!(Number.isInteger(every) && every >= 1))
    throw new RangeError(`options.every must be an integer ≥ 1, got ${every}`);
  const thumb = options.thumbnailSize ?? 96;
  if (!(Number.isInteger(thumb) && thumb >= 8 && thumb <= 512))
    throw new RangeError(`options.thumbnailSize must be an integer in [8, 512], got ${thumb}`);
  return { source, every, thumb };
}

/** The per-face work shared by videos and photos. */
class FaceAnalyzer {
  readonly tracks = new Map<number, TrackState>();
  constructor(
    private readonly source: ExpressionSource,
    private readonly model: WindowExpressionModel | undefined,
    private readonly thumb: number,
    private readonly baselineConfig: NeutralBaselineConfig | undefined,
  ) {}

  async face(
    id: number,
    detected: DetectedFace,
    image: RgbFrame,
    frame: number,
    time: number,
    frameSeconds: number,
    useReference: boolean,
  ): Promise<FaceResult> {
    let track = this.tracks.get(id);
    if (track === undefined) {
      track = {
        id,
        baseline: createNeutralBaseline(this.baselineConfig),
        firstFrame: frame,
        lastFrame: frame,
        frames: 0,
        expressionSum: new Float64Array(EXPRESSION_LABELS.length),
        ausSum: new Float64Array(GEOMETRY_AUS.length),
        segments: [],
        bestScore: -1,
        thumbnail: { size: this.thumb, data: new Uint8Array(this.thumb * this.thumb * 3) },
      };
      this.tracks.set(id, track);
    }
    const geometry = measureFaceGeometry(detected.landmarks);
    const base = useReference ? NEUTRAL_REFERENCE : track.baseline.update(geometry.features);
    const aus = estimateAus(geometry.features, base);
    let expression: Float64Array;
    if (this.source === 'prior') expression = priorExpression(aus);
    else if (this.source === 'fer') {
      if (detected.fer === undefined) throw new Error('the detector was built without its expression model');
      expression = detected.fer;
    } else expression = await (this.model as WindowExpressionModel).push(id, image, detected.landmarks);
    track.lastFrame = frame;
    track.frames++;
    expression.forEach((p, i) => (track.expressionSum[i] = (track.expressionSum[i] as number) + p));
    aus.forEach((v, i) => (track.ausSum[i] = (track.ausSum[i] as number) + v));
    const label = EXPRESSION_LABELS[argmax(expression)] as string;
    const last = track.segments[track.segments.length - 1];
    const contiguous = last !== undefined && frame - last.lastFrame <= this.gap;
    if (last !== undefined && contiguous && last.expression === label) {
      last.endS = time + frameSeconds;
      last.lastFrame = frame;
    } else
      track.segments.push({ startS: time, endS: time + frameSeconds, expression: label, lastFrame: frame });
    if (detected.score > track.bestScore) {
      track.bestScore = detected.score;
      const crop = alignFace(image, detected.landmarks, { height: this.thumb, width: this.thumb });
      track.thumbnail = { size: this.thumb, data: Uint8Array.from(crop, (v) => Math.round(v * 255)) };
    }
    return { id, box: detected.box, score: detected.score, landmarks: detected.landmarks, aus, expression };
  }

  /** Largest frame step that keeps a segment running (set to `every`). */
  gap = 1;

  summaries(): FaceSummary[] {
    return [...this.tracks.values()]
      .map((t): FaceSummary => {
        const mean = Array.from(t.expressionSum, (s) => s / t.frames);
        return {
          id: t.id,
          firstFrame: t.firstFrame,
          lastFrame: t.lastFrame,
          frames: t.frames,
          expression: Object.fromEntries(EXPRESSION_LABELS.map((l, i) => [l, mean[i] as number])),
          dominant: EXPRESSION_LABELS[argmax(mean)] as string,
          segments: t.segments.map(({ startS, endS, expression }) => ({ startS, endS, expression })),
          aus: Object.fromEntries(GEOMETRY_AUS.map((a, i) => [a, (t.ausSum[i] as number) / t.frames])),
          thumbnail: t.thumbnail,
        };
      })
      .sort((a, b) => b.frames - a.frames || a.id - b.id);
  }
}

function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if ((values[i] as number) > (values[best] as number)) best = i;
  return best;
}

async function prepare(options: AnalyzeOptions): Promise<{
  detector: FaceDetector;
  model: WindowExpressionModel | undefined;
  source: ExpressionSource;
  every: number;
  thumb: number;
}> {
  const { source, every, thumb } = checkOptions(options);
  const detector =
    options.detector ??
    (await createFaceDetector({
      expression: source === 'fer',
      ...(options.maxFaces === undefined ? {} : { maxFaces: options.maxFaces }),
    }));
  const model = source === 'model' ? await loadWindowExpressionModel(options.model as string) : undefined;
  return { detector, model, source, every, thumb };
}

function noFaceWarning(analyzed: number, without: number): string[] {
  return without === analyzed ? [`no face was found in any of the ${analyzed} analysed frame(s)`] : [];
}

/**
 * Analyses a video frame by frame: detection + landmarks, tracking, AU estimates against each
 * track's neutral baseline, and expression probabilities from `options.expression`. Frames are
 * decoded and analysed one at a time (memory does not grow with the video's length, except for the
 * per-face summaries); iterate the result once, then call `summary()`.
 *
 * @throws (when iteration starts) DatasetInputError naming the file when it is missing or not a
 *   decodable video; RangeError for bad options.
 */
export function analyzeVideo(path: string, options: AnalyzeOptions = {}): VideoAnalysis {
  checkOptions(options);
  let summary: AnalysisSummary | undefined;
  let started = false;
  return {
    summary() {
      if (summary === undefined)
        throw new Error(`analyzeVideo(${path}): the summary is available once the frames have been iterated`);
      return summary;
    },
    async *[Symbol.asyncIterator]() {
      if (started) throw new Error(`analyzeVideo(${path}): the frames can be iterated only once`);
      started = true;
      const video = await openVideoFrames(path, { onDamagedFrames: 'report' });
      const { detector, model, source, every, thumb } = await prepare(options);
      const analyzer = new FaceAnalyzer(source, model, thumb, options.baseline);
      analyzer.gap = every;
      const tracker = createFaceTracker(options.tracker);
      const fps = video.info.fps > 0 ? video.info.fps : 25;
      let decoded = 0;
      let analyzed = 0;
      let without = 0;
      try {
        for await (const { index, time, image } of video) {
          decoded++;
          if (index % every === 0) {
            const faces = await detector.detect(image);
            // the tracker counts analysed frames (its grace period is in analysed frames, whatever `every` is)
            const ids = tracker.update(
              analyzed,
              faces.map((f) => f.box),
            );
            const results: FaceResult[] = [];
            for (let k = 0; k < faces.length; k++)
              results.push(
                await analyzer.face(ids[k]!.id, faces[k]!, image, index, time, every / fps, false),
              );
            results.sort((a, b) => a.id - b.id);
            if (model !== undefined) {
              const alive = new Set(tracker.activeIds());
              for (const id of analyzer.tracks.keys()) if (!alive.has(id)) model.drop(id);
            }
            analyzed++;
            if (results.length === 0) without++;
            yield { frame: index, time, faces: results };
          }
          options.onProgress?.({ frame: decoded, totalFrames: video.info.numFrames });
        }
      } finally {
        await model?.release();
      }
      const warnings = noFaceWarning(analyzed, without);
      if (video.info.damagedFrames > 0)
        warnings.push(
          `the video decoded with errors: ffmpeg reported ${video.info.damagedFrames} damaged or lost frame(s) (damaged frames are analysed as decoded)`,
        );
      summary = {
        input: path,
        kind: 'video',
        frames: decoded,
        analyzedFrames: analyzed,
        every,
        fps: video.info.fps,
        width: video.info.width,
        height: video.info.height,
        expressionSource: source,
        expressionLabels: EXPRESSION_LABELS,
        aus: GEOMETRY_AUS,
        faces: analyzer.summaries(),
        framesWithoutFace: without,
        warnings,
      };
    },
  };
}

/** What {@link analyzeImage} returns. */
export interface ImageAnalysis {
  readonly frame: FrameResult;
  readonly summary: AnalysisSummary;
}

/**
 * Analyses a photo: every face, its AU estimates against the population neutral face
 * ({@link NEUTRAL_REFERENCE}: one picture has no history to learn the person's own neutral from) and
 * its expression probabilities (`'model'` repeats the one crop over the model's window).
 *
 * @throws DatasetInputError naming the file when it is missing or not a decodable image.
 */
export async function analyzeImage(path: string, options: AnalyzeOptions = {}): Promise<ImageAnalysis> {
  const image = await readImageFrame(path);
  const { detector, model, source, thumb } = await prepare(options);
  const analyzer = new FaceAnalyzer(source, model, thumb, options.baseline);
  try {
    const faces = await detector.detect(image);
    const results: FaceResult[] = [];
    for (let k = 0; k < faces.length; k++)
      results.push(await analyzer.face(k, faces[k]!, image, 0, 0, 0, true));
    options.onProgress?.({ frame: 1, totalFrames: 1 });
    const frame: FrameResult = { frame: 0, time: 0, faces: results };
    return {
      frame,
      summary: {
        input: path,
        kind: 'image',
        frames: 1,
        analyzedFrames: 1,
        every: 1,
        fps: 0,
        width: image.width,
        height: image.height,
        expressionSource: source,
        expressionLabels: EXPRESSION_LABELS,
        aus: GEOMETRY_AUS,
        faces: analyzer.summaries(),
        framesWithoutFace: results.length === 0 ? 1 : 0,
        warnings: noFaceWarning(1, results.length === 0 ? 1 : 0),
      },
    };
  } finally {
    await model?.release();
  }
}
