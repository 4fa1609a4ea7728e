import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { inFreshNode, missingModulesPrelude, nativeModulesLoaded } from '@dfer/test-utils';

/**
 * What a consumer's `require('@dfer/runtime')` loads: the built package is required in a fresh Node
 * process inside the package folder (so `@dfer/runtime` resolves to itself through its `exports` map),
 * recording every module request, native addon and `require.cache` key. onnxruntime-node (a native
 * binding) loads with the first ONNX session, not at import.
 */
const packageDir = join(__dirname, '..');
const builtCase = existsSync(join(packageDir, 'dist', 'index.js')) ? it : it.skip;

/** A one-node model built with the package's own OnnxGraph: y = relu(x), x of shape [1, 3]. */
const RELU_MODEL = `
const { OnnxGraph } = runtime;
const g = new OnnxGraph('relu');
g.addOutput(g.addNode('Relu', [g.addInput('x', [1, 3])]), 'y');
const bytes = g.toBytes();`;

describe('entry point (needs the build in dist/)', () => {
  builtCase('the root entry loads no native module (onnxruntime-node)', () => {
    const report = inFreshNode(
      packageDir,
      `const runtime = require('@dfer/runtime'); return [typeof runtime.createSession, typeof runtime.exportOnnx];`,
    );
    expect(report.result).toEqual(['function', 'function']);
    expect(report.requested).toContain('@dfer/runtime');
    expect(nativeModulesLoaded(report)).toEqual([]);
  });

  builtCase('the check sees onnxruntime-node once the first session is created (and it runs)', () => {
    const report = inFreshNode(
      packageDir,
      `const runtime = require('@dfer/runtime');${RELU_MODEL}
const before = Object.keys(require.cache).filter((k) => k.includes('onnxruntime')).length;
const session = await runtime.createSession(bytes);
const out = await runtime.runSession(session, { x: { data: new Float32Array([-1, 0, 2]), dims: [1, 3] } });
await session.release();
return { before, y: Array.from(out.y.data) };`,
    );
    expect(report.result).toEqual({ before: 0, y: [0, 0, 2] });
    expect(report.requested).toContain('onnxruntime-node');
    expect(report.addons.some((file) => /onnxruntime_binding\.node$/.test(file))).toBe(true);
    expect(nativeModulesLoaded(report)).not.toEqual([]);
  });

  builtCase('a missing onnxruntime-node is a clear error at the first session, not at import', () => {
    const report = inFreshNode(
      packageDir,
      `
${missingModulesPrelude('onnxruntime-node')}
const runtime = require('@dfer/runtime');${RELU_MODEL}
const messages = [];
for (let attempt = 0; attempt < 2; attempt++) {
  try { await runtime.createSession(bytes); } catch (e) { messages.push(e.message); }
}
return messages;`,
    );
    const expected = expect.stringMatching(
      /^@dfer\/runtime needs onnxruntime-node for running ONNX models \(createSession, exportOnnx, assertParity\), and it could not be loaded \(Cannot find module 'onnxruntime-node'\)\. It is a dependency of @dfer\/runtime/,
    );
    // Not cached as a failure: the second call tries again and fails the same way.
    expect(report.result).toEqual([expected, expected]);
  });
});
