import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BENCH_RESULTS_SCHEMA_VERSION,
  createEmptyResults,
  mergeBenchResults,
  parseBenchResults,
  readBenchResults,
  ResultsFileError,
  writeBenchResults,
} from '../src';
import { FIXTURE_PATH, loadFixture, tempDir } from './helpers';

describe('results file', () => {
  it('reads the fixture and round-trips it through write/read', () => {
    const results = loadFixture();
    expect(results.schemaVersion).toBe(BENCH_RESULTS_SCHEMA_VERSION);
    expect(results.runs).toHaveLength(4);
    const path = join(tempDir(), 'results.json');
    writeBenchResults(path, results);
    expect(readBenchResults(path)).toEqual(results);
  });

  it('names the file and the version when schemaVersion is unknown', () => {
    const raw = JSON.parse(readFileSync(FIXTURE_PATH, 'utf8')) as Record<string, unknown>;
    raw['schemaVersion'] = 99;
    expect(() => parseBenchResults(JSON.stringify(raw), 'old.json')).toThrow(
      'old.json: schemaVersion is 99; this bench reads versions 1, 2',
    );
  });

  it('refuses a file of another kind (e.g. a trainer results.json)', () => {
    expect(() => parseBenchResults('{"schemaVersion":1,"name":"x"}', 'trainer.json')).toThrow(
      /trainer\.json: kind is undefined; expected "dfer-bench-results"/,
    );
  });

  it('reports the dotted path of a bad field', () => {
    const raw = JSON.parse(readFileSync(FIXTURE_PATH, 'utf8')) as { runs: { folds: { uar: unknown }[] }[] };
    raw.runs[1]!.folds[0]!.uar = 1.5;
    expect(() => parseBenchResults(JSON.stringify(raw), 'bad.json')).toThrow(
      /bad\.json: .*\n {2}- runs\.1\.folds\.0\.uar: /,
    );
  });

  it('checks per-class arrays against classNames', () => {
    const raw = JSON.parse(readFileSync(FIXTURE_PATH, 'utf8')) as {
      runs: { folds: { confusion: number[][] }[] }[];
    };
    raw.runs[0]!.folds[1]!.confusion[2] = [0, 1];
    expect(() => parseBenchResults(JSON.stringify(raw), 'f.json')).toThrow(
      'f.json: runs.0.folds.1.confusion.2 has 2 entries; expected 3',
    );
  });

  it('refuses duplicate run ids inside one file', () => {
    const raw = JSON.parse(readFileSync(FIXTURE_PATH, 'utf8')) as { runs: unknown[] };
    raw.runs.push(raw.runs[0]);
    expect(() => parseBenchResults(JSON.stringify(raw), 'dup.json')).toThrow(
      'dup.json: runs.4.id "fixture/synthetic_dfer/former_dfer/ce/seed-0" appears more than once',
    );
  });

  it('says when a file is not JSON or missing', () => {
    expect(() => parseBenchResults('{', 'x.json')).toThrow(ResultsFileError);
    expect(() => parseBenchResults('{', 'x.json')).toThrow(/^x\.json: not valid JSON/);
    expect(() => readBenchResults(join(tempDir(), 'none.json'))).toThrow(
      /none\.json: cannot be read \(ENOENT\)/,
    );
  });

  it('never writes an invalid object', () => {
    const path = join(tempDir(), 'results.json');
    const bad = { ...createEmptyResults(), createdAt: 'yesterday' };
    expect(() => writeBenchResults(path, bad)).toThrow(/createdAt/);
    expect(() => readFileSync(path)).toThrow();
  });
});

describe('mergeBenchResults', () => {
  it('keys runs by id, keeps the later record and lists every replaced id', () => {
    const a = loadFixture();
    const b = loadFixture();
    const changed = { ...b.runs[2]!, durationSeconds: 99 };
    const extra = { ...b.runs[0]!, id: 'other/run', seed: 5 };
    const second = { ...b, fixture: false, runs: [changed, extra], perf: [b.perf[0]!] };
    const merged = mergeBenchResults([a, second], new Date('2026-02-02T00:00:00Z'));
    expect(merged.results.runs.map((r) => r.id)).toEqual([
      a.runs[0]!.id,
      a.runs[1]!.id,
      a.runs[3]!.id,
      changed.id,
      'other/run',
    ]);
    expect(merged.results.runs.find((r) => r.id === changed.id)!.durationSeconds).toBe(99);
    expect(merged.replacedRuns).toEqual([changed.id]);
    expect(merged.replacedPerf).toBe(1);
    expect(merged.results.perf).toHaveLength(2);
    expect(merged.results.fixture).toBe(true);
    expect(merged.results.createdAt).toBe('2026-02-02T00:00:00.000Z');
    expect(() => parseBenchResults(JSON.stringify(merged.results))).not.toThrow();
  });

  it('refuses an empty list', () => {
    expect(() => mergeBenchResults([])).toThrow('mergeBenchResults: expected at least one results file');
  });

  it('merging the fixture with an empty file gives the fixture', () => {
    const a = loadFixture();
    const merged = mergeBenchResults([createEmptyResults(), a]);
    expect(merged.results.runs).toEqual(a.runs);
    expect(merged.replacedRuns).toEqual([]);
  });

  it('writes a merged file that reads back', () => {
    const dir = tempDir();
    const merged = mergeBenchResults([loadFixture()]).results;
    writeFileSync(join(dir, 'x.json'), JSON.stringify(merged));
    expect(readBenchResults(join(dir, 'x.json')).runs).toHaveLength(4);
  });
});
