import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readClipAuCsv } from '@dfer/datasets/annotations';

describe('readClipAuCsv', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'clip-au-csv-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string): string => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  it('re-indexes the AU columns by name to the order asked for', () => {
    const file = write('ok.csv', 'clip,AU12,AU1,AU04_c\n00001,1,0,1\nAction/Happy/0267,0,1,0\n');
    const csv = readClipAuCsv(file, { aus: ['AU01', 'AU04', 'AU12'] });
    expect(csv.aus).toEqual(['AU01', 'AU04', 'AU12']);
    expect(Array.from(csv.targets.get('00001')!)).toEqual([0, 1, 1]);
    expect(Array.from(csv.targets.get('Action/Happy/0267')!)).toEqual([1, 0, 0]);
    expect(csv.targets.size).toBe(2);
  });

  it('names the file, line and column of every fault', () => {
    const bad =
      (text: string): (() => unknown) =>
      () =>
        readClipAuCsv(write('bad.csv', text), { aus: ['AU01', 'AU12'] });
    expect(bad('id,AU01,AU12\n')).toThrow(/bad\.csv:1: the first column must be "clip"/);
    expect(bad('clip,AU01,smile\n')).toThrow('column 3 "smile" is not an AU name');
    expect(bad('clip,AU01,AU1\n')).toThrow('AU01 is named twice');
    expect(bad('clip,AU01\n')).toThrow('no column for AU12; the file has AU01');
    expect(bad('clip,AU01,AU12\n1,0\n')).toThrow(/bad\.csv:2: expected 3 fields, got 2/);
    expect(bad('clip,AU01,AU12\n1,0,2\n')).toThrow(
      /bad\.csv:2: AU12: expected an integer in \[0, 1\], got "2"/,
    );
    expect(bad('clip,AU01,AU12\n1,0,1\n1,1,1\n')).toThrow(/bad\.csv:3: clip: clip 1 already given on line 2/);
    expect(bad('')).toThrow('the file is empty');
  });
});
