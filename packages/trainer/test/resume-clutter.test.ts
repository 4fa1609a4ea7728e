/** A resumed run leaves one record per step in log.jsonl and no temporary files of interrupted writes. */
import './micro-model';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig, runExperiment } from '../src';
import { removeOrphanedTempFiles } from '../src/io/atomic-write';
import { truncateLogAfter } from '../src/io/jsonl-log';

const dir = mkdtempSync(join(tmpdir(), 'dfer-resume-clutter-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config = defineConfig({
  name: 'micro_resume',
  seed: 5,
  engine: { backend: 'cpu' },
  data: { type: 'synthetic_dfer', numClips: 24, numIdentities: 6, size: [16, 16], numFrames: [16, 16] },
  model: { type: 'test_micro', preset: 'tiny' },
  loss: { type: 'cross_entropy' },
  optim: { type: 'adamw', lr: 3e-3 },
  train: { epochs: 3, batchSize: 8 },
});

function records(file: string): { event: string; step?: number; epoch?: number }[] {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { event: string; step?: number; epoch?: number });
}

it('a run killed mid-epoch and resumed logs each step once; orphaned .tmp files are removed', async () => {
  const out = join(dir, 'run');
  let steps = 0;
  await expect(
    runExperiment(config, {
      outputDir: out,
      report: () => undefined,
      onStep: ({ epoch, step }) => {
        steps++;
        if (epoch === 1 && step === 1) throw new Error('simulated kill inside epoch 2');
      },
    }),
  ).rejects.toThrow(/simulated kill/);
  const foldDir = join(out, 'fold-1');
  const log = join(foldDir, 'log.jsonl');
  // the kill left a step of epoch 2 in the log, a half-written line and a temporary file of a write
  expect(records(log).filter((r) => r.event === 'step' && r.epoch === 1)).toHaveLength(1);
  appendFileSync(log, '{"event":"step","fold":1,"ep');
  const orphan = join(foldDir, '.best.safetensors.tmp-4242-0a1b2c3d');
  writeFileSync(orphan, 'partial');
  const keep = join(foldDir, 'notes.tmp-1-x');
  writeFileSync(keep, 'not ours');
  await runExperiment(config, { outputDir: out, resume: true, report: () => undefined });
  const stepNumbers = records(log)
    .filter((r) => r.event === 'step')
    .map((r) => r.step);
  expect(stepNumbers).toEqual(Array.from({ length: stepNumbers.length }, (_, i) => i + 1));
  expect(
    records(log)
      .filter((r) => r.event === 'epoch')
      .map((r) => r.epoch),
  ).toEqual([0, 1, 2]);
  expect(steps).toBeGreaterThan(stepNumbers.length / 3);
  expect(existsSync(orphan)).toBe(false);
  expect(existsSync(keep)).toBe(true);
  expect(readdirSync(foldDir).filter((n) => /\.tmp-\d+-[0-9a-f]{8}$/.test(n))).toEqual([]);
});

describe('truncateLogAfter', () => {
  it('cuts at the first record past the checkpoint and drops a torn last line', () => {
    const file = join(dir, 'log.jsonl');
    const lines = [
      '{"event":"fold_start","fold":1}',
      '{"event":"step","step":1,"epoch":0}',
      '{"event":"step","step":2,"epoch":0}',
      '{"event":"epoch","epoch":0}',
      '{"event":"step","step":3,"epoch":1}',
      '{"event":"epoch","epoch":1}',
    ];
    writeFileSync(file, `${lines.join('\n')}\n{"event":"st`);
    expect(truncateLogAfter(file, { epoch: 0, step: 2 })).toBe(3);
    expect(readFileSync(file, 'utf8')).toBe(`${lines.slice(0, 4).join('\n')}\n`);
    expect(truncateLogAfter(file, { epoch: 0, step: 2 })).toBe(0);
    expect(truncateLogAfter(file, { epoch: -1, step: 0 })).toBe(3);
    expect(readFileSync(file, 'utf8')).toBe(`${lines[0]}\n`);
    expect(truncateLogAfter(join(dir, 'absent.jsonl'), { epoch: 0, step: 0 })).toBe(0);
  });

  it('removeOrphanedTempFiles removes only atomicWriteFile temporaries, in subfolders too', () => {
    const root = mkdtempSync(join(dir, 'tmpfiles-'));
    const sub = join(root, 'checkpoints', 'epoch-0001');
    mkdirSync(sub, { recursive: true });
    for (const name of ['.model.safetensors.tmp-1-deadbeef', 'model.safetensors', '.x.tmp-1-zz']) {
      writeFileSync(join(sub, name), '');
    }
    expect(removeOrphanedTempFiles(root)).toEqual([join(sub, '.model.safetensors.tmp-1-deadbeef')]);
    expect(readdirSync(sub).sort()).toEqual(['.x.tmp-1-zz', 'model.safetensors']);
  });
});
