/**
 * BP4D protocol on a hand-made miniature copy (label lists + path lists + hand-written PNG frames in a temp folder):
 * subject-exclusive folds by part, sequences cut into clips, frame labels and pixels as written, precise errors.
 */
import { createAuExpressionRule, labelAuClipExpression } from '@dfer/datasets/synthetic';
import { buildAuDetectionData, createBp4dAuProtocol } from '@dfer/trainer';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { deflateSync } from 'node:zlib';

const dir = mkdtempSync(join(tmpdir(), 'bp4d-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function chunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  let c = 0xffffffff;
  for (const b of body) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE((c ^ 0xffffffff) >>> 0);
  return Buffer.concat([len, body, crc]);
}

/** A 2×2 RGB PNG whose every channel value is `v` (written by hand: IHDR, one zlib IDAT, IEND). */
function writeFrame(file: string, v: number): void {
  mkdirSync(dirname(file), { recursive: true });
  const ihdr = Buffer.from([0, 0, 0, 2, 0, 0, 0, 2, 8, 2, 0, 0, 0]);
  const rows = Buffer.from([0, v, v, v, v, v, v, 0, v, v, v, v, v, v]);
  writeFileSync(
    file,
    Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      chunk('IHDR', ihdr),
      chunk('IDAT', deflateSync(rows)),
      chunk('IEND', Buffer.alloc(0)),
    ]),
  );
}

/** Label row r of part p: AU index (r + p) % 12 on, plus AU06 + AU12 on even rows. */
function row(p: number, r: number): number[] {
  const out = new Array<number>(12).fill(0);
  out[(r + p) % 12] = 1;
  if (r % 2 === 0) {
    out[3] = 1;
    out[6] = 1;
  }
  return out;
}

const SUBJECTS = ['F001', 'F002', 'M001'];

function writePart(p: number, subject = SUBJECTS[p]!): { labels: string; paths: string } {
  const labels: string[] = [];
  const paths: string[] = [];
  for (const task of ['T1', 'T2']) {
    for (let f = 0; f < 5; f++) {
      const r = labels.length;
      labels.push(row(p, r).join(' '));
      const rel = `${subject}/${task}/${100 + f}.png`;
      paths.push(rel);
      writeFrame(join(dir, 'frames', rel), 10 * p + r);
    }
  }
  writeFileSync(join(dir, `part${p + 1}_AUOccur.txt`), labels.join('\n') + '\n');
  writeFileSync(join(dir, `part${p + 1}_path.txt`), paths.join('\n') + '\n');
  return { labels: `part${p + 1}_AUOccur.txt`, paths: `part${p + 1}_path.txt` };
}

const parts = [0, 1, 2].map((p) => writePart(p));

it('cuts each sequence into clips, keeps parts subject-exclusive and frames/labels line by line', async () => {
  const proto = createBp4dAuProtocol({ parts, frameRoot: 'frames', clipLength: 4, dataDir: dir });
  // per part: 2 sequences × (4 + 1) frames → 4 clips
  expect(proto.parts.map((p) => p.length)).toEqual([4, 4, 4]);
  expect(proto.subjects).toEqual([['F001'], ['F002'], ['M001']]);
  expect(proto.dataset.auNames).toHaveLength(12);
  // part 2 (index 1): clip 5 is T1 frames 100..103 → rows 0..3, pixel values 10..13
  const rec = proto.dataset.record(4);
  expect(rec).toMatchObject({ subject: 'F002', numFrames: 4 });
  const s = await proto.dataset.get(4, { frameIndices: [0, 3] });
  expect(s.shape).toEqual([2, 2, 2, 3]);
  expect(s.frames[0]).toBeCloseTo(10 / 255, 6);
  expect(s.frames[12]).toBeCloseTo(13 / 255, 6);
  expect(Array.from(s.aus!)).toEqual([...row(1, 0), ...row(1, 3)]);
  // the tail clip of T1 holds frame 104 alone (row 4)
  expect(proto.dataset.record(5).numFrames).toBe(1);
  expect(Array.from(proto.frameLabels([5]))).toEqual(row(1, 4));
  // auxiliary expression label: the prototype rule over the clip's frames
  const rule = createAuExpressionRule(proto.dataset.auNames);
  const clipRows = [0, 1, 2, 3].flatMap((r) => row(1, r));
  expect(rec.label).toBe(labelAuClipExpression(rule, clipRows));
});

it('fold k tests on part k and trains on the other parts (validation: whole subjects)', () => {
  const d = buildAuDetectionData(
    { type: 'bp4d', parts, frameRoot: 'frames', clipLength: 4, validationFraction: 0 },
    { seed: 0, fold: 1, dataDir: dir },
  );
  expect(d.test).toEqual([4, 5, 6, 7]);
  expect(d.train).toEqual([0, 1, 2, 3, 8, 9, 10, 11]);
  expect(d.trainFrameAus.length).toBe(20 * 12);
  expect(d.description).toMatch(/subject-exclusive fold 2\/3/);
  expect(() =>
    buildAuDetectionData(
      { type: 'bp4d', parts, frameRoot: 'frames', clipLength: 4 },
      { seed: 0, fold: 3, dataDir: dir },
    ),
  ).toThrow(/fold 4 does not exist/);
});

it('names the subject found in two parts, a count mismatch and a malformed path', () => {
  const dup = writePart(2, 'F001');
  expect(() =>
    createBp4dAuProtocol({ parts: [parts[0]!, dup], frameRoot: 'frames', clipLength: 4, dataDir: dir }),
  ).toThrow(/subject F001 appears in part 1 .* and part 2/);
  writeFileSync(join(dir, 'short_path.txt'), 'F009/T1/1.png\n');
  expect(() =>
    createBp4dAuProtocol({
      parts: [parts[0]!, { labels: parts[1]!.labels, paths: 'short_path.txt' }],
      frameRoot: 'frames',
      clipLength: 4,
      dataDir: dir,
    }),
  ).toThrow(/short_path.txt: 1 frame paths, but .*part2_AUOccur.txt has 10 label lines/);
  writeFileSync(join(dir, 'bad_path.txt'), Array.from({ length: 10 }, () => 'frame.jpg').join('\n'));
  expect(() =>
    createBp4dAuProtocol({
      parts: [parts[0]!, { labels: parts[1]!.labels, paths: 'bad_path.txt' }],
      frameRoot: 'frames',
      clipLength: 4,
      dataDir: dir,
    }),
  ).toThrow(/bad_path.txt:1: expected <subject>\/<task>\/<frame>/);
});
