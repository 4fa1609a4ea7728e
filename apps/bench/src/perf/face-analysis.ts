import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openVideoFrames } from '@dfer/datasets/media';
import { analyzeVideo, createFaceDetector } from '@dfer/faces';
import type { PerfMeasurement, PerfTaskResult } from './perf-measurement';

/**
 * Frame rate of `analyzeVideo` (`@dfer/faces`) on a video, by stage, all in one process on the same
 * video so that their ratios are meaningful: decoding alone (ffmpeg in its own process, frames copied
 * into this one), + face detection and landmarks (BlazeFace + face mesh + iris on tfjs-wasm, one
 * thread), the whole default pipeline (+ tracking, AU geometry and AU-prior expression scoring), and the
 * same with the FER2013 expression model instead of the prior.
 */
export interface FaceAnalysisTask {
  readonly kind: 'face_analysis';
  /** The video; when it does not exist the task measures nothing and says why. */
  readonly video: string;
  /** Timed passes over the whole video per stage (after one untimed warm-up pass). */
  readonly repeats: number;
}

/** The target for the default pipeline (detection + landmarks + AUs + prior scoring), frames per second. */
const FACE_ANALYSIS_TARGET_FPS = 10;

/**
 * The shared test video of the project (`single_face.mp4`, 640×360, 72 frames): `$DFER_SHARED_DATA/media`
 * or `../shared/data/media` beside the repository.
 */
export function defaultFaceVideo(): string {
  const base =
    process.env['DFER_SHARED_DATA'] ?? join(__dirname, '..', '..', '..', '..', '..', 'shared', 'data');
  return resolve(base, 'media', 'single_face.mp4');
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Runs the stages; returns frames-per-second records, or none (with a message on stderr) without the video. */
export async function measureFaceAnalysis(task: FaceAnalysisTask): Promise<PerfTaskResult> {
  if (!existsSync(task.video)) {
    process.stderr.write(`bench perf: face analysis not timed: ${task.video} does not exist\n`);
    return { measurements: [], profiles: [] };
  }
  const detector = await createFaceDetector({ expression: false });
  const wholePixelDetector = await createFaceDetector({ expression: false, upsample: 1 });
  const ferDetector = await createFaceDetector({ expression: true });
  const info = (await openVideoFrames(task.video)).info;
  const stages: { name: string; note: string; pass: () => Promise<number> }[] = [
    {
      name: 'faces:decode',
      note: 'openVideoFrames: ffmpeg decoding to RGB, frames streamed into this process',
      pass: async () => {
        let n = 0;
        for await (const frame of await openVideoFrames(task.video)) n += frame.image.width > 0 ? 1 : 0;
        return n;
      },
    },
    {
      name: 'faces:detect',
      note: 'decoding + createFaceDetector().detect per frame (BlazeFace, face mesh, iris)',
      pass: async () => {
        let n = 0;
        for await (const frame of await openVideoFrames(task.video)) {
          await detector.detect(frame.image);
          n++;
        }
        return n;
      },
    },
    {
      name: 'faces:analyze-prior',
      note: `analyzeVideo, expression 'prior' (default): detection + landmarks + tracking + AU geometry + AU-prior scoring; target ≥ ${FACE_ANALYSIS_TARGET_FPS} fps`,
      pass: async () => {
        let n = 0;
        for await (const frame of analyzeVideo(task.video, { detector })) n += frame.frame >= 0 ? 1 : 0;
        return n;
      },
    },
    {
      name: 'faces:analyze-prior-upsample1',
      note: "analyzeVideo, expression 'prior', detector with upsample 1 (frames not enlarged; landmarks in whole pixels)",
      pass: async () => {
        let n = 0;
        for await (const frame of analyzeVideo(task.video, { detector: wholePixelDetector }))
          n += frame.frame >= 0 ? 1 : 0;
        return n;
      },
    },
    {
      name: 'faces:analyze-fer',
      note: "analyzeVideo, expression 'fer': the default pipeline plus the FER2013 classifier per face",
      pass: async () => {
        let n = 0;
        for await (const frame of analyzeVideo(task.video, { expression: 'fer', detector: ferDetector }))
          n += frame.frame >= 0 ? 1 : 0;
        return n;
      },
    },
  ];
  // Passes are interleaved (repeat r of every stage, then repeat r + 1): on a shared machine a load change
  // then affects all stages alike, so their ratios stay meaningful.
  for (const stage of stages) await stage.pass(); // warm-up: models, kernels, ffmpeg start
  const samples = stages.map(() => [] as number[]);
  const frameCounts = stages.map(() => 0);
  for (let r = 0; r < task.repeats; r++) {
    for (const [k, stage] of stages.entries()) {
      const t0 = performance.now();
      frameCounts[k] = await stage.pass();
      samples[k]!.push(performance.now() - t0);
    }
  }
  const measurements: PerfMeasurement[] = stages.map((stage, k) => {
    const frames = frameCounts[k]!;
    const samplesMs = samples[k]!;
    const fps = (1000 * frames) / median(samplesMs);
    const met =
      stage.name === 'faces:analyze-prior'
        ? `; target ≥ ${FACE_ANALYSIS_TARGET_FPS} fps ${fps >= FACE_ANALYSIS_TARGET_FPS ? 'met' : 'missed'}`
        : '';
    return {
      task: 'face_analysis',
      model: stage.name,
      engine: 'tfjs-wasm',
      shape: [info.height, info.width],
      metric: 'frames_per_second',
      value: fps,
      samplesMs: samplesMs.map((ms) => ms / frames),
      threads: 1,
      note: `${stage.note}; ${frames} frames of ${task.video.split('/').pop()} (${info.width}×${info.height}) per pass, median of ${task.repeats} pass(es) interleaved with the other stages, ms per frame in samplesMs; tfjs-wasm on one thread, ffmpeg in its own process${met}`,
    };
  });
  return { measurements, profiles: [] };
}
