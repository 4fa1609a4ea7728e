/**
 * A small seeded batch of the reader fuzzer (see test/fuzz/reader-fuzz.ts; the long run is
 * `pnpm --filter @dfer/trainer fuzz`): no crash, no hang, no silent acceptance of detectable corruption.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listModels } from '@dfer/backbones';
import { listLosses, listRobustWeightings } from '@dfer/losses';
import { listExperimentData, listExperimentDataOptions } from '../src';
import { fuzzTarget, fuzzTargets, FuzzRng, mutate } from './fuzz/reader-fuzz';

const dir = mkdtempSync(join(tmpdir(), 'dfer-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const targets = fuzzTargets({
  data: listExperimentData(),
  model: listModels(),
  loss: listLosses(),
  robust: listRobustWeightings(),
  dataOptions: listExperimentDataOptions(),
});
/** Inputs per target in CI (videos spawn ffmpeg twice per input, so fewer). */
const PER_TARGET: Record<string, number> = { video: 6, 'ONNX session': 25 };

describe.each(targets.map((t) => [t.name, t] as const))('fuzzing %s', (name, target) => {
  it('accepts its own seeds', async () => {
    const seeds = await target.seeds(join(dir, `${name}-seeds`));
    for (const [i, bytes] of seeds.entries()) {
      const file = join(dir, `${name.replace(/\W/g, '_')}-seed-${i}-${target.fileName}`);
      writeFileSync(file, bytes);
      await expect(target.run(file)).resolves.toBeDefined();
      expect(await target.oracle(bytes, file)).toMatchObject({ corrupt: false });
    }
  });

  it('seeded batch: only clean errors and acceptances of undetectable changes', async () => {
    const counts = await fuzzTarget(target, {
      seed: 2026,
      count: PER_TARGET[name] ?? 60,
      dir: join(dir, name.replace(/\W/g, '_')),
    });
    expect({
      crash: counts.crash,
      hang: counts.hang,
      silentAcceptance: counts.silentAcceptance,
      examples: counts.examples,
    }).toEqual({
      crash: 0,
      hang: 0,
      silentAcceptance: 0,
      examples: [],
    });
    expect(counts.cleanError).toBeGreaterThan(0);
  });
});

it('mutations are seeded: same seed, same bytes', () => {
  const seed = Buffer.from('a,b\n1,2\n');
  const a = mutate(seed, new FuzzRng(7), 'text', [seed]);
  const b = mutate(seed, new FuzzRng(7), 'text', [seed]);
  expect(Buffer.from(a.bytes).equals(Buffer.from(b.bytes))).toBe(true);
  expect(a.mutations).toEqual(b.mutations);
});
