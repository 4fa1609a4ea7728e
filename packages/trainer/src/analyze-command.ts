/**
 * `dfer analyze <video-or-image> --out <dir>`: faces, AU estimates and expressions of any video or
 * photo, written as frames.csv, summary.json and report.html (through @dfer/faces).
 */
import { SingleBar } from 'cli-progress';
import { extname } from 'node:path';
import {
  analyzeImage,
  analyzeVideo,
  createAnalysisWriter,
  type AnalysisSummary,
  type AnalyzeOptions,
  type ExpressionSource,
} from '@dfer/faces';

/** File extensions read as photos (decoded with sharp); anything else is read as a video (ffmpeg). */
export const IMAGE_EXTENSIONS: readonly string[] = [
  '.jpg',
  '.jpeg',
  '.png',
  '.webp',
  '.tif',
  '.tiff',
  '.avif',
  '.bmp',
];

/** Options of {@link runAnalyzeCommand} (the command line's flags). */
export interface AnalyzeCommandOptions {
  readonly out: string;
  readonly model?: string;
  readonly expression?: ExpressionSource;
  readonly every?: number;
  /** Progress output (default: a bar on an interactive stderr, nothing otherwise). */
  readonly progress?: boolean;
}

/** What {@link runAnalyzeCommand} wrote. */
export interface AnalyzeCommandResult {
  readonly summary: AnalysisSummary;
  readonly framesCsv: string;
  readonly summaryJson: string;
  readonly reportHtml: string;
}

/**
 * Runs the analysis of `input` and writes the three files into `options.out`. `--model` alone implies
 * `--expression model`.
 *
 * @throws RangeError for contradictory options; DatasetInputError naming the file when it is not a
 *   readable photo or video.
 */
export async function runAnalyzeCommand(
  input: string,
  options: AnalyzeCommandOptions,
): Promise<AnalyzeCommandResult> {
  const expression: ExpressionSource =
    options.expression ?? (options.model !== undefined ? 'model' : 'prior');
  const interactive = options.progress ?? (process.stderr.isTTY === true && !process.env.CI);
  const bar = interactive
    ? new SingleBar({
        format: 'analyze [{bar}] {value}/{total} frames',
        stream: process.stderr,
        clearOnComplete: true,
      })
    : undefined;
  let started = false;
  const analyzeOptions: AnalyzeOptions = {
    expression,
    ...(options.model === undefined ? {} : { model: options.model }),
    ...(options.every === undefined ? {} : { every: options.every }),
    onProgress: ({ frame, totalFrames }) => {
      if (bar === undefined) return;
      if (!started) bar.start(totalFrames, 0);
      started = true;
      bar.update(frame);
    },
  };
  const isImage = IMAGE_EXTENSIONS.includes(extname(input).toLowerCase());
  if (isImage) {
    // check the options (and the file) before creating the output folder
    const { frame, summary } = await analyzeImage(input, analyzeOptions);
    bar?.stop();
    const writer = createAnalysisWriter(options.out);
    writer.addFrame(frame);
    return { summary, ...(await writer.finish(summary)) };
  }
  const analysis = analyzeVideo(input, analyzeOptions);
  const iterator = analysis[Symbol.asyncIterator]();
  // the first frame (or the error of an unreadable file) comes before any output file is created
  let next = await iterator.next().catch((error: unknown) => {
    bar?.stop();
    throw error;
  });
  const writer = createAnalysisWriter(options.out);
  try {
    while (next.done !== true) {
      writer.addFrame(next.value);
      next = await iterator.next();
    }
  } catch (error) {
    writer.abort();
    throw error;
  } finally {
    bar?.stop();
  }
  const summary = analysis.summary();
  return { summary, ...(await writer.finish(summary)) };
}

/** Lines printed after an analysis: where the files are, each face's dominant expression, warnings. */
export function describeAnalysis(result: AnalyzeCommandResult): string[] {
  const s = result.summary;
  const lines = [
    `${s.input}: ${s.kind}, ${s.frames} frame(s), ${s.analyzedFrames} analysed, ${s.faces.length} face(s); expression source ${s.expressionSource}`,
    ...s.faces.map(
      (f) => `  face ${f.id}: frames ${f.firstFrame}–${f.lastFrame} (${f.frames}), dominant ${f.dominant}`,
    ),
    `wrote ${result.framesCsv}, ${result.summaryJson}, ${result.reportHtml}`,
  ];
  return lines;
}
