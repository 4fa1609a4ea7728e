import {
  inFreshNode as runInFreshNode,
  missingModulesPrelude,
  nativeModulesLoaded,
  type LoadReport,
} from '@dfer/test-utils';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * What a consumer's `require` loads: each entry point of the built package is required in a fresh Node
 * process inside the package folder (so `@dfer/datasets` resolves to itself through its `exports` map), with
 * `Module._load` and `process.dlopen` recording every module request and every native addon.
 */
const packageDir = join(__dirname, '..');
const builtCase = existsSync(join(packageDir, 'dist', 'index.js')) ? it : it.skip;

const inFreshNode = (body: string): LoadReport => runInFreshNode(packageDir, body);
const nativeLoads = (report: LoadReport): string[] => nativeModulesLoaded(report);

describe('entry points (needs the build in dist/)', () => {
  builtCase('the root entry loads no native module (sharp, @napi-rs/canvas, @ffmpeg-installer)', () => {
    const report = inFreshNode(
      `const d = require('@dfer/datasets'); return [typeof d.createClipLoader, typeof d.createDataset];`,
    );
    expect(report.result).toEqual(['function', 'function']);
    expect(report.requested).toContain('@dfer/datasets');
    expect(nativeLoads(report)).toEqual([]);
  });

  builtCase.each([
    ['@dfer/datasets/synthetic', 'createSyntheticFacsDataset'],
    ['@dfer/datasets/media', 'decodeVideo'],
    ['@dfer/datasets/annotations', 'readSplitList'],
  ])('%s resolves through the exports map and loads no native module', (entry, name) => {
    const report = inFreshNode(`return typeof require(${JSON.stringify(entry)})[${JSON.stringify(name)}];`);
    expect(report.result).toBe('function');
    expect(report.cached.some((k) => k.endsWith(`/dist/${entry.split('/')[2]}/index.js`))).toBe(true);
    expect(nativeLoads(report)).toEqual([]);
  });

  builtCase('the synthetic generator loads @napi-rs/canvas with its first rendered frame', () => {
    const report = inFreshNode(`
const { createSyntheticFacsDataset } = require('@dfer/datasets/synthetic');
const dataset = createSyntheticFacsDataset({ seed: 1, numClips: 1, size: [16, 16] });
const before = Object.keys(require.cache).filter((k) => k.includes('@napi-rs')).length;
const sample = await dataset.get(0, { frameIndices: [0] });
return { before, frames: sample.frames.length };`);
    expect(report.result).toEqual({ before: 0, frames: 16 * 16 * 3 });
    expect(report.requested).toContain('@napi-rs/canvas');
    expect(report.addons.some((file) => /napi-rs|skia/.test(file))).toBe(true);
  });

  builtCase('the check sees a native module when one is loaded (sharp on the first decode)', () => {
    const report = inFreshNode(
      `const { loadSharp } = require('./dist/native-modules.js'); return typeof loadSharp();`,
    );
    expect(report.result).toBe('function');
    expect(report.requested).toContain('sharp');
    expect(report.addons.some((file) => /sharp/.test(file))).toBe(true);
  });

  builtCase('a missing native module is a clear error on first use, not at import', () => {
    const report = inFreshNode(`
${missingModulesPrelude('sharp', '@napi-rs/canvas')}
const { loadSharp, loadCanvas } = require('./dist/native-modules.js');
const messages = [];
for (const load of [loadSharp, loadCanvas]) {
  try { load(); } catch (e) { messages.push(e.message); }
}
return messages;`);
    expect(report.result).toEqual([
      expect.stringMatching(
        /^@dfer\/datasets needs sharp for decoding JPEG\/PNG frames, and it could not be loaded \(Cannot find module 'sharp'\)/,
      ),
      expect.stringMatching(
        /^@dfer\/datasets needs @napi-rs\/canvas for drawing the synthetic faces, and it could not be loaded \(Cannot find module '@napi-rs\/canvas'\)/,
      ),
    ]);
  });
});
