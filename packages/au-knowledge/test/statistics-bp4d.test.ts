import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AU_SETS, auBaseRates, auClassWeights, auCooccurrence, jaaClassWeights } from '@dfer/au-knowledge';
import { describeWithSharedFiles } from '@dfer/test-utils';

interface Reference {
  frames: number;
  positives: number[];
  rates: number[];
  noAuFraction: number;
  meanAusPerSample: number;
  cooccurrence: number[];
  weights: Record<string, number[]>;
}
// Made by fixtures/make-bp4d-weights.py (numpy) from the same label files.
const reference = JSON.parse(
  readFileSync(join(__dirname, 'fixtures', 'bp4d-weights.json'), 'utf8'),
) as Reference;

// au-detection.md: "Base rates over all 125,884 frames: AU1 .199, AU2 .162, …, AU24 .147; 7.7% of frames have no AU, 4.03 AUs per frame".
const documentedRates = [0.199, 0.162, 0.206, 0.46, 0.564, 0.59, 0.562, 0.455, 0.169, 0.355, 0.164, 0.147];

function readLabels(path: string): Uint8Array[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => Uint8Array.from(line.trim().split(/\s+/).map(Number)));
}

describeWithSharedFiles(
  'statistics of the BP4D AU labels (../shared/data/bp4d)',
  ['bp4d/BP4D_combine_1_2_AUOccur.txt', 'bp4d/BP4D_part3_AUOccur.txt'],
  (part12, part3) => {
    const frames = [...readLabels(part12 as string), ...readLabels(part3 as string)];
    const stats = auBaseRates(frames, { aus: 'bp4d12' });

    it('base rates match au-detection.md to 3 decimals', () => {
      expect(stats.total).toBe(125884);
      expect(stats.aus).toEqual(AU_SETS.bp4d12);
      stats.rates.forEach((r, i) => expect(r).toBeCloseTo(documentedRates[i] as number, 3));
      expect(stats.noAuFraction).toBeCloseTo(0.077, 3);
      expect(stats.meanAusPerSample).toBeCloseTo(4.03, 2);
      expect(Array.from(stats.positives)).toEqual(reference.positives);
    });

    it('JAA weights match numpy and the weights implied by the documented rates', () => {
      const jaa = jaaClassWeights(stats);
      jaa.forEach((w, i) => expect(w).toBeCloseTo(reference.weights.jaa?.[i] as number, 12));
      // From the 3-decimal rates of au-detection.md: same weights to 3 significant digits.
      const fromDoc = jaaClassWeights(documentedRates);
      jaa.forEach((w, i) => expect(Math.abs(w - (fromDoc[i] as number)) / w).toBeLessThan(5e-3));
      expect(jaa.reduce((a, b) => a + b, 0) / jaa.length).toBeCloseTo(1, 12);
      // Rarest AU (AU24) gets the largest weight, the most frequent (AU10) the smallest.
      expect(jaa.indexOf(Math.max(...jaa))).toBe(11);
      expect(jaa.indexOf(Math.min(...jaa))).toBe(5);
    });

    it.each([
      ['power', { method: 'power', alpha: 0.5 }, 'power_0.5'],
      ['log', { method: 'log', c: 1 }, 'log_c1'],
      ['effective-number', { method: 'effective-number', beta: 0.9999 }, 'effective_number_0.9999'],
      ['pos-weight', { method: 'pos-weight' }, 'pos_weight'],
    ] as const)('smooth variant %s matches numpy and averages to 1', (_name, options, key) => {
      const w = auClassWeights(stats, options);
      w.forEach((v, i) => expect(v).toBeCloseTo(reference.weights[key]?.[i] as number, 12));
      expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(12, 10);
    });

    it('co-occurrence counts match numpy', () => {
      const co = auCooccurrence(frames);
      expect(Array.from(co.counts)).toEqual(reference.cooccurrence);
      expect(co.absentAus).toEqual([]);
      // P(AU j | AU i) diagonal is 1.
      for (let i = 0; i < 12; i++) expect(co.conditional[i * 12 + i]).toBe(1);
    });
  },
);
