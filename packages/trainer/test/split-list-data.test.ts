import './micro-model';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { LABEL_SETS, AU_SETS } from '@dfer/au-knowledge';
import { GEOMETRY_AUS } from '@dfer/faces';
import {
  checkSplitListData,
  describePlan,
  loadConfigFile,
  planExperiment,
  runExperiment,
  type ExperimentConfigInput,
} from '../src';

/** CRC-32 of PNG chunks (polynomial 0xEDB88320). */
function crc32(bytes: Uint8Array): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

/** A 16×16 RGB PNG of one colour (written here, so the fixture needs no encoder). */
function png(value: number): Buffer {
  const w = 16;
  const raw = Buffer.alloc(w * (1 + w * 3), value);
  for (let y = 0; y < w; y++) raw[y * (1 + w * 3)] = 0;
  const chunk = (type: string, data: Buffer): Buffer => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(w, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const AUS = AU_SETS.openface18;
/** Clip 00001's OpenFace rows: AU01 in 1 of 4 frames (→ 0), AU04 in 3 of 4 (→ 1), AU12 in 2 of 4 (≥ ½ → 1). */
const CLIP1_ROWS: Record<string, number[]> = { AU01: [1, 0, 0, 0], AU04: [1, 1, 1, 0], AU12: [0, 1, 1, 0] };

function openFaceCsv(rows: Record<string, number[]>): string {
  const header = ['frame', 'timestamp', 'confidence', 'success', ...AUS.map((a) => `${a}_c`)].join(', ');
  const lines = [0, 1, 2, 3].map((t) =>
    [t + 1, (t / 30).toFixed(3), 0.98, 1, ...AUS.map((a) => rows[a]?.[t] ?? 0)].join(','),
  );
  return `${[header, ...lines].join('\n')}\n`;
}

const IDS = ['00001', '00002', '00003', '00004', '00005', '00006', '00007', '00008'];
/** Fold 1 trains on 00001–00005 and tests on 00006–00008; fold 2 the other way round (00004–00008 / 00001–00003). */
const FOLDS = {
  1: { train: IDS.slice(0, 5), test: IDS.slice(5) },
  2: { train: IDS.slice(3), test: IDS.slice(0, 3) },
};

/** A fake DFEW root: 8 clips of 4 frames, fold 1 and 2 lists, an OpenFace CSV for every clip but 00003. */
function makeRoot(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dfer-split-list-'));
  for (const [i, id] of IDS.entries()) {
    mkdirSync(join(dir, 'frames', id), { recursive: true });
    for (let n = 1; n <= 4; n++) writeFileSync(join(dir, 'frames', id, `${id}_${n}.png`), png(20 * i + n));
  }
  mkdirSync(join(dir, 'splits'));
  for (const [fold, sides] of Object.entries(FOLDS)) {
    for (const [split, ids] of Object.entries(sides)) {
      const text = ids.map((id) => `/data/DFEW/DFEW_Frame_Face/${id} 4 ${Number(id) % 2 === 0 ? 2 : 0}`);
      writeFileSync(join(dir, 'splits', `DFEW_set_${fold}_${split}.txt`), `${text.join('\n')}\n`);
    }
  }
  mkdirSync(join(dir, 'openface'));
  for (const id of IDS) {
    if (id === '00003') continue;
    writeFileSync(
      join(dir, 'openface', `${id}.csv`),
      openFaceCsv(id === '00001' ? CLIP1_ROWS : { AU12: [1, 1, 1, 1] }),
    );
  }
  return dir;
}

function configFor(dir: string, data: Record<string, unknown> = {}): ExperimentConfigInput {
  return {
    name: 'split_list_aus',
    seed: 1,
    engine: { backend: 'cpu' },
    data: {
      type: 'split_list',
      root: join(dir, 'frames'),
      listDir: join(dir, 'splits'),
      pattern: 'DFEW_set_{fold}_{split}.txt',
      labels: 'dfew',
      aus: { source: 'openface', dir: join(dir, 'openface'), pattern: '{id}.csv', missing: 'mask' },
      ...data,
    },
    protocol: { type: 'kfold', folds: 2, only: [1] },
    model: { type: 'test_micro', preset: 'tiny', auHead: true },
    loss: { type: 'au_dfer', lambda: 0.25, posWeight: 'global', prior: 'dfew' },
    optim: { type: 'adamw', lr: 1e-3 },
    train: { epochs: 1, batchSize: 4, evalBatchSize: 4 },
    evaluation: { selection: 'last' },
  } as ExperimentConfigInput;
}

/** Runs and records whether a training step happened before the error. */
async function runCounting(
  config: ExperimentConfigInput,
): Promise<{ error?: Error; steps: number; lines: string[] }> {
  let steps = 0;
  const lines: string[] = [];
  try {
    await runExperiment(config, { report: (l) => lines.push(l), onStep: () => (steps += 1) });
    return { steps, lines };
  } catch (error) {
    return { error: error as Error, steps, lines };
  }
}

describe('split_list data: checked before training, AU labels per clip', () => {
  let dir: string;
  beforeEach(() => {
    dir = makeRoot();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('checks every fold and votes each clip AU label over its OpenFace rows (hand-computed)', () => {
    const check = checkSplitListData(
      {
        root: join(dir, 'frames'),
        listDir: join(dir, 'splits'),
        pattern: 'DFEW_set_{fold}_{split}.txt',
        labels: 'dfew',
        aus: { source: 'openface', dir: join(dir, 'openface'), missing: 'mask' },
      },
      [
        { protocol: 'kfold', fold: 0 },
        { protocol: 'kfold', fold: 1 },
      ],
    );
    expect(check.labelNames).toEqual(LABEL_SETS.dfew);
    expect(check.auNames).toEqual(AUS);
    const target = Array.from(check.auTargets.get('00001')!);
    expect(target[AUS.indexOf('AU01')]).toBe(0);
    expect(target[AUS.indexOf('AU04')]).toBe(1);
    expect(target[AUS.indexOf('AU12')]).toBe(1);
    expect(target.reduce((a, b) => a + b, 0)).toBe(2);
    expect(check.auTargets.has('00003')).toBe(false);
    expect(check.folds.get(0)!.train.auLabelled).toBe(4);
    expect(check.folds.get(1)!.test.auLabelled).toBe(2);
    expect(check.lines).toContain(
      `data check: fold 1 train ${join(dir, 'splits', 'DFEW_set_1_train.txt')}: 5 clips listed, 0 unreadable; AU labels 4/5 (80.0 %)`,
    );
  });

  it('trains with the AU term active; a clip without AU labels is masked out of the AU term only', async () => {
    const out = join(dir, 'run');
    const { error, steps, lines } = await runCounting({
      ...configFor(dir),
      output: { dir: out },
    } as ExperimentConfigInput);
    expect(error).toBeUndefined();
    expect(steps).toBe(2);
    expect(lines.some((l) => l.includes('(5 clips, AU labels 4/5)'))).toBe(true);
    const log = readFileSync(join(out, 'fold-1', 'log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string; terms?: { au?: number } });
    const stepAu = log.filter((l) => l.event === 'step').map((l) => l.terms!.au!);
    expect(stepAu).toHaveLength(2);
    expect(stepAu.every((v) => v > 0)).toBe(true);
  });

  it('reads the AU estimates of dfer analyze: the main face, present from the intensity threshold, majority vote', () => {
    // clip 00001: face 1 on 3 frames (the main face), face 2 on 1 frame, one frame without a face.
    // AU12 of face 1: 2.0, 0.5, 1.0 → present (≥ 1) in 2 of 3 → 1; AU01: 1.5, 0, 0 → 1 of 3 → 0;
    // face 2's AU04 = 5 does not vote.
    const header = `frame,time_s,face,x,y,width,height,score,${GEOMETRY_AUS.map((a) => `${a}_r`).join(',')},${LABEL_SETS.dfew.join(',')}`;
    const row = (frame: number, face: string, values: Record<string, number>): string =>
      face === ''
        ? `${frame},0.0000${','.repeat(6 + GEOMETRY_AUS.length + 7)}`
        : [
            frame,
            '0.0000',
            face,
            1,
            1,
            10,
            10,
            0.9,
            ...GEOMETRY_AUS.map((a) => (values[a] ?? 0).toFixed(3)),
            ...LABEL_SETS.dfew.map(() => (1 / 7).toFixed(6)),
          ].join(',');
    const lines = [
      header,
      row(0, '', {}),
      row(1, '1', { AU12: 2, AU01: 1.5 }),
      row(1, '2', { AU04: 5 }),
      row(2, '1', { AU12: 0.5 }),
      row(3, '1', { AU12: 1 }),
    ];
    mkdirSync(join(dir, 'analysis', '00001'), { recursive: true });
    writeFileSync(join(dir, 'analysis', '00001', 'frames.csv'), `${lines.join('\n')}\n`);
    const check = checkSplitListData(
      {
        root: join(dir, 'frames'),
        listDir: join(dir, 'splits'),
        pattern: 'DFEW_set_{fold}_{split}.txt',
        labels: 'dfew',
        aus: { source: 'estimated', dir: join(dir, 'analysis'), missing: 'mask' },
      },
      [{ protocol: 'kfold', fold: 0 }],
    );
    expect(check.auNames).toEqual(GEOMETRY_AUS);
    const target = Array.from(check.auTargets.get('00001')!);
    expect(target[GEOMETRY_AUS.indexOf('AU12')]).toBe(1);
    expect(target.reduce((a, b) => a + b, 0)).toBe(1);
    expect(check.folds.get(0)!.train.auLabelled).toBe(1);
    expect(check.lines[0]).toContain('AU labels 1/5 (20.0 %)');
  });

  it('reads clip labels from one CSV; a clip without a row is named', () => {
    writeFileSync(join(dir, 'clip-aus.csv'), 'clip,AU12,AU01\n00001,1,0\n00002,0,1\n00004,1,1\n00005,0,0\n');
    const options = {
      root: join(dir, 'frames'),
      listDir: join(dir, 'splits'),
      pattern: 'DFEW_set_{fold}_{split}.txt',
      labels: 'dfew' as const,
      aus: { source: 'csv' as const, file: join(dir, 'clip-aus.csv'), names: ['AU01', 'AU12'] },
    };
    expect(() => checkSplitListData(options, [{ protocol: 'kfold', fold: 0 }])).toThrow(
      `no row for clip 00003 in ${join(dir, 'clip-aus.csv')}`,
    );
    const check = checkSplitListData({ ...options, aus: { ...options.aus, missing: 'mask' } }, [
      { protocol: 'kfold', fold: 0 },
    ]);
    expect(Array.from(check.auTargets.get('00002')!)).toEqual([1, 0]);
    expect(Array.from(check.auTargets.get('00004')!)).toEqual([1, 1]);
    expect(check.folds.get(0)!.train.auLabelled).toBe(4);
    expect(check.folds.get(0)!.test.auLabelled).toBe(0);
  });

  it('refuses data-parallel training when clips are masked out of the AU term (the shards do not carry the mask)', async () => {
    const config = {
      ...configFor(dir),
      train: { epochs: 1, batchSize: 4, workers: 2 },
    } as ExperimentConfigInput;
    const { error, steps } = await runCounting(config);
    expect(steps).toBe(0);
    expect(error?.message).toContain('train.workers > 1 does not carry the AU mask');
  });

  it('refuses a clip without AU labels unless aus.missing is "mask", before any step', async () => {
    const config = configFor(dir, {
      aus: { source: 'openface', dir: join(dir, 'openface'), pattern: '{id}.csv', missing: 'fail' },
    });
    const { error, steps } = await runCounting(config);
    expect(steps).toBe(0);
    expect(error?.message).toContain(
      'fold 1 train: 1 clip(s) without AU labels — set data.aus.missing "mask"',
    );
    expect(error?.message).toContain(`no OpenFace CSV ${join(dir, 'openface', '00003.csv')}`);
  });

  it('names a missing fold list (absolute path) before the first fold trains', async () => {
    const config = { ...configFor(dir), protocol: { type: 'kfold', folds: 3 } } as ExperimentConfigInput;
    const { error, steps } = await runCounting(config);
    expect(steps).toBe(0);
    expect(error?.message).toContain('2 split list(s) not found');
    expect(error?.message).toContain(join(dir, 'splits', 'DFEW_set_3_train.txt'));
  });

  it('counts an unreadable training clip: fails by default, skipped with onError "skip"; a bad test clip always fails', async () => {
    unlinkSync(join(dir, 'frames', '00002', '00002_4.png'));
    rmSync(join(dir, 'frames', '00004'), { recursive: true });
    // a truncated frame (its last 20 bytes, IEND included, cut off) and an empty one
    const frame = join(dir, 'frames', '00001', '00001_2.png');
    writeFileSync(frame, readFileSync(frame).subarray(0, -20));
    const whole = readFileSync(join(dir, 'frames', '00005', '00005_1.png'));
    writeFileSync(join(dir, 'frames', '00005', '00005_1.png'), '');
    const failed = await runCounting(configFor(dir));
    expect(failed.steps).toBe(0);
    expect(failed.error?.message).toContain('fold 1 train');
    expect(failed.error?.message).toContain(
      `${join(dir, 'frames', '00002')}: holds 3 frame image(s), the list says 4`,
    );
    expect(failed.error?.message).toContain(
      `${join(dir, 'frames', '00004')}: the clip folder does not exist`,
    );
    expect(failed.error?.message).toContain(
      `${join(dir, 'frames', '00001')}: 00001_2.png is not a whole PNG image (signature or IEND missing`,
    );
    expect(failed.error?.message).toContain(
      `${join(dir, 'frames', '00005')}: 00005_1.png is empty (0 bytes)`,
    );
    expect(failed.error?.message).toContain('4 unreadable clip(s)');
    writeFileSync(join(dir, 'frames', '00005', '00005_1.png'), whole);
    const skipped = await runCounting(configFor(dir, { onError: 'skip' }));
    expect(skipped.error).toBeUndefined();
    expect(
      skipped.lines.some((l) => l.includes('fold 1 train') && l.includes('5 clips listed, 3 unreadable')),
    ).toBe(true);
    expect(skipped.lines.some((l) => l.includes('(2 clips, 3 unreadable skipped, AU labels 1/2)'))).toBe(
      true,
    );
    rmSync(join(dir, 'frames', '00007'), { recursive: true });
    const test = await runCounting(configFor(dir, { onError: 'skip' }));
    expect(test.steps).toBe(0);
    expect(test.error?.message).toContain('every test clip must be scored');
  });

  it('a frame that passes the check but does not decode: skipped and reported per epoch with onError "skip"', async () => {
    // keep the PNG signature and IEND, spoil the bytes in between (IHDR/IDAT CRCs no longer match)
    const frame = join(dir, 'frames', '00003', '00003_2.png');
    const bytes = readFileSync(frame);
    bytes.fill(0x41, 12, bytes.length - 16);
    writeFileSync(frame, bytes);
    const skipped = await runCounting(configFor(dir, { onError: 'skip' }));
    expect(skipped.error).toBeUndefined();
    expect(
      skipped.lines.some((l) => l.includes('fold 1 epoch 1: 1 training clip(s) could not be decoded')),
    ).toBe(true);
    const failed = await runCounting(configFor(dir));
    expect(failed.error?.message).toContain(frame);
  });

  it('plans without training: clips per fold, split and class, AU coverage, steps, a measured step', async () => {
    const config = {
      ...configFor(dir),
      protocol: { type: 'kfold', folds: 2 },
      evaluation: { selection: 'validation', validationFraction: 0.4 },
      train: { epochs: 3, batchSize: 2, evalBatchSize: 4 },
    } as ExperimentConfigInput;
    const plan = await planExperiment(config);
    expect(plan.folds.map((f) => f.fold)).toEqual([1, 2]);
    const fold1 = plan.folds[0]!;
    // fold 1 train 00001–00005: odd ids happy (0), even ids neutral (2); test 00006–00008: 2 neutral, 1 happy
    expect(fold1.train.clips + fold1.validation!.clips).toBe(5);
    expect(fold1.test.perClass).toEqual([1, 0, 2, 0, 0, 0, 0]);
    // 3 epochs × ⌈train / 2⌉ steps per fold
    expect(fold1.steps).toBe(3 * Math.ceil(fold1.train.clips / 2));
    expect(plan.totalSteps).toBe(plan.folds.reduce((a, f) => a + f.steps, 0));
    expect(plan.secondsPerStep).toBeGreaterThan(0);
    expect(plan.estimatedSeconds).toBeCloseTo(plan.secondsPerStep! * plan.totalSteps, 9);
    const text = describePlan(plan).join('\n');
    expect(text).toContain('dry run: nothing trained, nothing written');
    expect(text).toContain('AU labels 4/5 (80.0 %)');
    expect(text).toContain('| 1 | test | 3 | 1 | 0 | 2 | 0 | 0 | 0 | 0 |');
    expect(text).toMatch(/estimated training time: [\d.]+ s/);
  });

  it('resolves relative data paths of a config file against its folder', () => {
    const file = join(dir, 'my-dfew.json');
    writeFileSync(
      file,
      JSON.stringify({
        data: { type: 'split_list', root: 'frames', listDir: './splits', aus: { dir: 'openface' } },
      }),
    );
    const loaded = loadConfigFile(file) as { data: Record<string, unknown> & { aus: { dir: string } } };
    expect(loaded.data.root).toBe(join(dir, 'frames'));
    expect(loaded.data.listDir).toBe(join(dir, 'splits'));
    expect(loaded.data.aus.dir).toBe(join(dir, 'openface'));
  });
});
