import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithSharedData, sharedDataPath } from '@dfer/test-utils';
import { DatasetInputError } from '@dfer/datasets';
import {
  clipAuTargets,
  countLabels,
  readBp4dAuLabels,
  readDfewLabelCsv,
  readOpenFaceCsv,
  readSplitList,
  selectAuColumns,
} from '@dfer/datasets/annotations';

const fixtures = JSON.parse(
  readFileSync(join(__dirname, '..', 'fixtures', 'real', 'real-fixtures.json'), 'utf8'),
) as {
  openface: Record<string, number | number[] | string[]>;
  bp4d: Record<string, { numFrames: number; columnSums: number[]; row0: number[] }>;
  splits: Record<string, number[]>;
};

const tmp = mkdtempSync(join(tmpdir(), 'dfer-datasets-readers-'));
function writeTmp(name: string, content: string): string {
  const file = join(tmp, name);
  writeFileSync(file, content);
  return file;
}

describeWithSharedData('splits', 'split lists (real DFER-CLIP files)', (dir) => {
  it('DFEW fold 1: 9,356 train clips with the documented class counts; 2,341 test clips, 29 disgust', () => {
    const train = readSplitList(join(dir, 'DFEW_set_1_train.txt'), {
      format: 'dfew',
      root: '/datasets/DFEW/Clip',
    });
    expect(train.entries).toHaveLength(9356);
    expect(
      countLabels(
        train.entries.map((e) => e.label),
        7,
      ),
    ).toEqual([1956, 1515, 2135, 1738, 1175, 116, 721]);
    expect(train.labelNames[5]).toBe('disgust');
    expect(train.skipped).toEqual([]);
    const first = train.entries[0];
    expect(first).toEqual({
      id: '02522',
      dir: '/datasets/DFEW/Clip/02522',
      numFrames: 66,
      label: 5,
      line: 1,
    });
    const test = readSplitList(join(dir, 'DFEW_set_1_test.txt'), { format: 'dfew' });
    expect(test.entries).toHaveLength(2341);
    expect(
      countLabels(
        test.entries.map((e) => e.label),
        7,
      )[5],
    ).toBe(29);
  });

  it.each(Object.keys(fixtures.splits))('%s class counts equal the independent count', (name) => {
    const format = name.startsWith('DFEW') ? 'dfew' : name.startsWith('MAFW') ? 'mafw' : 'ferv39k';
    const list = readSplitList(join(dir, name), { format, root: '/r' });
    expect(
      countLabels(
        list.entries.map((e) => e.label),
        list.labelNames.length,
      ),
    ).toEqual(fixtures.splits[name]);
  });

  it('FERV39K keeps scene/class/clip so ids are unique; train 31,088 and test 7,847 clips', () => {
    const train = readSplitList(join(dir, 'FERV39K_train.txt'), { format: 'ferv39k', root: '/data/ferv' });
    expect(train.entries).toHaveLength(31088);
    expect(train.entries[0]?.id).toBe('Action/Happy/0267');
    expect(train.entries[0]?.dir).toBe('/data/ferv/Action/Happy/0267');
    expect(readSplitList(join(dir, 'FERV39K_test.txt'), { format: 'ferv39k' }).entries).toHaveLength(7847);
  });

  it('MAFW fold 1 train + test: 9,172 clips in 11 classes with the documented counts', () => {
    const counts = ['train', 'test'].map((s) =>
      countLabels(
        readSplitList(join(dir, `MAFW_set_1_${s}.txt`), { format: 'mafw' }).entries.map((e) => e.label),
        11,
      ),
    );
    const total = counts[0]?.map((c, i) => c + (counts[1]?.[i] as number));
    expect(total).toEqual([1242, 1470, 1138, 1390, 1072, 639, 625, 236, 916, 262, 182]);
  });
});

describe('split list errors', () => {
  it('names file, line and field for a label out of range', () => {
    const file = writeTmp('bad-label.txt', '/a/b/00001 20 3\n/a/b/00002 20 7\n');
    expect(() => readSplitList(file, { format: 'dfew' })).toThrow(
      `${file}:2: label: expected an integer in [0, 6], got "7"`,
    );
  });

  it('names the line with a wrong field count and a bad frame count', () => {
    expect(() => readSplitList(writeTmp('fields.txt', '/a/00001 20\n'), { format: 'dfew' })).toThrow(
      ':1: expected 3 space-separated fields',
    );
    expect(() => readSplitList(writeTmp('frames.txt', '/a/00001 0 1\n'), { format: 'dfew' })).toThrow(
      ':1: number of frames',
    );
  });

  it('skip mode keeps the good lines and reports every skipped one', () => {
    const file = writeTmp('mixed.txt', '/a/00001 20 3\n/a/00002 x 1\n/a/00003 20 9\n/a/00004 12 0\n');
    const list = readSplitList(file, { format: 'dfew', onError: 'skip' });
    expect(list.entries.map((e) => e.id)).toEqual(['00001', '00004']);
    expect(list.skipped.map((s) => s.line)).toEqual([2, 3]);
    expect(list.skipped[1]?.reason).toContain('label');
  });

  it('rejects duplicated clips and a missing file', () => {
    expect(() =>
      readSplitList(writeTmp('dup.txt', '/a/00001 20 3\n/b/00001 20 3\n'), { format: 'dfew' }),
    ).toThrow('already listed on line 1');
    expect(() => readSplitList(join(tmp, 'absent.txt'), { format: 'dfew' })).toThrow(DatasetInputError);
  });
});

describe('DFEW label CSV', () => {
  it('converts 1-based labels to LABEL_SETS.dfew indices and pads clip numbers', () => {
    const csv = readDfewLabelCsv(join(__dirname, '..', 'fixtures', 'real', 'dfew-set-1-sample.csv'));
    expect(csv.entries).toEqual([
      { id: '00001', label: 0, line: 2 },
      { id: '00025', label: 6, line: 3 },
      { id: '12345', label: 5, line: 4 },
    ]);
    expect(csv.labelNames[csv.entries[1]?.label as number]).toBe('fear');
  });

  it('rejects a CSV without the expected columns, naming the file and line', () => {
    const file = writeTmp('nocol.csv', 'video,emotion\n1,2\n');
    expect(() => readDfewLabelCsv(file)).toThrow(`${file}:1: expected columns video_name and label`);
  });

  it('rejects label 0 and 8 (1-based labels 1–7)', () => {
    expect(() => readDfewLabelCsv(writeTmp('zero.csv', 'video_name,label\n1,0\n'))).toThrow(
      ':2: label: expected an integer in [1, 7]',
    );
    const skipped = readDfewLabelCsv(writeTmp('eight.csv', 'video_name,label\n1,8\n2,1\n'), {
      onError: 'skip',
    });
    expect(skipped.entries).toHaveLength(1);
    expect(skipped.skipped).toHaveLength(1);
  });
});

describeWithSharedData(
  'media/OpenFace_Test.csv',
  'OpenFace CSV (real file, older version without face_id)',
  (file) => {
    const ref = fixtures.openface;
    const track = readOpenFaceCsv(file);

    it('parses every row and the AU columns by name', () => {
      expect(track.numFrames).toBe(ref.numFrames);
      expect(track.columns).toHaveLength(ref.numColumns as number);
      expect(track.faceId).toBeUndefined();
      expect(track.presenceAus).toEqual(ref.presenceAus);
      expect(track.intensityAus).toEqual(ref.intensityAus);
      expect(track.intensityAus).not.toContain('AU28');
      expect(Array.from(track.frame.slice(0, 3))).toEqual([1, 2, 3]);
    });

    it('matches independently computed sums, success count and values', () => {
      const n = track.presenceAus.length;
      const sums = track.presenceAus.map((_, j) => {
        let s = 0;
        for (let t = 0; t < track.numFrames; t++) s += track.presences[t * n + j] as number;
        return s;
      });
      expect(sums).toEqual(ref.presenceSums);
      const m = track.intensityAus.length;
      (ref.intensitySums as number[]).forEach((expected, j) => {
        let s = 0;
        for (let t = 0; t < track.numFrames; t++) s += track.intensities[t * m + j] as number;
        expect(s).toBeCloseTo(expected, 3);
      });
      const au12 = selectAuColumns(track.intensities, track.intensityAus, ['AU12']);
      (ref.au12IntensityFirst5 as number[]).forEach((v, t) => expect(au12[t]).toBeCloseTo(v, 5));
      expect(track.success.reduce((a, b) => a + b, 0)).toBe(ref.successCount);
      expect(track.timestamp[track.numFrames - 1]).toBeCloseTo(ref.lastTimestamp as number, 9);
    });

    it('clip AU targets by majority vote equal the reference (all frames, 16 frames, threshold 0.3)', () => {
      const n = track.presenceAus.length;
      expect(Array.from(clipAuTargets(track.presences, n).targets)).toEqual(ref.majorityAll);
      const first16 = [...Array(16).keys()];
      expect(Array.from(clipAuTargets(track.presences, n, { frames: first16 }).targets)).toEqual(
        ref.majorityFirst16,
      );
      expect(
        Array.from(clipAuTargets(track.presences, n, { frames: first16, threshold: 0.3 }).targets),
      ).toEqual(ref.threshold30First16);
      const masked = clipAuTargets(track.presences, n, { mask: track.success });
      expect(masked.framesUsed + masked.framesMasked).toBe(track.numFrames);
    });

    it('reorders presences into the openface18 AU set by name', () => {
      const aligned = selectAuColumns(track.presences, track.presenceAus, 'openface18');
      expect(aligned.length).toBe(track.numFrames * 18);
      expect(() => selectAuColumns(track.intensities, track.intensityAus, ['AU28'], 'intensities')).toThrow(
        'no column for AU28',
      );
    });
  },
);

describe('OpenFace CSV errors and clip targets by hand', () => {
  it('names the missing column', () => {
    const file = writeTmp('of-missing.csv', 'frame, timestamp, confidence, AU01_c\n1,0,0.9,1\n');
    expect(() => readOpenFaceCsv(file)).toThrow(`${file}:1: missing column "success"`);
  });

  it('names line and column of a bad presence value', () => {
    const file = writeTmp(
      'of-bad.csv',
      'frame, face_id, timestamp, confidence, success, AU01_r, AU01_c\n1,0,0,0.9,1,0.5,1\n2,0,0.04,0.9,1,0.5,2\n',
    );
    expect(() => readOpenFaceCsv(file)).toThrow(`${file}:3: AU01_c: expected 0 or 1, got 2`);
  });

  it('skip mode leaves a bad row out, reports it, and keeps frame numbers aligned', () => {
    const file = writeTmp(
      'of-skip.csv',
      'frame, timestamp, confidence, success, AU01_r, AU01_c\n1,0,0.9,1,0.5,1\n2,0.04,0.9,1,x,0\n3,0.08,0.9,1,1.5,0\n',
    );
    expect(() => readOpenFaceCsv(file)).toThrow(`${file}:3: AU01_r: expected a number, got "x"`);
    const track = readOpenFaceCsv(file, { onError: 'skip' });
    expect(Array.from(track.frame)).toEqual([1, 3]);
    expect(Array.from(track.intensities)).toEqual([0.5, 1.5]);
    expect(track.skipped).toEqual([
      { file, line: 3, reason: `${file}:3: AU01_r: expected a number, got "x"` },
    ]);
  });

  it('reads face_id when present', () => {
    const file = writeTmp(
      'of-new.csv',
      'frame,face_id,timestamp,confidence,success,AU01_r,AU01_c\n1,0,0,0.9,1,0.5,1\n',
    );
    expect(Array.from(readOpenFaceCsv(file).faceId ?? [])).toEqual([0]);
  });

  it('hand-computed vote: 2 of 4 frames is a majority at 0.5, not at 0.75', () => {
    const p = Uint8Array.from([1, 0, 1, 1, 0, 1, 0, 0]); // 4 frames × 2 AUs
    expect(Array.from(clipAuTargets(p, 2).targets)).toEqual([1, 1]);
    expect(Array.from(clipAuTargets(p, 2, { threshold: 0.75 }).targets)).toEqual([0, 0]);
    expect(() => clipAuTargets(p, 2, { frames: [] })).toThrow('no frame to vote over');
    expect(() => clipAuTargets(p, 2, { frames: [4] })).toThrow('frames[0] = 4');
  });
});

describe.each(['BP4D_combine_1_2_AUOccur.txt', 'BP4D_part3_AUOccur.txt'])('BP4D AU labels %s', (name) => {
  const file = sharedDataPath('bp4d', name);
  (file === undefined ? it.skip : it)(
    `matches the independent counts (skipped when ../shared/data/bp4d/${name} is absent)`,
    () => {
      const labels = readBp4dAuLabels(file as string);
      const ref = fixtures.bp4d[name];
      expect(labels.numFrames).toBe(ref?.numFrames);
      expect(labels.auNames).toEqual([
        'AU01',
        'AU02',
        'AU04',
        'AU06',
        'AU07',
        'AU10',
        'AU12',
        'AU14',
        'AU15',
        'AU17',
        'AU23',
        'AU24',
      ]);
      const sums = labels.auNames.map((_, j) => {
        let s = 0;
        for (let t = 0; t < labels.numFrames; t++) s += labels.labels[t * 12 + j] as number;
        return s;
      });
      expect(sums).toEqual(ref?.columnSums);
      expect(Array.from(labels.labels.slice(0, 12))).toEqual(ref?.row0);
    },
  );
});

it('BP4D reader names the line and AU of a bad value', () => {
  const file = writeTmp('bp4d-bad.txt', '0 0 0 0 0 1 1 0 0 0 0 0\n0 0 0 0 0 1 1 0 0 0 0 2\n');
  expect(() => readBp4dAuLabels(file)).toThrow(`${file}:2: AU24: expected 0 or 1, got "2"`);
});
