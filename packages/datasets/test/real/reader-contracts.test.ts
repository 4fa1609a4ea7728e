/**
 * The text readers enforce their formats' contracts: duplicate clips, OpenFace values outside their
 * documented ranges, hex or non-finite numbers, frames that repeat or go back, CR-only line ends,
 * control characters and invalid UTF-8 in clip ids, and files that are not regular files or too large.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  isPathInside,
  readBp4dAuLabels,
  readDfewLabelCsv,
  readOpenFaceCsv,
  readSplitList,
} from '@dfer/datasets/annotations';

const tmp = mkdtempSync(join(tmpdir(), 'dfer-datasets-contracts-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
function writeTmp(name: string, content: string | Uint8Array): string {
  const file = join(tmp, name);
  writeFileSync(file, content);
  return file;
}

describe('DFEW label CSV', () => {
  it('the same clip twice (2522 and 02522) is an error naming both lines', () => {
    const file = writeTmp('dup.csv', 'video_name,label\n2522,1\n00001,2\n02522,3\n');
    expect(() => readDfewLabelCsv(file)).toThrow(
      `${file}:4: video_name: clip 02522 (written "02522") already listed on line 2`,
    );
    const skipped = readDfewLabelCsv(file, { onError: 'skip' });
    expect(skipped.entries.map((e) => e.id)).toEqual(['02522', '00001']);
    expect(skipped.skipped.map((s) => s.line)).toEqual([4]);
  });

  it('CR-only line ends are read as lines (not as one line or 0 rows)', () => {
    const file = writeTmp('cr.csv', 'video_name,label\r1,1\r2,7\r');
    expect(readDfewLabelCsv(file).entries).toEqual([
      { id: '00001', label: 0, line: 2 },
      { id: '00002', label: 6, line: 3 },
    ]);
  });
});

describe('OpenFace CSV values outside the contract', () => {
  const header = 'frame, face_id, timestamp, confidence, success, AU01_r, AU01_c';
  const csv = (name: string, rows: string[]): string => writeTmp(name, `${header}\n${rows.join('\n')}\n`);

  it.each([
    ['fractional frame', '1.5,0,0,0.9,1,0.5,1', 'frame: expected an integer in [1, 2147483647], got 1.5'],
    ['negative frame', '-5,0,0,0.9,1,0.5,1', 'frame: expected an integer in [1, 2147483647], got -5'],
    ['confidence 7', '1,0,0,7,1,0.5,1', 'confidence: expected a value in [0, 1], got 7'],
    ['intensity −3', '1,0,0,0.9,1,-3,1', 'AU01_r: expected a value in [0, 5], got -3'],
    ['intensity 1e30', '1,0,0,0.9,1,1e30,1', 'AU01_r: expected a value in [0, 5], got 1e30'],
    ['intensity 1e400 (Infinity)', '1,0,0,0.9,1,1e400,1', 'AU01_r: expected a number, got "1e400"'],
    ['hex 0x10', '1,0,0,0.9,1,0x10,1', 'AU01_r: expected a number, got "0x10"'],
    ['Infinity', '1,0,Infinity,0.9,1,0.5,1', 'timestamp: expected a number, got "Infinity"'],
    ['negative timestamp', '1,0,-1,0.9,1,0.5,1', 'timestamp: expected a value ≥ 0, got -1'],
    ['fractional face id', '1,0.5,0,0.9,1,0.5,1', 'face_id: expected an integer in [0, 2147483647], got 0.5'],
  ])('%s is an error naming file, line and column', (_, row, message) => {
    const file = csv('bad.csv', ['1,1,0,0.9,1,0.5,1', row]);
    expect(() => readOpenFaceCsv(file)).toThrow(`${file}:3: ${message}`);
  });

  it('a repeated or decreasing frame is an error; frames count per face', () => {
    const repeated = csv('repeat.csv', ['1,0,0,0.9,1,0.5,1', '2,0,0,0.9,1,0.5,1', '2,0,0,0.9,1,0.5,1']);
    expect(() => readOpenFaceCsv(repeated)).toThrow(
      `${repeated}:4: frame: frame 2 of face 0 repeats frame 2 of line 3; frames must increase`,
    );
    const back = csv('back.csv', ['3,0,0,0.9,1,0.5,1', '2,0,0,0.9,1,0.5,1']);
    expect(() => readOpenFaceCsv(back)).toThrow(`${back}:3: frame: frame 2 of face 0 comes after frame 3`);
    const faces = csv('faces.csv', ['1,0,0,0.9,1,0.5,1', '1,1,0,0.9,1,0.5,1', '2,0,0,0.9,1,0.5,1']);
    expect(Array.from(readOpenFaceCsv(faces).frame)).toEqual([1, 1, 2]);
    const skip = readOpenFaceCsv(repeated, { onError: 'skip' });
    expect(Array.from(skip.frame)).toEqual([1, 2]);
    expect(skip.skipped.map((s) => s.line)).toEqual([4]);
  });

  it('a column named twice is an error', () => {
    const file = writeTmp(
      'twice.csv',
      'frame, timestamp, confidence, success, AU01_r, AU01_r\n1,0,0.9,1,0.5,0.5\n',
    );
    expect(() => readOpenFaceCsv(file)).toThrow(`${file}:1: column "AU01_r" appears twice (fields 5 and 6)`);
  });

  it('values on the contract boundaries are accepted', () => {
    const file = csv('edges.csv', ['1,0,0,0,0,0,0', '2,0,0.04,1,1,5,1', '3,0,.08,1.0,1,2.5e0,0']);
    const track = readOpenFaceCsv(file);
    expect(Array.from(track.intensities)).toEqual([0, 5, 2.5]);
    expect(Array.from(track.confidence)).toEqual([0, 1, 1]);
  });
});

describe('clip ids: control characters and invalid UTF-8', () => {
  it('a control character in a split-list clip dir is an error naming file, line and column', () => {
    const file = writeTmp('ctrl.txt', '/x/DFEW/00001 10 0\n/x/DFEW/000\u000102 10 1\n');
    expect(() => readSplitList(file, { format: 'dfew', root: tmp })).toThrow(
      `${file}:2: control character U+0001 at column 12`,
    );
    const c1 = writeTmp('c1.txt', '/x/DFEW/0\u008500 10 0\n');
    expect(() => readSplitList(c1, { format: 'dfew' })).toThrow(`${c1}:1: control character U+0085`);
  });

  it('invalid UTF-8 bytes are an error naming the line (not replaced with U+FFFD)', () => {
    const bytes = Buffer.concat([
      Buffer.from('video_name,label\r\n1,1\r\n'),
      Buffer.from([0x32, 0xff, 0x2c, 0x31]),
      Buffer.from('\r\n'),
    ]);
    const file = writeTmp('bad-utf8.csv', bytes);
    expect(() => readDfewLabelCsv(file)).toThrow(`${file}:3: invalid UTF-8 bytes`);
    const list = writeTmp(
      'bad-utf8.txt',
      Buffer.concat([Buffer.from('/x/'), Buffer.from([0xc3]), Buffer.from(' 1 0\n')]),
    );
    expect(() => readSplitList(list, { format: 'dfew' })).toThrow(`${list}:1: invalid UTF-8 bytes`);
  });

  it('a clip id "." or ".." is an error even inside the root', () => {
    const file = writeTmp('dot.txt', '/x/DFEW/. 10 0\n');
    expect(() => readSplitList(file, { format: 'dfew', root: tmp })).toThrow(
      `${file}:1: clip dir: clip dir "/x/DFEW/.": the kept components "." contain "." or ".."`,
    );
    const ferv = writeTmp('ferv-dot.txt', '/x/a/b/.. 10 0\n');
    expect(() => readSplitList(ferv, { format: 'ferv39k', root: join(tmp, 'r') })).toThrow(
      /contain "\." or "\.\."/,
    );
  });

  it('a control character on a last line is reported, not dropped as a blank line', () => {
    const file = writeTmp('ff.txt', '/x/DFEW/00001 10 0\n\u000c\n');
    expect(() => readSplitList(file, { format: 'dfew' })).toThrow(`${file}:2: control character U+000C`);
    expect(
      readSplitList(writeTmp('spaces.txt', '/x/DFEW/00001 10 0\n \t\n\n'), { format: 'dfew' }).entries,
    ).toHaveLength(1);
  });

  it('tabs and non-ASCII letters are fine', () => {
    const file = writeTmp('ok.txt', '/x/Überraschung/00001\t10\t0\n');
    expect(readSplitList(file, { format: 'dfew' }).entries[0]?.id).toBe('00001');
  });
});

describe('text files must be regular files of bounded size', () => {
  it('a FIFO is refused without waiting for a writer', () => {
    const fifo = join(tmp, 'fifo.txt');
    execFileSync('mkfifo', [fifo]);
    expect(() => readSplitList(fifo, { format: 'dfew' })).toThrow(`${fifo}: not a regular file (a FIFO)`);
    expect(() => readBp4dAuLabels(fifo)).toThrow(/not a regular file/);
  });

  it('a folder or a device is refused; a file over options.maxBytes is refused before reading', () => {
    expect(() => readOpenFaceCsv(tmp)).toThrow(`${tmp}: not a regular file (a folder)`);
    expect(() => readDfewLabelCsv('/dev/zero')).toThrow('/dev/zero: not a regular file (a device)');
    const file = writeTmp('big.csv', 'video_name,label\n1,1\n');
    expect(() => readDfewLabelCsv(file, { maxBytes: 8 })).toThrow(
      `${file}: 21 bytes, more than the 8-byte limit (options.maxBytes)`,
    );
  });
});

it('isPathInside compares resolved paths component-wise', () => {
  expect(isPathInside('/a/b', '/a')).toBe(true);
  expect(isPathInside('/a', '/a')).toBe(true);
  expect(isPathInside('/a/../b', '/a')).toBe(false);
  expect(isPathInside('/ab/c', '/a')).toBe(false);
  expect(isPathInside('/a/..b', '/a')).toBe(true);
});
