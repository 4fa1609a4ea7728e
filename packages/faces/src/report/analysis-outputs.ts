/**
 * The files of an analysis: `frames.csv` (one row per frame and face), `summary.json` and a
 * self-contained `report.html`.
 */
import { closeSync, mkdirSync, openSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { EXPRESSION_LABELS } from '../detection/face-detector';
import { GEOMETRY_AUS } from '../geometry/au-estimates';
import type { AnalysisSummary, FrameResult } from '../analysis/analyze';
import { createTimelineCollector, renderReportHtml, type FaceTimeline } from './report-html';
import { loadSharp } from '../native-modules';

/** Columns of `frames.csv`: the frame and face, the AUs (OpenFace names) and the DFEW labels. */
export const FRAMES_CSV_COLUMNS: readonly string[] = [
  'frame',
  'time_s',
  'face',
  'x',
  'y',
  'width',
  'height',
  'score',
  ...GEOMETRY_AUS.map((a) => `${a}_r`),
  ...EXPRESSION_LABELS,
];

/**
 * The `frames.csv` lines of one frame (no trailing newline): one per face, or one with the face
 * columns empty when the frame has no face. Probabilities have 6 decimals, AU intensities 3, box
 * coordinates 1 (pixels).
 */
export function framesCsvRows(frame: FrameResult): string[] {
  const head = `${frame.frame},${frame.time.toFixed(4)}`;
  if (frame.faces.length === 0) return [head + ','.repeat(FRAMES_CSV_COLUMNS.length - 2)];
  return frame.faces.map((f) =>
    [
      head,
      f.id,
      f.box.x.toFixed(1),
      f.box.y.toFixed(1),
      f.box.width.toFixed(1),
      f.box.height.toFixed(1),
      f.score.toFixed(3),
      ...Array.from(f.aus, (v) => v.toFixed(3)),
      ...Array.from(f.expression, (p) => p.toFixed(6)),
    ].join(','),
  );
}

/** The JSON of `summary.json`: the summary without thumbnails (those go to the report). */
export function summaryJson(summary: AnalysisSummary): object {
  return {
    input: summary.input,
    kind: summary.kind,
    frames: summary.frames,
    analyzedFrames: summary.analyzedFrames,
    every: summary.every,
    fps: summary.fps,
    width: summary.width,
    height: summary.height,
    expressionSource: summary.expressionSource,
    noFace: summary.faces.length === 0,
    framesWithoutFace: summary.framesWithoutFace,
    warnings: summary.warnings,
    faces: summary.faces.map((f) => ({
      id: f.id,
      firstFrame: f.firstFrame,
      lastFrame: f.lastFrame,
      frames: f.frames,
      expression: f.expression,
      dominant: f.dominant,
      segments: f.segments,
      aus: f.aus,
    })),
  };
}

/** Writes the three files of an analysis while frames stream in. */
export interface AnalysisWriter {
  /** Appends the frame's rows to `frames.csv` and its values to the report's timelines. */
  addFrame(frame: FrameResult): void;
  /** Writes `summary.json` and `report.html` (each atomically) and closes `frames.csv`. */
  finish(summary: AnalysisSummary): Promise<{ framesCsv: string; summaryJson: string; reportHtml: string }>;
  /** Closes `frames.csv` without writing the rest (after an error). */
  abort(): void;
}

/**
 * Opens `outDir` (created when missing) for an analysis. `frames.csv` is written row by row under a
 * temporary name and renamed when finished, so a failed analysis leaves no half file under the real name.
 */
export function createAnalysisWriter(outDir: string): AnalysisWriter {
  mkdirSync(outDir, { recursive: true });
  const csvPath = join(outDir, 'frames.csv');
  const csvTemp = `${csvPath}.partial`;
  const fd = openSync(csvTemp, 'w');
  writeSync(fd, FRAMES_CSV_COLUMNS.join(',') + '\n');
  const timelines = createTimelineCollector();
  let open = true;
  const close = (): void => {
    if (open) closeSync(fd);
    open = false;
  };
  return {
    addFrame(frame) {
      writeSync(fd, framesCsvRows(frame).join('\n') + '\n');
      timelines.add(frame);
    },
    abort: close,
    async finish(summary) {
      close();
      renameSync(csvTemp, csvPath);
      const summaryPath = join(outDir, 'summary.json');
      atomicWrite(summaryPath, JSON.stringify(summaryJson(summary), null, 2) + '\n');
      const thumbnails = new Map<number, string>();
      for (const face of summary.faces) {
        const png = await loadSharp()(Buffer.from(face.thumbnail.data), {
          raw: { width: face.thumbnail.size, height: face.thumbnail.size, channels: 3 },
        })
          .png()
          .toBuffer();
        thumbnails.set(face.id, `data:image/png;base64,${png.toString('base64')}`);
      }
      const reportPath = join(outDir, 'report.html');
      const series: FaceTimeline[] = timelines.timelines();
      atomicWrite(reportPath, renderReportHtml(summary, series, thumbnails));
      return { framesCsv: csvPath, summaryJson: summaryPath, reportHtml: reportPath };
    },
  };
}

function atomicWrite(path: string, text: string): void {
  const temp = `${path}.partial`;
  writeFileSync(temp, text);
  renameSync(temp, path);
}
