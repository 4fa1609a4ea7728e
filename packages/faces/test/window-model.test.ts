import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OnnxGraph, onnxAttr } from '@dfer/runtime';
import { sharedDataPath } from '@dfer/test-utils';
import {
  alignFace,
  analyzeImage,
  EXPRESSION_LABELS,
  loadWindowExpressionModel,
  MESH_POINTS,
  type RgbFrame,
} from '@dfer/faces';

/**
 * A stand-in for a `dfer export-onnx` model: input [batch, 2, 16, 16, 3], logits = mean over time and
 * pixels of each channel, times W (3 × 3), for the labels happy, sad, neutral.
 */
const W = [1, -2, 0.5, 3, 0, -1, -1, 1, 2];
function writeModel(path: string, labels: string[]): void {
  const g = new OnnxGraph('mean-colour');
  const input = g.addInput('input', ['batch', 2, 16, 16, 3]);
  const mean = g.addNode('ReduceMean', [input], {
    axes: onnxAttr.ints([1, 2, 3]),
    keepdims: onnxAttr.int(0),
  });
  const weights = g.addInitializer('W', Float32Array.from(W), [3, 3]);
  g.addOutput(g.addNode('MatMul', [mean, weights]), 'logits');
  g.setMetadata('dfer.model', 'mean_colour');
  g.setMetadata('dfer.labels', JSON.stringify(labels));
  g.setMetadata('dfer.normalization', JSON.stringify({ mean: [0.5, 0.4, 0.3], std: [0.2, 0.25, 0.5] }));
  writeFileSync(path, g.toBytes());
}

/** A face-like frame and landmarks: eyes at (20, 24) and (44, 24) in a 64 × 64 colour gradient. */
function testFrame(shift: number): { frame: RgbFrame; landmarks: Float32Array } {
  const data = new Uint8Array(64 * 64 * 3);
  for (let i = 0; i < 64 * 64; i++) {
    data[3 * i] = (i * 7 + shift) % 256;
    data[3 * i + 1] = (i * 3 + 2 * shift) % 256;
    data[3 * i + 2] = (i + 5 * shift) % 256;
  }
  const landmarks = new Float32Array(478 * 3);
  const set = (k: number, x: number, y: number): void => {
    landmarks[3 * k] = x;
    landmarks[3 * k + 1] = y;
  };
  set(MESH_POINTS.rightEyeOuter, 16, 24);
  set(MESH_POINTS.rightEyeInner, 24, 24);
  set(MESH_POINTS.leftEyeInner, 40, 24);
  set(MESH_POINTS.leftEyeOuter, 48, 24);
  return { frame: { data, width: 64, height: 64 }, landmarks };
}

/** The expected probabilities, computed from alignFace's crops by hand (mean, normalise, W, softmax). */
function expected(crops: Float32Array[]): Float64Array {
  const m = [0, 0, 0];
  for (const crop of crops)
    for (let i = 0; i < crop.length; i++) m[i % 3] = m[i % 3]! + crop[i]! / (crops.length * 256);
  const norm = m.map((v, c) => (v - [0.5, 0.4, 0.3][c]!) / [0.2, 0.25, 0.5][c]!);
  const logits = [0, 1, 2].map((j) => norm[0]! * W[j]! + norm[1]! * W[3 + j]! + norm[2]! * W[6 + j]!);
  const e = logits.map((l) => Math.exp(l - Math.max(...logits)));
  const z = e.reduce((a, b) => a + b, 0);
  const out = new Float64Array(EXPRESSION_LABELS.length);
  ['happy', 'sad', 'neutral'].forEach((label, j) => (out[EXPRESSION_LABELS.indexOf(label)] = e[j]! / z));
  return out;
}

describe('loadWindowExpressionModel', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dfer-faces-model-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs the model on the last T aligned crops of a track (first crop repeated at the start)', async () => {
    const file = join(dir, 'model.onnx');
    writeModel(file, ['happy', 'sad', 'neutral']);
    const model = await loadWindowExpressionModel(file);
    expect(model.spec).toMatchObject({
      frames: 2,
      height: 16,
      width: 16,
      labels: ['happy', 'sad', 'neutral'],
    });
    const a = testFrame(0);
    const b = testFrame(40);
    const c = testFrame(90);
    const crop = (f: { frame: RgbFrame; landmarks: Float32Array }): Float32Array =>
      alignFace(f.frame, f.landmarks, { height: 16, width: 16 });
    const close = (p: Float64Array, q: Float64Array): void =>
      q.forEach((v, i) => expect(p[i]).toBeCloseTo(v, 5));
    close(await model.push(7, a.frame, a.landmarks), expected([crop(a), crop(a)]));
    close(await model.push(7, b.frame, b.landmarks), expected([crop(a), crop(b)]));
    close(await model.push(7, c.frame, c.landmarks), expected([crop(b), crop(c)]));
    // another track has its own window
    close(await model.push(8, c.frame, c.landmarks), expected([crop(c), crop(c)]));
    const p = await model.push(8, c.frame, c.landmarks);
    expect(p[EXPRESSION_LABELS.indexOf('fear')]).toBe(0);
    expect(p.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 6);
    await model.release();
  });

  const photo = sharedDataPath('media/single_face.jpg');
  (photo === undefined ? it.skip : it)(
    'analyzeImage with expression "model" gives the probabilities of the model',
    async () => {
      const file = join(dir, 'model-photo.onnx');
      writeModel(file, ['happy', 'sad', 'neutral']);
      const { frame, summary } = await analyzeImage(photo!, { expression: 'model', model: file });
      expect(summary.expressionSource).toBe('model');
      const p = frame.faces[0]!.expression;
      expect(p.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 6);
      expect(p[EXPRESSION_LABELS.indexOf('fear')]).toBe(0);
      expect(p[EXPRESSION_LABELS.indexOf('happy')]).toBeGreaterThan(0);
    },
  );

  it('refuses a model whose labels are not DFEW labels, naming the file', async () => {
    const file = join(dir, 'odd.onnx');
    writeModel(file, ['happy', 'sad', 'contempt']);
    await expect(loadWindowExpressionModel(file)).rejects.toThrow(
      new RegExp(`expression model ${file}: its labels contempt are not among the DFEW labels`),
    );
  });
});
