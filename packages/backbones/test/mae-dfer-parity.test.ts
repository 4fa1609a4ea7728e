/**
 * Parity of the MAE-DFER LGI-Former with an independent PyTorch reference
 * (test/mae-dfer-fixtures/make_parity_fixture.py → parity.json): same deterministic weights, same input,
 * eval mode; logits must agree within 1e-3 relative.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';

import { MaeDfer, type MaeDferConfig } from '../src/models/mae-dfer';

interface ParityCase {
  config: {
    dim: number;
    depth: number;
    heads: number;
    mlp_ratio: number;
    tubelet: number;
    patch: number;
    region: [number, number, number];
    frames: number;
    size: [number, number];
    num_classes: number;
    num_aus: number;
    batch: number;
  };
  logits: number[][];
  auLogits?: number[][];
  featuresHead: number[][];
}

const fixture = JSON.parse(readFileSync(join(__dirname, 'mae-dfer-fixtures', 'parity.json'), 'utf8')) as {
  cases: Record<string, ParityCase>;
};

function fixtureCase(name: string): ParityCase {
  const c = fixture.cases[name];
  if (c === undefined) throw new Error(`parity.json has no case '${name}'`);
  return c;
}

/** The deterministic weights of make_parity_fixture.py, in PyTorch layout and state-dict order. */
function deterministicStateDict(model: MaeDfer): Record<string, tf.Tensor> {
  const dict: Record<string, tf.Tensor> = {};
  model.stateDictSpec('pytorch').forEach((entry, k) => {
    const size = entry.shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    const isNormWeight = /norm\d*\.weight$/.test(entry.name);
    for (let i = 0; i < size; i++) {
      const base = Math.sin(0.7 * i + k);
      values[i] = isNormWeight ? 1 + 0.1 * base : 0.02 * base;
    }
    dict[entry.name] = tf.tensor(values, entry.shape);
  });
  return dict;
}

function deterministicInput(batch: number, frames: number, size: [number, number]): tf.Tensor {
  const shape = [batch, frames, size[0], size[1], 3];
  const n = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(n);
  for (let j = 0; j < n; j++) values[j] = Math.sin(0.05 * j + 0.3);
  return tf.tensor(values, shape);
}

function modelConfig(c: ParityCase['config']): MaeDferConfig {
  return {
    dim: c.dim,
    depth: c.depth,
    heads: c.heads,
    mlpRatio: c.mlp_ratio,
    tubeletSize: c.tubelet,
    patchSize: c.patch,
    regionSize: c.region,
    numFrames: c.frames,
    inputSize: c.size,
    numClasses: c.num_classes,
    numAus: c.num_aus,
  };
}

function expectClose(actual: number[][], expected: number[][], rtol: number): void {
  expect(actual.length).toBe(expected.length);
  const scale = Math.max(...expected.flat().map(Math.abs));
  actual.forEach((row, i) =>
    row.forEach((v, j) => {
      const e = (expected[i] as number[])[j] as number;
      expect(Math.abs(v - e)).toBeLessThanOrEqual(rtol * Math.max(Math.abs(e), scale));
    }),
  );
}

function runCase(name: string): void {
  const c = fixtureCase(name);
  const model = new MaeDfer(modelConfig(c.config));
  try {
    const dict = deterministicStateDict(model);
    model.loadStateDict(dict, { layout: 'pytorch' });
    tf.dispose(Object.values(dict));
    model.eval();
    const x = deterministicInput(c.config.batch, c.config.frames, c.config.size);
    const out = model.forward(x);
    expectClose(out.logits.arraySync(), c.logits, 1e-3);
    if (c.auLogits !== undefined) {
      expect(out.auLogits).toBeDefined();
      expectClose((out.auLogits as tf.Tensor2D).arraySync(), c.auLogits, 1e-3);
    }
    expectClose((tf.slice(out.features, [0, 0], [-1, 8]) as tf.Tensor2D).arraySync(), c.featuresHead, 1e-3);
    tf.dispose([x, out.logits, out.features, ...(out.auLogits ? [out.auLogits] : [])]);
  } finally {
    model.dispose();
  }
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('MAE-DFER parity with the PyTorch reference', () => {
  it('tiny architecture (dim 64, depth 2, 8 regions, AU head), batch 2', () => {
    runCase('tiny');
  });
});
