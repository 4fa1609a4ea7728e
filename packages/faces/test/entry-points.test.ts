import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { inFreshNode, missingModulesPrelude, nativeModulesLoaded } from '@dfer/test-utils';

/**
 * What a consumer's `require('@dfer/faces')` loads: the built package is required in a fresh Node process
 * inside the package folder (so `@dfer/faces` resolves to itself through its `exports` map), recording
 * every module request, native addon and `require.cache` key. sharp loads with the first encoded image,
 * the face models of `@vladmandic/human` with the first `createFaceDetector`, onnxruntime-node with the
 * first window model: none at import.
 */
const packageDir = join(__dirname, '..');
const builtCase = existsSync(join(packageDir, 'dist', 'index.js')) ? it : it.skip;

describe('entry point (needs the build in dist/)', () => {
  builtCase('the root entry loads no native module (sharp, onnxruntime-node, @vladmandic/human)', () => {
    const report = inFreshNode(
      packageDir,
      `const faces = require('@dfer/faces');
return [typeof faces.createFaceDetector, typeof faces.prepareFaceClip, typeof faces.createAnalysisWriter];`,
    );
    expect(report.result).toEqual(['function', 'function', 'function']);
    expect(report.requested).toContain('@dfer/faces');
    expect(nativeModulesLoaded(report)).toEqual([]);
  });

  builtCase('the check sees sharp once the report encodes its first thumbnail (a PNG)', () => {
    const report = inFreshNode(
      packageDir,
      `
const { mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { join } = require('node:path');
const { tmpdir } = require('node:os');
const faces = require('@dfer/faces');
const dir = mkdtempSync(join(tmpdir(), 'dfer-faces-entry-'));
try {
  const writer = faces.createAnalysisWriter(dir);
  const before = Object.keys(require.cache).filter((k) => /sharp/.test(k)).length;
  const expression = Object.fromEntries(faces.EXPRESSION_LABELS.map((label, i) => [label, i === 0 ? 1 : 0]));
  const aus = Object.fromEntries(faces.GEOMETRY_AUS.map((au) => [au, 0]));
  const face = {
    id: 1, firstFrame: 0, lastFrame: 0, frames: 1, expression, dominant: faces.EXPRESSION_LABELS[0],
    segments: [], aus, thumbnail: { size: 2, data: new Uint8Array(12).fill(200) },
  };
  const paths = await writer.finish({
    input: 'photo.jpg', kind: 'image', frames: 1, analyzedFrames: 1, every: 1, fps: 0, width: 2, height: 2,
    expressionSource: faces.EXPRESSION_SOURCES[0], expressionLabels: faces.EXPRESSION_LABELS,
    aus: faces.GEOMETRY_AUS, faces: [face], framesWithoutFace: 0, warnings: [],
  });
  const png = /data:image\\/png;base64,([A-Za-z0-9+/=]+)/.exec(readFileSync(paths.reportHtml, 'utf8'));
  return { before, pngSignature: png && Buffer.from(png[1], 'base64').subarray(1, 4).toString('latin1') };
} finally {
  rmSync(dir, { recursive: true, force: true });
}`,
    );
    expect(report.result).toEqual({ before: 0, pngSignature: 'PNG' });
    expect(report.requested).toContain('sharp');
    expect(report.addons.some((file) => /sharp-[a-z0-9-]+\.node$/.test(file))).toBe(true);
  });

  builtCase('a missing sharp is a clear error at the first encode, not at import', () => {
    const report = inFreshNode(
      packageDir,
      `
${missingModulesPrelude('sharp')}
require('@dfer/faces');
const { loadSharp } = require('./dist/native-modules.js');
try { loadSharp(); return 'loaded'; } catch (e) { return e.message; }`,
    );
    expect(report.result).toMatch(
      /^@dfer\/faces needs sharp for encoding face crops \(JPEG\) and report thumbnails \(PNG\), and it could not be loaded \(Cannot find module 'sharp'\)/,
    );
  });
});
