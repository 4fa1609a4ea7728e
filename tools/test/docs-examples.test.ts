import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { sharedDataPath } from '@dfer/test-utils';

/**
 * Runs the examples of `docs/` so the guides cannot rot: every TypeScript file of `docs/examples/` runs with
 * `tsx` the way the guides say (`NODE_PATH=tools/node_modules`: the packages resolve by name to their built
 * `dist/`, as from npm), and its output is checked. Every code block of a guide that is marked
 * `<!-- example: docs/examples/<file> -->` must be that file, character for character.
 */

const root = resolve(__dirname, '..', '..');
const examplesDir = join(root, 'docs', 'examples');
const tsx = join(root, 'node_modules', '.bin', 'tsx');
const PACKAGES = ['au-knowledge', 'datasets', 'losses', 'runtime', 'backbones', 'trainer'];

function runExample(file: string, args: readonly string[] = []): string {
  const result = spawnSync(tsx, [join('docs', 'examples', file), ...args], {
    cwd: root,
    env: { ...process.env, NODE_PATH: join(root, 'tools', 'node_modules') },
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(
      `docs/examples/${file} exited with ${result.status}:\n${result.stdout}\n${result.stderr}`,
    );
  }
  return result.stdout;
}

describe('docs/examples', () => {
  beforeAll(() => {
    const unbuilt = PACKAGES.filter((p) => !existsSync(join(root, 'packages', p, 'dist', 'index.js')));
    if (unbuilt.length > 0) {
      throw new Error(
        `the examples import the built packages; packages/${unbuilt.join(', packages/')} have no dist/index.js (run pnpm build first)`,
      );
    }
  });

  it('au-knowledge-priors.ts prints the AU set, the prior and hand-checkable pos-weights', () => {
    const out = runExample('au-knowledge-priors.ts');
    expect(out).toContain(
      'openface18: AU01 AU02 AU04 AU05 AU06 AU07 AU09 AU10 AU12 AU14 AU15 AU17 AU20 AU23 AU25 AU26 AU28 AU45',
    );
    expect(out).toContain('AU12: Lip Corner Puller');
    expect(out).toContain('prior shape: 7 x 18');
    // dfew_final happy/AU12 = 0.8882934142237333 (reference/au-dfer-tables.json)
    expect(out).toContain('P(AU12 | happy) = 0.8883');
    expect(out).toMatch(/ {2}happy {4}AU12 /);
    // AU counts over 4 clips: 2, 2, 3 positives → N_neg / N_pos = 2/2, 2/2, 1/3
    expect(out).toContain('global pos-weights: 1.000 1.000 0.333');
  });

  it('au-dfer-loss-loop.ts trains: the loss falls and nothing leaks', () => {
    const out = runExample('au-dfer-loss-loop.ts');
    const match = /loss step 1: ([\d.]+), step 50: ([\d.]+)/.exec(out);
    expect(match).not.toBeNull();
    const [first, last] = [Number(match![1]), Number(match![2])];
    expect(last).toBeLessThan(first / 2);
    expect(out).toContain('tensors created by the loop besides optimizer state: 0');
  });

  it('onnx-inference.ts runs the graph in onnxruntime (values by hand)', () => {
    const out = runExample('onnx-inference.ts');
    expect(out).toContain('opset 17, inputs input, outputs logits,probabilities');
    // [1,1,1]·[1,2,3] + 0.5 = 6.5, [1,1,1]·[-1,0,1] − 0.5 = −0.5; [0,0,1] → 3.5, 0.5
    expect(out).toContain('logits: [ 6.5, -0.5, 3.5, 0.5 ]');
    // softmax: 1/(1 + e^−7) = 0.99909, 1/(1 + e^−3) = 0.95257
    expect(out).toContain('sample 0: smile (0.9991)');
    expect(out).toContain('sample 1: smile (0.9526)');
  });

  const csv = sharedDataPath('media', 'OpenFace_Test.csv');
  (csv ? it : it.skip)(
    `score-openface-csv.ts scores the real OpenFace CSV${csv ? '' : ' (skipped: ../shared/data/media/OpenFace_Test.csv is absent)'}`,
    () => {
      const out = runExample('score-openface-csv.ts', [csv!]);
      expect(out).toContain(': 100 frames, 0 without a tracked face left out');
      // The face of that file shows AU05/AU23 and some AU04, no smile (packages/au-knowledge/README.md).
      expect(out).toContain('top: neutral');
      expect(out).toMatch(/ {2}neutral {2}0\.\d{3}\n {2}surprise 0\.\d{3}/);
    },
  );

  const media = sharedDataPath('media', 'single_face.mp4');
  (media ? it : it.skip)(
    `train-tiny.sh: fake DFEW root → dfer train → eval → export-onnx → classify-video.ts${media ? '' : ' (skipped: ../shared/data/media is absent)'}`,
    () => {
      const work = mkdtempSync(join(tmpdir(), 'dfer-docs-train-tiny-'));
      try {
        const result = spawnSync('bash', [join('docs', 'examples', 'train-tiny.sh'), join(work, 'w')], {
          cwd: root,
          env: { ...process.env, DFER_SHARED_DATA: join(media!, '..', '..'), CI: '1' },
          encoding: 'utf8',
          timeout: 120_000,
        });
        const out = `${result.stdout}${result.stderr}`;
        if (result.status !== 0) throw new Error(`train-tiny.sh exited with ${result.status}:\n${out}`);
        // 7 train clips listed; validation 30 % carved from them; every one of the 3 test clips scored.
        expect(out).toContain('(7 clips)');
        expect(out).toContain('; 5 train, 2 validation, 3 test');
        expect(out).toContain('checkpoint selected on a validation split carved from the training data');
        expect(out).toMatch(/\| 1 \| 3 \| [\d.]+ \| [\d.]+ \|/);
        expect(out).toMatch(/test clips 3: WAR [\d.]+ %, UAR [\d.]+ %/);
        expect(out).toMatch(/wrote .*former_dfer_my_dfew\.onnx \(\d+ bytes; outputs logits, features\)/);
        expect(out).toContain('face.mp4: 72 frames, 16 sampled, model former_dfer (tiny)');
        const probs = [...out.matchAll(/^ {2}(\w+) +(0\.\d{3}|1\.000)$/gm)].map((m) => Number(m[2]));
        expect(probs).toHaveLength(3);
        expect(probs[0]!).toBeGreaterThanOrEqual(probs[1]!);
        expect(probs.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(1.0015);
        expect(existsSync(join(work, 'w', 'runs', 'my_dfew', 'results.json'))).toBe(true);
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    },
  );

  it('every marked code block of the guides is its example file', () => {
    const guides = readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md'));
    const marker = /<!-- example: (docs\/examples\/[\w.-]+) -->\n+```\w*\n([\s\S]*?)```/g;
    const seen: string[] = [];
    for (const guide of guides) {
      const text = readFileSync(join(root, 'docs', guide), 'utf8');
      for (const m of text.matchAll(marker)) {
        const file = m[1]!;
        expect({ guide, file, block: m[2] }).toEqual({
          guide,
          file,
          block: readFileSync(join(root, file), 'utf8'),
        });
        seen.push(file);
      }
    }
    const examples = readdirSync(examplesDir)
      .filter((f) => f.endsWith('.ts'))
      .map((f) => `docs/examples/${f}`);
    expect(examples.filter((f) => !seen.includes(f))).toEqual([]);
  });
});
