/**
 * `report.html`: one self-contained page (inline CSS, SVG and data; no network) with, per face, a
 * thumbnail, a timeline of the expression probabilities and a heat map of the AU intensities.
 */
import { EXPRESSION_LABELS } from '../detection/face-detector';
import { GEOMETRY_AUS } from '../geometry/au-estimates';
import type { AnalysisSummary, FrameResult } from '../analysis/analyze';

/** One face's values over time (possibly averaged into fewer points for long videos). */
export interface FaceTimeline {
  readonly id: number;
  /** Times in seconds. */
  readonly times: number[];
  /** `[point][label]` expression probabilities in EXPRESSION_LABELS order. */
  readonly expression: number[][];
  /** `[point][au]` AU intensities in GEOMETRY_AUS order. */
  readonly aus: number[][];
}

/** Collects timelines in bounded memory: past `maxPoints` points, neighbouring pairs are averaged. */
export interface TimelineCollector {
  add(frame: FrameResult): void;
  timelines(): FaceTimeline[];
}

interface Series {
  times: number[];
  expression: number[][];
  aus: number[][];
  /** Frames averaged into each point. */
  weight: number[];
}

/** Creates a {@link TimelineCollector} keeping at most `2 · maxPoints` points per face (default 1000). */
export function createTimelineCollector(maxPoints = 1000): TimelineCollector {
  const byId = new Map<number, Series>();
  const halve = (s: Series): void => {
    const merged: Series = { times: [], expression: [], aus: [], weight: [] };
    for (let i = 0; i < s.times.length; i += 2) {
      const j = Math.min(i + 1, s.times.length - 1);
      const wi = s.weight[i] as number;
      const wj = j === i ? 0 : (s.weight[j] as number);
      const mix = (a: number, b: number): number => (a * wi + b * wj) / (wi + wj);
      merged.times.push(mix(s.times[i] as number, s.times[j] as number));
      merged.expression.push(
        (s.expression[i] as number[]).map((v, k) => mix(v, (s.expression[j] as number[])[k] as number)),
      );
      merged.aus.push((s.aus[i] as number[]).map((v, k) => mix(v, (s.aus[j] as number[])[k] as number)));
      merged.weight.push(wi + wj);
    }
    Object.assign(s, merged);
  };
  return {
    add(frame) {
      for (const face of frame.faces) {
        let s = byId.get(face.id);
        if (s === undefined) {
          s = { times: [], expression: [], aus: [], weight: [] };
          byId.set(face.id, s);
        }
        s.times.push(frame.time);
        s.expression.push(Array.from(face.expression));
        s.aus.push(Array.from(face.aus));
        s.weight.push(1);
        if (s.times.length > 2 * maxPoints) halve(s);
      }
    },
    timelines: () =>
      [...byId.entries()].map(([id, s]) => ({ id, times: s.times, expression: s.expression, aus: s.aus })),
  };
}

/** Line colours of the expression labels (colour-blind-safe Okabe–Ito palette), by label. */
export const EXPRESSION_COLOURS: Readonly<Record<string, string>> = {
  happy: '#E69F00',
  sad: '#0072B2',
  neutral: '#999999',
  angry: '#D55E00',
  surprise: '#56B4E9',
  disgust: '#009E73',
  fear: '#CC79A7',
};

const escapeHtml = (text: string): string =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

const W = 760;
const PAD_L = 40;
const PAD_R = 10;
const CHART_H = 180;

function xScale(times: number[]): (t: number) => number {
  const t0 = times[0] ?? 0;
  const t1 = times[times.length - 1] ?? 0;
  const span = t1 - t0;
  return (t) => PAD_L + (span > 0 ? ((t - t0) / span) * (W - PAD_L - PAD_R) : (W - PAD_L - PAD_R) / 2);
}

function expressionChart(timeline: FaceTimeline): string {
  const x = xScale(timeline.times);
  const y = (p: number): number => 10 + (1 - p) * (CHART_H - 30);
  const lines = EXPRESSION_LABELS.map((label, k) => {
    const pts = timeline.times.map(
      (t, i) => `${x(t).toFixed(1)},${y((timeline.expression[i] as number[])[k] as number).toFixed(1)}`,
    );
    const colour = EXPRESSION_COLOURS[label] ?? '#000';
    const marks =
      pts.length === 1
        ? `<circle cx="${pts[0]!.split(',')[0]}" cy="${pts[0]!.split(',')[1]}" r="4" fill="${colour}"/>`
        : '';
    return `<polyline class="expr-line" data-label="${label}" fill="none" stroke="${colour}" stroke-width="1.6" points="${pts.join(' ')}"/>${marks}`;
  }).join('');
  const t0 = timeline.times[0] ?? 0;
  const t1 = timeline.times[timeline.times.length - 1] ?? 0;
  const axis =
    `<line x1="${PAD_L}" y1="${y(0)}" x2="${W - PAD_R}" y2="${y(0)}" stroke="#444"/>` +
    `<line x1="${PAD_L}" y1="${y(1)}" x2="${PAD_L}" y2="${y(0)}" stroke="#444"/>` +
    [0, 0.5, 1].map((p) => `<text x="${PAD_L - 6}" y="${y(p) + 4}" text-anchor="end">${p}</text>`).join('') +
    `<text x="${PAD_L}" y="${CHART_H - 4}">${t0.toFixed(2)} s</text>` +
    `<text x="${W - PAD_R}" y="${CHART_H - 4}" text-anchor="end">${t1.toFixed(2)} s</text>`;
  return `<svg class="chart expression-chart" viewBox="0 0 ${W} ${CHART_H}" width="${W}" height="${CHART_H}" role="img" aria-label="expression probabilities over time">${axis}${lines}</svg>`;
}

function auHeatmap(timeline: FaceTimeline): string {
  const columns = Math.min(200, timeline.times.length);
  const rowH = 12;
  const height = GEOMETRY_AUS.length * rowH + 24;
  const cellW = (W - PAD_L - PAD_R) / Math.max(columns, 1);
  const n = timeline.times.length;
  const cells: string[] = [];
  for (let c = 0; c < columns; c++) {
    const from = Math.floor((c * n) / columns);
    const to = Math.max(from + 1, Math.floor(((c + 1) * n) / columns));
    GEOMETRY_AUS.forEach((au, a) => {
      let sum = 0;
      for (let i = from; i < to; i++) sum += (timeline.aus[i] as number[])[a] as number;
      const v = sum / (to - from);
      const shade = Math.round(255 - (v / 5) * 200);
      cells.push(
        `<rect x="${(PAD_L + c * cellW).toFixed(1)}" y="${a * rowH}" width="${(cellW + 0.5).toFixed(1)}" height="${rowH - 1}" fill="rgb(${shade},${shade},255)"><title>${au} ${v.toFixed(2)}</title></rect>`,
      );
    });
  }
  const labels = GEOMETRY_AUS.map(
    (au, a) => `<text x="${PAD_L - 4}" y="${a * rowH + 9}" text-anchor="end">${au}</text>`,
  ).join('');
  return `<svg class="chart au-heatmap" viewBox="0 0 ${W} ${height}" width="${W}" height="${height}" role="img" aria-label="AU intensities over time (0 white – 5 blue)">${labels}${cells.join('')}<text x="${PAD_L}" y="${height - 6}">AU intensity: white 0 → blue 5</text></svg>`;
}

/**
 * The report page. `thumbnails` maps face ids to image URLs (PNG data URLs, so the page stays one
 * file). The page's data (summary and timelines) is embedded as JSON and exposed as
 * `window.dferReport`; `body[data-ready="true"]` marks it drawn.
 */
export function renderReportHtml(
  summary: AnalysisSummary,
  timelines: readonly FaceTimeline[],
  thumbnails: ReadonlyMap<number, string>,
): string {
  const byId = new Map(timelines.map((t) => [t.id, t]));
  const legend = EXPRESSION_LABELS.map(
    (l) => `<span class="key"><i style="background:${EXPRESSION_COLOURS[l]}"></i>${l}</span>`,
  ).join(' ');
  const faces = summary.faces
    .map((face) => {
      const timeline = byId.get(face.id) ?? { id: face.id, times: [], expression: [], aus: [] };
      const mean = EXPRESSION_LABELS.map(
        (l) => `<td>${((face.expression[l] ?? 0) * 100).toFixed(1)} %</td>`,
      ).join('');
      const segments = face.segments
        .slice(0, 50)
        .map((s) => `<li>${s.startS.toFixed(2)}–${s.endS.toFixed(2)} s: ${s.expression}</li>`)
        .join('');
      return `<section class="face" id="face-${face.id}">
<h2>Face ${face.id}</h2>
<div class="face-head"><img class="thumb" alt="face ${face.id}" src="${thumbnails.get(face.id) ?? ''}" width="96" height="96">
<div><p>Frames ${face.firstFrame}–${face.lastFrame} (${face.frames} analysed); dominant expression: <b class="dominant">${face.dominant}</b></p>
<table class="means"><tr>${EXPRESSION_LABELS.map((l) => `<th>${l}</th>`).join('')}</tr><tr>${mean}</tr></table></div></div>
<h3>Expression probabilities</h3><div class="legend">${legend}</div>${expressionChart(timeline)}
<h3>AU intensities (landmark geometry, 0–5)</h3>${auHeatmap(timeline)}
<details><summary>Segments (${face.segments.length})</summary><ul>${segments}</ul></details>
</section>`;
    })
    .join('\n');
  const warnings = summary.warnings.map((w) => `<p class="warning">${escapeHtml(w)}</p>`).join('');
  const data = {
    summary: {
      input: summary.input,
      kind: summary.kind,
      frames: summary.frames,
      fps: summary.fps,
      expressionSource: summary.expressionSource,
      faces: summary.faces.map((f) => ({
        id: f.id,
        frames: f.frames,
        dominant: f.dominant,
        expression: f.expression,
      })),
      warnings: summary.warnings,
    },
    timelines,
  };
  // `<` escaped so that no string in the data can close the script element
  const json = JSON.stringify(data).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>dfer analyze: ${escapeHtml(summary.input)}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:16px auto;max-width:800px;color:#222}
.face{border:1px solid #ddd;border-radius:6px;padding:8px 12px;margin:12px 0}
.face-head{display:flex;gap:12px;align-items:center}.thumb{border-radius:4px;image-rendering:auto}
table.means{border-collapse:collapse}table.means td,table.means th{padding:2px 6px;border:1px solid #eee;font-size:12px}
svg.chart{display:block;max-width:100%;height:auto}svg text{font-size:10px;fill:#444}
.legend .key{margin-right:10px;font-size:12px}.legend i{display:inline-block;width:10px;height:10px;margin-right:3px}
.warning{background:#fff3cd;padding:6px 10px;border-radius:4px}
</style></head>
<body>
<h1>Face analysis</h1>
<p>Input <code>${escapeHtml(summary.input)}</code>: ${summary.kind}, ${summary.width}×${summary.height}, ${summary.frames} frame(s)${summary.kind === 'video' ? ` at ${summary.fps} fps, every ${summary.every} analysed` : ''}. Expression source: <b>${summary.expressionSource}</b>. Faces: ${summary.faces.length}.</p>
${warnings}
${faces || '<p class="no-face">No face was found.</p>'}
<script type="application/json" id="report-data">${json}</script>
<script>window.dferReport=JSON.parse(document.getElementById('report-data').textContent);document.body.dataset.ready='true';</script>
</body></html>
`;
}
