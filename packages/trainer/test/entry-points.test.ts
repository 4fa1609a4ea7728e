import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { inFreshNode, nativeModulesLoaded } from '@dfer/test-utils';

/**
 * What a consumer's `require('@dfer/trainer')` (and the `dfer` command's `dist/cli.js`) loads: the built
 * package is required in a fresh Node process inside the package folder (so `@dfer/trainer` resolves to
 * itself through its `exports` map), recording every module request, native addon and `require.cache`
 * key. Through runtime and faces, onnxruntime-node loads with the first ONNX session, sharp with the
 * first image encoded or decoded and the face models with the first face detector: none at import.
 */
const packageDir = join(__dirname, '..');
const builtCase = existsSync(join(packageDir, 'dist', 'index.js')) ? it : it.skip;

describe('entry points (needs the build in dist/)', () => {
  builtCase('the root entry loads no native module (onnxruntime-node, sharp, the face models)', () => {
    const report = inFreshNode(
      packageDir,
      `const trainer = require('@dfer/trainer');
return [typeof trainer.runExperiment, typeof trainer.runAnalyzeCommand, typeof trainer.runPrepareCommand];`,
    );
    expect(report.result).toEqual(['function', 'function', 'function']);
    expect(report.requested).toContain('@dfer/trainer');
    // The faces and runtime packages are loaded (analyze/prepare and export-onnx use them), their natives not.
    expect(report.cached.some((k) => /[\\/]faces[\\/]dist[\\/]index\.js$/.test(k))).toBe(true);
    expect(nativeModulesLoaded(report)).toEqual([]);
  });

  builtCase('the CLI module (what `dfer --help` loads) loads no native module', () => {
    const report = inFreshNode(packageDir, `return typeof require('./dist/cli.js').runCli;`);
    expect(report.result).toBe('function');
    expect(nativeModulesLoaded(report)).toEqual([]);
  });

  builtCase('the check sees onnxruntime-node once an ONNX session is created', () => {
    const report = inFreshNode(
      packageDir,
      `require('@dfer/trainer');
const { OnnxGraph, createSession } = require('@dfer/runtime');
const g = new OnnxGraph('relu');
g.addOutput(g.addNode('Relu', [g.addInput('x', [1, 3])]), 'y');
const session = await createSession(g.toBytes());
await session.release();
return session.model.inputs.map((i) => i.name);`,
    );
    expect(report.result).toEqual(['x']);
    expect(report.addons.some((file) => /onnxruntime_binding\.node$/.test(file))).toBe(true);
    expect(nativeModulesLoaded(report)).not.toEqual([]);
  });
});
