/**
 * Parity of the MAE-DFER LGI-Former with an independent PyTorch reference
 * (test/mae-dfer-fixtures/make_parity_fixture.py → parity.json): same deterministic weights
 * (test/mae-dfer-helpers.ts), same input, eval mode; logits (and AU logits, features) must agree within
 * 1e-3 relative.
 *
 * Default suite: `tiny` (the tiny preset's architecture, batch 2, AU head) on the cpu backend.
 * Opt-in with `DFER_SLOW_TESTS=1` (each needs the 85M-parameter model: building it and filling the
 * deterministic weights take tens of seconds, the forward 5–15 s on wasm; too slow for the default suite
 * on a shared 2-core machine): `paper_4x160`, the paper architecture (dim 512, depth 16, 8 heads, region
 * 2×5×10) at its smallest square input with several regions (4 frames × 160×160, 2 regions), and `paper`,
 * the paper preset at its native 16 × 160 × 160 input. Both run on wasm (cpu would take minutes).
 *
 *     DFER_SLOW_TESTS=1 npx jest test/mae-dfer-parity.test.ts
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '@dfer/runtime';
import { expectNoTensorLeak } from '@dfer/test-utils';

import { MaeDfer, type MaeDferConfig } from '../src/models/mae-dfer';
import { loadDeterministicWeights, sineTensor } from './mae-dfer-helpers';

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

/** |actual − expected| ≤ rtol · max(|expected|, max |expected| of the tensor), element-wise. */
function expectClose(actual: number[][], expected: number[][], rtol: number): void {
  expect(actual.length).toBe(expected.length);
  const scale = Math.max(...expected.flat().map(Math.abs));
  actual.forEach((row, i) =>
    row.forEach((v, j) => {
      const e = (expected[i] as number[])[j] as number;
      if (!(Math.abs(v - e) <= rtol * Math.max(Math.abs(e), scale))) {
        throw new Error(`[${i}][${j}]: got ${v}, expected ${e} (rtol ${rtol})`);
      }
    }),
  );
}

async function runCase(name: string): Promise<void> {
  const c = fixtureCase(name);
  await expectNoTensorLeak(() => {
    const model = new MaeDfer(modelConfig(c.config));
    try {
      loadDeterministicWeights(model);
      model.eval();
      // Input in the tfjs layout [B, T, H, W, C], flat element j = sin(0.05·j + 0.3).
      const x = sineTensor(
        [c.config.batch, c.config.frames, c.config.size[0], c.config.size[1], 3],
        0.05,
        0.3,
      );
      const out = model.forward(x);
      expectClose((out.logits as tf.Tensor2D).arraySync(), c.logits, 1e-3);
      if (c.auLogits === undefined) {
        expect(out.auLogits).toBeUndefined();
      } else {
        expectClose((out.auLogits as tf.Tensor2D).arraySync(), c.auLogits, 1e-3);
      }
      const head = tf.slice(out.features, [0, 0], [-1, 8]) as tf.Tensor2D;
      expectClose(head.arraySync(), c.featuresHead, 1e-3);
      tf.dispose([x, head, out.logits, out.features, ...(out.auLogits ? [out.auLogits] : [])]);
    } finally {
      model.dispose();
    }
  });
}

describe('MAE-DFER parity with the PyTorch reference (cpu)', () => {
  beforeAll(async () => {
    await initEngine({ backend: 'cpu' });
  });

  it('tiny architecture (dim 64, depth 2, 8 regions, AU head), batch 2', async () => {
    await runCase('tiny');
  });
});

const describeSlow = process.env.DFER_SLOW_TESTS === '1' ? describe : describe.skip;

describeSlow(
  'MAE-DFER parity with the PyTorch reference, paper architecture (wasm; DFER_SLOW_TESTS=1)',
  () => {
    beforeAll(async () => {
      await initEngine({ backend: 'wasm' });
    });
    afterAll(async () => {
      await initEngine({ backend: 'cpu' });
    });

    it('paper architecture (dim 512, depth 16, region 2×5×10) at 4 × 160 × 160 (2 regions)', async () => {
      await runCase('paper_4x160');
    }, 900_000);

    it('paper preset at its native 16 × 160 × 160 input', async () => {
      await runCase('paper');
    }, 900_000);
  },
);
