import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '@dfer/runtime';

/** What initEngine reports: one short line by default, every detail with verbose; no third-party banner. */
describe('initEngine report', () => {
  it('the cpu backend prints no "install our node backend" banner when it stores its first tensor', async () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const lines: string[] = [];
      await initEngine({ backend: 'cpu', log: (line) => lines.push(line) });
      tf.tidy(() => tf.add(tf.tensor1d([1, 2]), 1).dataSync());
      expect(lines).toEqual(['engine: tfjs-cpu (requested)']);
      expect(warn.mock.calls.flat().join('\n')).not.toMatch(/node backend/);
    } finally {
      warn.mockRestore();
    }
  });

  it('a requested backend: one short line; verbose: the full reason and the kernel fixes', async () => {
    const lines: string[] = [];
    const info = await initEngine({ backend: 'wasm', log: (line) => lines.push(line) });
    expect(info.summary).toBe('engine: tfjs-wasm (requested)');
    const verbose = await initEngine({ backend: 'wasm', verbose: true, log: (line) => lines.push(line) });
    expect(lines).toEqual([
      'engine: tfjs-wasm (requested)',
      `@dfer/runtime: tfjs backend 'wasm' (wasm backend available (single-threaded in Node)); ${verbose.kernelFixes.length} kernel fixes registered`,
    ]);
  });

  it('auto: the backend and, in a few words, why; the long list of failed imports only in the reason', async () => {
    const lines: string[] = [];
    const info = await initEngine({ backend: 'auto', log: (line) => lines.push(line) });
    expect(lines).toEqual([info.summary]);
    if (info.backend === 'tensorflow')
      expect(info.summary).toMatch(/^engine: tfjs-tensorflow \(@tensorflow\//);
    else {
      // Where tfjs-node is not installed (as on the project's machines): the reason lists both imports.
      expect(info.reason).toMatch(/tried: .*tfjs-node-gpu not importable/);
      expect(info.summary).toBe(
        `engine: tfjs-${info.backend} (tfjs-node is not installed; --verbose for details)`,
      );
    }
    expect(info.summary.length).toBeLessThan(80);
  });
});
