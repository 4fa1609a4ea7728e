import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LABEL_SETS } from '@dfer/au-knowledge';
import { createModel } from '@dfer/backbones';
import { exportOnnx, initEngine } from '@dfer/runtime';
import { describeWithSharedFiles } from '@dfer/test-utils';
import { buildCli } from '../src';

const LABELS = ['happy', 'sad', 'neutral', 'angry', 'surprise', 'disgust', 'fear'];

function quietCli(): ReturnType<typeof buildCli> {
  const program = buildCli();
  for (const c of [program, ...program.commands])
    c.exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  return program;
}

async function analyze(args: string[]): Promise<string[]> {
  const lines: string[] = [];
  const log = jest
    .spyOn(console, 'log')
    .mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  const err = jest
    .spyOn(console, 'error')
    .mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  try {
    await quietCli().parseAsync(['node', 'dfer', 'analyze', ...args]);
  } finally {
    log.mockRestore();
    err.mockRestore();
  }
  return lines;
}

function readCsv(path: string): { header: string[]; rows: string[][] } {
  const [head, ...rest] = readFileSync(path, 'utf8').trimEnd().split('\n');
  return { header: head!.split(','), rows: rest.map((r) => r.split(',')) };
}

describeWithSharedFiles(
  'dfer analyze on the shared media',
  ['media/single_face.mp4', 'media/no_face.mp4', 'media/multi_face.jpg'],
  (single, none, group) => {
    const dir = mkdtempSync(join(tmpdir(), 'dfer-analyze-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('single_face.mp4: frames.csv with one face row per frame (72), summary.json with one happy face, report.html', async () => {
      const out = join(dir, 'single');
      const lines = await analyze([single, '--out', out]);
      expect(lines.join('\n')).toContain('face 0: frames 0–71 (72), dominant happy');
      const { header, rows } = readCsv(join(out, 'frames.csv'));
      expect(header.slice(0, 8)).toEqual(['frame', 'time_s', 'face', 'x', 'y', 'width', 'height', 'score']);
      expect(header.slice(8, 24)).toEqual([
        'AU01_r',
        'AU02_r',
        'AU04_r',
        'AU05_r',
        'AU06_r',
        'AU07_r',
        'AU09_r',
        'AU10_r',
        'AU12_r',
        'AU15_r',
        'AU17_r',
        'AU20_r',
        'AU23_r',
        'AU25_r',
        'AU26_r',
        'AU45_r',
      ]);
      expect(header.slice(24)).toEqual(LABELS);
      expect(rows).toHaveLength(72);
      rows.forEach((row, i) => {
        expect(row).toHaveLength(header.length);
        expect(row[0]).toBe(String(i));
        expect(row[2]).toBe('0');
        const sum = row.slice(24).reduce((s, v) => s + Number(v), 0);
        expect(Math.abs(sum - 1)).toBeLessThan(1e-5);
      });
      const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
      expect(summary).toMatchObject({
        input: single,
        frames: 72,
        fps: 30,
        expressionSource: 'prior',
        noFace: false,
      });
      expect(summary.faces).toHaveLength(1);
      expect(summary.faces[0]).toMatchObject({
        id: 0,
        firstFrame: 0,
        lastFrame: 71,
        frames: 72,
        dominant: 'happy',
      });
      expect(Object.keys(summary.faces[0].expression)).toEqual(LABELS);
      expect(summary.faces[0].segments[0]).toMatchObject({ startS: 0 });
      const html = readFileSync(join(out, 'report.html'), 'utf8');
      expect(html).toContain('<svg class="chart expression-chart"');
      expect(html).toContain('data:image/png;base64,');
    }, 120_000);

    it('no_face.mp4 (--every 10): one row per frame with the face empty, and a summary that says so', async () => {
      const out = join(dir, 'none');
      const lines = await analyze([none, '--out', out, '--every', '10']);
      expect(lines.join('\n')).toContain('warning: no face was found in any of the 10 analysed frame(s)');
      const { header, rows } = readCsv(join(out, 'frames.csv'));
      expect(rows.map((r) => r[0])).toEqual(['0', '10', '20', '30', '40', '50', '60', '70', '80', '90']);
      for (const row of rows) {
        expect(row).toHaveLength(header.length);
        expect(row.slice(2).every((v) => v === '')).toBe(true);
      }
      const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
      expect(summary).toMatchObject({ noFace: true, faces: [], frames: 95, framesWithoutFace: 10 });
    });

    it('multi_face.jpg with --expression fer: five face rows of frame 0', async () => {
      const out = join(dir, 'group');
      await analyze([group, '--out', out, '--expression', 'fer']);
      const { rows } = readCsv(join(out, 'frames.csv'));
      expect(rows.map((r) => r[2])).toEqual(['0', '1', '2', '3', '4']);
      const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
      expect(summary).toMatchObject({ frames: 1, expressionSource: 'fer' });
      expect(summary.faces).toHaveLength(5);
    });

    it('--model: a Former-DFER (tiny, random weights) exported as dfer export-onnx does it: the expression columns come from the model', async () => {
      await initEngine({ backend: 'cpu' });
      const model = createModel('former_dfer', { preset: 'tiny', numClasses: 7 });
      const s = model.inputSpec;
      const onnx = join(dir, 'former-tiny.onnx');
      // the options of exportRunToOnnx (dfer export-onnx)
      await exportOnnx(model, {
        inputShape: ['batch', s.frames, s.height, s.width, s.channels],
        modelName: 'former_dfer',
        preset: 'tiny',
        labels: LABEL_SETS.dfew,
        inputLayout: 'NTHWC',
        path: onnx,
        metadata: { 'dfer.normalization': JSON.stringify({ mean: s.mean, std: s.std }) },
      });
      model.dispose();
      const out = join(dir, 'model');
      await analyze([group, '--out', out, '--model', onnx]);
      const { rows } = readCsv(join(out, 'frames.csv'));
      expect(rows).toHaveLength(5);
      for (const row of rows) {
        const p = row.slice(24).map(Number);
        expect(Math.abs(p.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-5);
        expect(p.every((v) => v > 0)).toBe(true);
      }
      expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).expressionSource).toBe('model');
    });

    it('a file that is not media: one error naming it, and no output folder', async () => {
      const bad = join(dir, 'notes.mov');
      writeFileSync(bad, 'plain text');
      const out = join(dir, 'bad-out');
      await expect(analyze([bad, '--out', out])).rejects.toThrow(
        new RegExp(`^${bad}: ffmpeg cannot decode the video`),
      );
      expect(existsSync(out)).toBe(false);
      await expect(analyze([bad, '--out', out, '--every', '0'])).rejects.toThrow(
        /expected an integer ≥ 1, got '0'/,
      );
      await expect(analyze([bad, '--out', out, '--expression', 'model'])).rejects.toThrow(
        /needs options.model/,
      );
    });
  },
);
