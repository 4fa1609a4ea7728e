import { readFileSync } from 'node:fs';
import { LABEL_SETS, getExpression } from '@dfer/au-knowledge';
import { describeWithSharedData, sharedDataPath } from '@dfer/test-utils';

/** Labels (third field) and clip paths (first field) of a split file `<clip dir> <frames> <label>`. */
function readSplit(path: string): { paths: string[]; labels: number[] } {
  const paths: string[] = [];
  const labels: number[] = [];
  readFileSync(path, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (line.trim() === '') return;
      const fields = line.trim().split(/\s+/);
      const label = Number(fields[2]);
      if (fields.length !== 3 || !Number.isInteger(label))
        throw new Error(`${path}:${i + 1}: expected '<clip dir> <frames> <label>'`);
      paths.push(fields[0] as string);
      labels.push(label);
    });
  return { paths, labels };
}

function countsByLabel(labels: readonly string[], values: readonly number[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const name of labels) counts[name] = 0;
  for (const v of values) {
    const name = labels[v];
    if (name === undefined) throw new Error(`label index ${v} is outside the ${labels.length} labels`);
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}

describeWithSharedData(
  'splits/DFEW_set_1_train.txt',
  'DFEW fold-1 class counts (SOURCES.md)',
  (trainPath) => {
    it('train and test counts per LABEL_SETS.dfew name match ../shared/data/SOURCES.md', () => {
      const train = readSplit(trainPath);
      expect(train.labels).toHaveLength(9356);
      expect(countsByLabel(LABEL_SETS.dfew, train.labels)).toEqual({
        happy: 1956,
        sad: 1515,
        neutral: 2135,
        angry: 1738,
        surprise: 1175,
        disgust: 116,
        fear: 721,
      });
      const test = readSplit(sharedDataPath('splits', 'DFEW_set_1_test.txt') ?? '');
      expect(test.labels).toHaveLength(2341);
      expect(countsByLabel(LABEL_SETS.dfew, test.labels).disgust).toBe(29);
    });
  },
);

describeWithSharedData(
  'splits/FERV39K_train.txt',
  'FERV39K label order (class folder in every path)',
  (trainPath) => {
    it('every line’s label index names the same expression as its class folder', () => {
      const mismatches: string[] = [];
      let checked = 0;
      for (const path of [trainPath, sharedDataPath('splits', 'FERV39K_test.txt') ?? '']) {
        const split = readSplit(path);
        split.paths.forEach((clip, i) => {
          const folder = clip.split('/').slice(-2)[0] ?? '';
          const name = LABEL_SETS.ferv39k[split.labels[i] as number] ?? '?';
          if (getExpression(folder) !== getExpression(name))
            mismatches.push(`${path}:${i + 1}: ${folder} labelled ${name}`);
          checked++;
        });
      }
      expect(checked).toBe(31088 + 7847);
      expect(mismatches).toEqual([]);
    });
  },
);

describeWithSharedData(
  'splits/MAFW_set_1_train.txt',
  'MAFW label order (evidence from counts)',
  (trainPath) => {
    it('fold-1 train+test counts per LABEL_SETS.mafw name match dfer-benchmarks.md', () => {
      const all = [
        ...readSplit(trainPath).labels,
        ...readSplit(sharedDataPath('splits', 'MAFW_set_1_test.txt') ?? '').labels,
      ];
      expect(all).toHaveLength(9172);
      expect(countsByLabel(LABEL_SETS.mafw, all)).toEqual({
        happiness: 1242,
        sadness: 1470,
        neutral: 1138,
        anger: 1390,
        surprise: 1072,
        disgust: 639,
        fear: 625,
        contempt: 236,
        anxiety: 916,
        helplessness: 262,
        disappointment: 182,
      });
    });

    it('every fold covers the same 9,172 clips with the same labels', () => {
      const reference = new Map<string, number>();
      for (let fold = 1; fold <= 5; fold++) {
        const clips = new Map<string, number>();
        for (const part of ['train', 'test']) {
          const split = readSplit(sharedDataPath('splits', `MAFW_set_${fold}_${part}.txt`) ?? '');
          split.paths.forEach((p, i) => clips.set(p, split.labels[i] as number));
        }
        expect(clips.size).toBe(9172);
        if (fold === 1) clips.forEach((v, k) => reference.set(k, v));
        else {
          const differing = [...clips].filter(([k, v]) => reference.get(k) !== v);
          expect(differing).toEqual([]);
        }
      }
    });
  },
);
