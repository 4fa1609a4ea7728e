import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createSeededRng, expectNoTensorLeak, tinyClip } from '../src';

describe('createSeededRng', () => {
  it('reproduces the mulberry32 reference sequence', () => {
    // Reference values from an independent Python port of mulberry32 (seed 1, first three 32-bit outputs).
    const rng = createSeededRng(1);
    const ints = [rng.next(), rng.next(), rng.next()].map((x) => Math.round(x * 4294967296));
    expect(ints).toEqual([2693262067, 11749833, 2265367787]);
  });

  it('gives the same sequence for the same seed and another for another seed', () => {
    const a = createSeededRng(42).uniformArray(16);
    const b = createSeededRng(42).uniformArray(16);
    const c = createSeededRng(43).uniformArray(16);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
  });

  it('has the moments of U(0,1) and N(0,1)', () => {
    const rng = createSeededRng(7);
    let s = 0;
    let sn = 0;
    let sn2 = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) {
      s += rng.next();
      const z = rng.normal();
      sn += z;
      sn2 += z * z;
    }
    expect(s / n).toBeCloseTo(0.5, 2);
    expect(sn / n).toBeCloseTo(0, 1);
    expect(sn2 / n).toBeCloseTo(1, 1);
  });
});

describe('expectNoTensorLeak', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('passes for a tidy function and lets it return a tensor', async () => {
    const out = await expectNoTensorLeak(() => tf.tidy(() => tf.add(tf.ones([2]), tf.ones([2]))));
    expect(Array.from(out.dataSync())).toEqual([2, 2]);
    out.dispose();
  });

  it('fails when a tensor is left behind', async () => {
    let leaked: tf.Tensor | undefined;
    await expect(
      expectNoTensorLeak(() => {
        leaked = tf.ones([3]);
        return 1;
      }),
    ).rejects.toThrow(/1 leaked/);
    leaked?.dispose();
  });
});

describe('tinyClip', () => {
  it('has the requested shape and is reproducible', () => {
    const a = tinyClip(2, 3, 4, 3, 5);
    expect(a.shape).toEqual([2, 3, 4, 3]);
    expect(a.data.length).toBe(72);
    expect(Array.from(tinyClip(2, 3, 4, 3, 5).data)).toEqual(Array.from(a.data));
  });
});
