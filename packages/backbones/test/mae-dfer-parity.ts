/**
 * The MAE-DFER parity cases of test/mae-dfer-fixtures/parity.json (made by make_parity_fixture.py, an
 * independent PyTorch implementation of the official network) and the comparison, shared by
 * mae-dfer-parity.test.ts and the stand-alone runner mae-dfer-fixtures/check-paper-parity.ts. No jest here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import * as tf from '@tensorflow/tfjs-core';

import { MaeDfer, type MaeDferConfig } from '../src/models/mae-dfer';
import { loadDeterministicWeights, sineTensor } from './mae-dfer-helpers';

/** One case of parity.json. */
export interface ParityCase {
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

/**
 * Largest |actual − expected| / max(|expected|, max |expected| of the tensor); throws naming the first
 * element beyond `rtol` (and on a shape mismatch).
 */
function compareClose(what: string, actual: number[][], expected: number[][], rtol: number): number {
  if (actual.length !== expected.length || actual.some((row, i) => row.length !== expected[i]?.length)) {
    throw new Error(`${what}: shape differs from the fixture`);
  }
  const scale = Math.max(...expected.flat().map(Math.abs));
  let worst = 0;
  actual.forEach((row, i) =>
    row.forEach((v, j) => {
      const e = (expected[i] as number[])[j] as number;
      const rel = Math.abs(v - e) / Math.max(Math.abs(e), scale);
      if (!(rel <= rtol)) throw new Error(`${what}[${i}][${j}]: got ${v}, expected ${e} (rtol ${rtol})`);
      worst = Math.max(worst, rel);
    }),
  );
  return worst;
}

/**
 * Builds the case's model, loads the deterministic weights, runs the fixture input in eval mode on the
 * active backend and compares logits, AU logits and the first 8 features with the PyTorch values
 * (rtol 1e-3). Throws on a mismatch; returns the largest relative error of each output. Disposes all it
 * allocates.
 */
export function compareParityCase(name: string): Record<string, number> {
  const c = fixtureCase(name);
  const model = new MaeDfer(modelConfig(c.config));
  try {
    loadDeterministicWeights(model);
    model.eval();
    // Input in the tfjs layout [B, T, H, W, C], flat element j = sin(0.05·j + 0.3).
    const x = sineTensor([c.config.batch, c.config.frames, c.config.size[0], c.config.size[1], 3], 0.05, 0.3);
    const out = model.forward(x);
    const head = tf.slice(out.features, [0, 0], [-1, 8]) as tf.Tensor2D;
    try {
      const errors: Record<string, number> = {
        logits: compareClose(`${name}.logits`, (out.logits as tf.Tensor2D).arraySync(), c.logits, 1e-3),
        features: compareClose(`${name}.features`, head.arraySync(), c.featuresHead, 1e-3),
      };
      if ((c.auLogits === undefined) !== (out.auLogits === undefined)) {
        throw new Error(`${name}: AU logits present in only one of the fixture and the model`);
      }
      if (c.auLogits !== undefined) {
        errors.auLogits = compareClose(
          `${name}.auLogits`,
          (out.auLogits as tf.Tensor2D).arraySync(),
          c.auLogits,
          1e-3,
        );
      }
      return errors;
    } finally {
      tf.dispose([x, head, out.logits, out.features, ...(out.auLogits ? [out.auLogits] : [])]);
    }
  } finally {
    model.dispose();
  }
}
