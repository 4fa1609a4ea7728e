import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readAuEstimateCsv } from '@dfer/datasets/annotations';

describe('readAuEstimateCsv (frames.csv of dfer analyze)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'au-estimate-csv-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string): string => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  };
  const HEADER = 'frame,time_s,face,x,y,width,height,score,AU01_r,AU12_r,happy,sad';

  it('keeps the rows with a face, counts the frames without one', () => {
    const file = write(
      'frames.csv',
      `${HEADER}\n0,0.0000,,,,,,,,,,\n1,0.0333,1,10.0,12.0,50.0,50.0,0.950,0.500,2.250,0.700000,0.300000\n2,0.0667,1,10.0,12.0,50.0,50.0,0.950,0.000,5.000,0.800000,0.200000\n`,
    );
    const track = readAuEstimateCsv(file);
    expect(track.aus).toEqual(['AU01', 'AU12']);
    expect(track.numRows).toBe(2);
    expect(Array.from(track.frame)).toEqual([1, 2]);
    expect(track.face).toEqual(['1', '1']);
    expect(Array.from(track.intensities)).toEqual([0.5, 2.25, 0, 5]);
    expect(track.framesWithoutFace).toBe(1);
  });

  it('names the file, line and column of every fault', () => {
    const bad =
      (text: string): (() => unknown) =>
      () =>
        readAuEstimateCsv(write('bad.csv', text));
    expect(bad('frame,AU01_r\n')).toThrow('expected "frame" and "face" columns');
    expect(bad('frame,face,score\n')).toThrow('no AU intensity column (AUxx_r)');
    expect(bad('frame,face,AU01_r,AU01_r\n')).toThrow('column "AU01_r" is named twice');
    expect(bad('frame,face,AU01_r\n0,1\n')).toThrow(/bad\.csv:2: expected 3 fields, got 2/);
    expect(bad('frame,face,AU01_r\n0,1,6\n')).toThrow(/bad\.csv:2: AU01_r: intensity 6 is outside \[0, 5\]/);
    expect(bad('frame,face,AU01_r\n-1,1,0\n')).toThrow(/bad\.csv:2: frame: expected an integer/);
    expect(bad('frame,face,AU01_r\n0,,1\n')).toThrow('a row without a face has a value in AU01_r');
  });
});
