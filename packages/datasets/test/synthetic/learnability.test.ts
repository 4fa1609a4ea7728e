import {
  createIdentityFolds,
  createSyntheticFacsDataset,
  type SyntheticFacsDataset,
} from '@dfer/datasets/synthetic';

/**
 * A proxy for "a tiny CNN can learn the expressions at 32 px": a nearest-class-mean classifier on
 * the pixel change between a clip's first frame (neutral) and its apex frame, trained and tested on
 * disjoint identities, must be far above chance. If the AU motions were invisible at this size, the
 * apex − neutral differences of different classes would be indistinguishable.
 */
async function features(ds: SyntheticFacsDataset, index: number): Promise<Float64Array> {
  const info = ds.getClipInfo(index);
  const clip = await ds.get(index, { frameIndices: [info.keySegment.start, info.keySegment.apexStart] });
  const [, h, w] = clip.shape;
  const n = h * w * 3;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = (clip.frames[n + i] as number) - (clip.frames[i] as number);
  return out;
}

describe('learnability at 32×32', () => {
  it('apex − neutral pixel changes separate the 7 expressions on unseen identities (nearest class mean)', async () => {
    const ds = createSyntheticFacsDataset({
      seed: 17,
      numClips: 210,
      numIdentities: 30,
      size: [32, 32],
      numFrames: [16, 20],
      classProportions: [1, 1, 1, 1, 1, 1, 1],
      hardRate: 0,
      distractorRate: 0,
      speechRate: 0,
      occlusionRate: 0,
      blinkRate: 0,
    });
    const [fold] = createIdentityFolds(ds, 3, { seed: 1 });
    if (fold === undefined) throw new Error('no fold');
    const E = ds.labelNames.length;
    const means: Float64Array[] = [];
    const counts = new Array<number>(E).fill(0);
    for (const i of fold.train) {
      const f = await features(ds, i);
      const y = ds.getClipInfo(i).trueLabel;
      means[y] ??= new Float64Array(f.length);
      const m = means[y] as Float64Array;
      for (let k = 0; k < f.length; k++) m[k] = (m[k] as number) + (f[k] as number);
      counts[y] = (counts[y] as number) + 1;
    }
    means.forEach((m, y) => m.forEach((v, k) => (m[k] = v / (counts[y] as number))));
    let correct = 0;
    for (const i of fold.test) {
      const f = await features(ds, i);
      let best = -1;
      let bestD = Infinity;
      means.forEach((m, y) => {
        let d = 0;
        for (let k = 0; k < f.length; k++) d += ((f[k] as number) - (m[k] as number)) ** 2;
        if (d < bestD) {
          bestD = d;
          best = y;
        }
      });
      if (best === ds.getClipInfo(i).trueLabel) correct++;
    }
    const accuracy = correct / fold.test.length;
    console.log(
      `nearest-class-mean accuracy on ${fold.test.length} clips of unseen identities: ${accuracy.toFixed(3)} (chance ${(1 / E).toFixed(3)})`,
    );
    expect(accuracy).toBeGreaterThan(0.4);
  });
});
