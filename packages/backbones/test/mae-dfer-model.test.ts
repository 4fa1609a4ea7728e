/**
 * mae_dfer model-level behaviour on the tiny preset: registry wiring, token/region bookkeeping, the
 * official initialisation, seeding, stochastic depth, and precise errors for bad configs and inputs.
 * (Numerical parity with PyTorch: mae-dfer-parity.test.ts; layers: mae-dfer-layers.test.ts; ONNX:
 * mae-dfer-onnx.test.ts; shape/gradient/NaN/leak/paper-count checks: the registry-generated tests.)
 */
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '@dfer/runtime';
import { expectNoTensorLeak } from '@dfer/test-utils';

import { createModel, getInputSpec, getModelInfo } from '../src/index';
import { createMaeDfer, MaeDfer, resolveMaeDferConfig } from '../src/models/mae-dfer';
import { sineTensor } from './mae-dfer-helpers';

beforeAll(async () => {
  await initEngine({ backend: 'cpu' });
});

describe('mae_dfer registration and presets', () => {
  it('is registered with paper and tiny presets whose metadata matches the built models', () => {
    const info = getModelInfo('mae_dfer');
    expect(info.defaultNumClasses).toBe(7);
    expect(info.presets.paper?.numParameters).toBe(84_878_343);
    expect(getInputSpec('mae_dfer', 'paper')).toEqual({
      frames: 16,
      height: 160,
      width: 160,
      channels: 3,
      mean: [0.485, 0.456, 0.406],
      std: [0.229, 0.224, 0.225],
    });
    const tiny = createModel('mae_dfer', { preset: 'tiny' });
    try {
      expect(tiny).toBeInstanceOf(MaeDfer);
      expect(tiny.numParameters()).toBe(info.presets.tiny?.numParameters);
      expect(tiny.numParameters()).toBeLessThanOrEqual(300_000);
      expect(tiny.inputSpec).toEqual(getInputSpec('mae_dfer', 'tiny'));
      const m = tiny as MaeDfer;
      expect(m.tokenGrid).toEqual([8, 4, 4]);
      expect(m.regionGrid).toEqual([4, 2, 1]);
      expect(m.numRegions).toBe(8);
    } finally {
      tiny.dispose();
    }
  });

  it('adds the AU head as a second Linear(dim → n AUs) output named au_head', () => {
    const m = createModel('mae_dfer', { preset: 'tiny', auHead: true });
    try {
      expect(m.numAus).toBe(18);
      const tail = m.stateDictSpec('pytorch').slice(-4);
      expect(tail).toEqual([
        { name: 'head.weight', shape: [7, 64], dtype: 'float32' },
        { name: 'head.bias', shape: [7], dtype: 'float32' },
        { name: 'au_head.weight', shape: [18, 64], dtype: 'float32' },
        { name: 'au_head.bias', shape: [18], dtype: 'float32' },
      ]);
      expect(m.numParameters()).toBe(266_375 + 18 * 64 + 18);
    } finally {
      m.dispose();
    }
  });
});

describe('MaeDfer initialisation and seeding', () => {
  it('follows the official _init_weights: Linear N(0, 0.02²) with zero bias, head × 0.001, LayerNorm 1/0', () => {
    const m = createMaeDfer({ preset: 'tiny', seed: 1 });
    try {
      const fc1 = m.blocks.get(0).mlp.fc1;
      const w = Array.from(fc1.weight.dataSync());
      const mean = w.reduce((a, b) => a + b, 0) / w.length;
      const std = Math.sqrt(w.reduce((a, b) => a + (b - mean) ** 2, 0) / w.length);
      // 16,384 samples: the sample std of N(0, 0.02²) is within 3% of 0.02 with overwhelming probability.
      expect(Math.abs(std - 0.02) / 0.02).toBeLessThan(0.03);
      expect(Math.abs(mean)).toBeLessThan(0.001);
      expect(Array.from((fc1.bias as tf.Variable).dataSync()).every((v) => v === 0)).toBe(true);
      const head = Array.from(m.head.weight.dataSync());
      expect(Math.max(...head.map(Math.abs))).toBeLessThan(0.02 * 0.001 * 6);
      expect(Math.max(...head.map(Math.abs))).toBeGreaterThan(0);
      expect(Array.from((m.fcNorm.weight as tf.Variable).dataSync()).every((v) => v === 1)).toBe(true);
      expect(Array.from(m.blocks.get(1).firstAttn.vBias.dataSync()).every((v) => v === 0)).toBe(true);
    } finally {
      m.dispose();
    }
  });

  it("with initialization 'zeros' starts every weight at 0 and LayerNorm scales at 1 (for loading weights)", () => {
    const m = createModel('mae_dfer', { preset: 'tiny', initialization: 'zeros' });
    try {
      for (const [name, v] of m.namedParameters()) {
        const expected = /norm\d*\.weight$/.test(name) ? 1 : 0;
        expect([name, Array.from(v.dataSync()).every((x) => x === expected)]).toEqual([name, true]);
      }
    } finally {
      m.dispose();
    }
  });

  it("with initialization 'layer_defaults' every Linear keeps PyTorch's U(±1/√fanIn) and the head is not scaled", () => {
    const official = createModel('mae_dfer', { preset: 'tiny', numClasses: 3 }) as MaeDfer;
    const defaults = createModel('mae_dfer', {
      preset: 'tiny',
      numClasses: 3,
      initialization: 'layer_defaults',
    }) as MaeDfer;
    try {
      const maxAbs = (v: tf.Variable): number => Math.max(...Array.from(v.dataSync(), Math.abs));
      const std = (v: tf.Variable): number => {
        const a = Array.from(v.dataSync());
        return Math.sqrt(a.reduce((s, x) => s + x * x, 0) / a.length);
      };
      // dim 64: bound 1/√64 = 0.125, std of U(±b) = b/√3 ≈ 0.072 (official: N(0, 0.02²) trunc ±2 → std ≈ 0.02).
      const fc1 = defaults.blocks.get(0).mlp.fc1;
      expect(maxAbs(fc1.weight)).toBeLessThanOrEqual(1 / Math.sqrt(64));
      expect(std(fc1.weight)).toBeGreaterThan(0.06);
      expect(std(fc1.weight)).toBeLessThan(0.085);
      expect(maxAbs(fc1.bias!)).toBeGreaterThan(0); // PyTorch's default bias, not the official 0
      expect(std(official.blocks.get(0).mlp.fc1.weight)).toBeLessThan(0.025);
      expect(Array.from(official.blocks.get(0).mlp.fc1.bias!.dataSync()).every((v) => v === 0)).toBe(true);
      // Head: official N(0, 0.02²) × 0.001 vs unscaled U(±0.125).
      expect(maxAbs(official.head.weight)).toBeLessThan(1e-4);
      expect(maxAbs(defaults.head.weight)).toBeGreaterThan(0.05);
      expect(maxAbs(defaults.head.weight)).toBeLessThanOrEqual(1 / Math.sqrt(64));
      // Both: LayerNorm 1/0, the same parameter names and shapes.
      expect(Array.from(defaults.fcNorm.weight!.dataSync()).every((v) => v === 1)).toBe(true);
      expect(defaults.namedParameters().map(([n, v]) => [n, v.shape])).toEqual(
        official.namedParameters().map(([n, v]) => [n, v.shape]),
      );
    } finally {
      official.dispose();
      defaults.dispose();
    }
  });

  it('same seed gives the same weights bit for bit, another seed different ones', () => {
    const [a, b, c] = [0, 0, 1].map((seed) => createMaeDfer({ preset: 'tiny', seed }));
    try {
      // All parameters as one byte string per model (bitwise comparison).
      const bytes = (m: MaeDfer): Buffer =>
        Buffer.concat(m.parameters().map((v) => Buffer.from((v.dataSync() as Float32Array).buffer)));
      const [ba, bb, bc] = [bytes(a as MaeDfer), bytes(b as MaeDfer), bytes(c as MaeDfer)];
      expect(ba.length).toBe(4 * 266_375);
      expect(ba.equals(bb)).toBe(true);
      expect(ba.equals(bc)).toBe(false);
    } finally {
      [a, b, c].forEach((m) => m?.dispose());
    }
  });
});

describe('MaeDfer forward', () => {
  it('returns logits, AU logits and features; stochastic depth acts only in training mode', async () => {
    await expectNoTensorLeak(() => {
      const m = new MaeDfer({
        dim: 32,
        depth: 2,
        heads: 2,
        regionSize: [2, 2, 4],
        inputSize: [64, 64],
        numFrames: 4,
        numAus: 5,
        dropPathRate: 0.5,
      });
      const x = sineTensor([2, 4, 64, 64, 3], 0.05, 0.3);
      const run = (): Float32Array => {
        const out = m.forward(x);
        expect(out.logits.shape).toEqual([2, 7]);
        expect(out.auLogits?.shape).toEqual([2, 5]);
        expect(out.features.shape).toEqual([2, 32]);
        const v = out.logits.dataSync().slice() as Float32Array;
        tf.dispose([out.logits, out.features, out.auLogits as tf.Tensor]);
        return v;
      };
      m.eval();
      const e1 = run();
      expect(Array.from(run())).toEqual(Array.from(e1));
      m.train();
      const t1 = run();
      const t2 = run();
      expect(Array.from(t1)).not.toEqual(Array.from(t2));
      x.dispose();
      m.dispose();
    });
  });

  it('rejects a clip of the wrong size, naming the expected layout', () => {
    const m = createMaeDfer({ preset: 'tiny' });
    const x = tf.zeros([1, 3, 16, 64, 64]);
    try {
      expect(() => m.forward(x)).toThrow(
        /mae_dfer\.forwardFeatures: expected input \[B, 16, 64, 64, 3\] \(B, T, H, W, C\), got \[1, 3, 16, 64, 64\]/,
      );
    } finally {
      x.dispose();
      m.dispose();
    }
  });

  it('rejects configs whose token grid does not split into regions', () => {
    expect(() => resolveMaeDferConfig({ inputSize: [128, 128] })).toThrow(
      /token grid inputSize\[0\] \/ patchSize = 8 must be an integer divisible by regionSize\[1\] = 5/,
    );
    expect(() => resolveMaeDferConfig({ numFrames: 15 })).toThrow(/numFrames \/ tubeletSize = 7.5/);
    expect(() => resolveMaeDferConfig({ dim: 100 })).toThrow(
      /config.dim \(100\) must be divisible by config.heads \(8\)/,
    );
    expect(() => resolveMaeDferConfig({ dropPathRate: 1 })).toThrow(
      /dropPathRate must be in \[0, 1\), got 1/,
    );
    expect(() => createMaeDfer({ preset: 'huge' })).toThrow(/unknown preset 'huge'; presets: paper, tiny/);
  });
});

describe('MaeDfer training gradients on wasm', () => {
  afterAll(async () => {
    await initEngine({ backend: 'cpu' });
  });

  it('equal the cpu backend; exactly the last block S3 parameters get no gradient', async () => {
    const config = {
      dim: 16,
      depth: 1,
      heads: 2,
      regionSize: [2, 2, 4] as const,
      inputSize: [64, 64] as const,
    };
    let withoutGradient: readonly string[] = [];
    const gradients = async (backend: 'cpu' | 'wasm'): Promise<Map<string, Float32Array>> => {
      await initEngine({ backend });
      const m = new MaeDfer({ ...config, numFrames: 4, numAus: 3, seed: 5, dropPathRate: 0 });
      withoutGradient = m.parametersWithoutGradient;
      const x = sineTensor([2, 4, 64, 64, 3], 0.05, 0.3);
      const { value, grads } = tf.variableGrads(() =>
        tf.tidy(() => {
          const out = m.forward(x);
          return tf.add(
            tf.sum(tf.square(out.logits)),
            tf.sum(tf.sin(out.auLogits as tf.Tensor)),
          ) as tf.Scalar;
        }),
      );
      const byName = new Map<string, Float32Array>();
      for (const [name, v] of m.namedParameters()) {
        byName.set(name, (grads[v.name] as tf.Tensor).dataSync().slice() as Float32Array);
      }
      tf.dispose([value, x, ...Object.values(grads)]);
      m.dispose();
      return byName;
    };
    const cpu = await gradients('cpu');
    const wasm = await gradients('wasm');
    expect([...wasm.keys()]).toEqual([...cpu.keys()]);
    expect(withoutGradient).toEqual([
      'blocks.0.third_attn_norm0.weight',
      'blocks.0.third_attn_norm0.bias',
      'blocks.0.third_attn_norm1.weight',
      'blocks.0.third_attn_norm1.bias',
      'blocks.0.third_attn.q_bias',
      'blocks.0.third_attn.v_bias',
      'blocks.0.third_attn.q.weight',
      'blocks.0.third_attn.kv.weight',
      'blocks.0.third_attn.proj.weight',
      'blocks.0.third_attn.proj.bias',
    ]);
    for (const [name, g] of cpu) {
      const w = wasm.get(name) as Float32Array;
      const scale = Math.max(...Array.from(g, Math.abs));
      // Non-zero gradient everywhere except the last block's S3 (its local tokens are never read).
      expect([name, scale > 0]).toEqual([name, !withoutGradient.includes(name)]);
      for (let i = 0; i < g.length; i++) {
        if (!(Math.abs((w[i] as number) - (g[i] as number)) <= 1e-4 * scale + 1e-7)) {
          throw new Error(`${name}[${i}]: wasm ${w[i]}, cpu ${g[i]}`);
        }
      }
    }
  });
});
