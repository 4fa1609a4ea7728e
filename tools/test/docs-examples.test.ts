import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
    `train-tiny.sh: fake DFEW root + OpenFace CSVs → dfer train --dry-run → AU-DFER train → eval → export-onnx → classify-video.ts; data faults stop before training${media ? '' : ' (skipped: ../shared/data/media is absent)'}`,
    () => {
      const work = mkdtempSync(join(tmpdir(), 'dfer-docs-train-tiny-'));
      try {
        const env = { ...process.env, DFER_SHARED_DATA: join(media!, '..', '..'), CI: '1' };
        const result = spawnSync('bash', [join('docs', 'examples', 'train-tiny.sh'), join(work, 'w')], {
          cwd: root,
          env,
          encoding: 'utf8',
          timeout: 120_000,
        });
        const out = `${result.stdout}${result.stderr}`;
        if (result.status !== 0) throw new Error(`train-tiny.sh exited with ${result.status}:\n${out}`);
        const dfew = join(work, 'w', 'DFEW');
        // the plan: data check with AU-label coverage (clip 00004 has no OpenFace CSV), clips per class, steps, time
        expect(out).toContain('dry run: nothing trained, nothing written');
        expect(out).toContain(
          `data check: fold 1 train ${join(dfew, 'splits', 'DFEW_set_1_train.txt')}: 7 clips listed, 0 unreadable; AU labels 6/7 (85.7 %)`,
        );
        expect(out).toContain('| 1 | test | 3 | 2 | 0 | 1 | 0 | 0 | 0 | 0 |');
        expect(out).toMatch(/steps: 4 in all \(1 fold\(s\)\)/);
        expect(out).toMatch(/estimated training time: [\d.]+ s/);
        // the run: AU coverage reported, the AU term active in every logged step
        expect(out).toContain('(7 clips, AU labels 6/7)');
        expect(out).toContain('; 5 train, 2 validation, 3 test');
        expect(out).toMatch(/fold 1 epoch 1\/2: loss [\d.]+ \(ce [\d.]+, au [\d.]+\)/);
        const log = readFileSync(join(work, 'w', 'runs', 'au_dfer_dfew', 'fold-1', 'log.jsonl'), 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as { event: string; terms?: { au?: number } });
        const auTerms = log.filter((l) => l.event === 'step').map((l) => l.terms?.au ?? 0);
        expect(auTerms).toHaveLength(4);
        expect(auTerms.every((v) => v > 0)).toBe(true);
        expect(out).toContain('checkpoint selected on a validation split carved from the training data');
        expect(out).toMatch(/\| 1 \| 3 \| [\d.]+ \| [\d.]+ \|/);
        expect(out).toMatch(/test clips 3: WAR [\d.]+ %, UAR [\d.]+ %/);
        expect(out).toMatch(
          /wrote .*former_dfer_au_dfew\.onnx \(\d+ bytes; outputs logits, features, auLogits\)/,
        );
        expect(out).toContain('face.mp4: 72 frames, 16 sampled, model former_dfer (tiny)');
        const probs = [...out.matchAll(/^ {2}(\w+) +(0\.\d{3}|1\.000)$/gm)].map((m) => Number(m[2]));
        expect(probs).toHaveLength(3);
        expect(probs[0]!).toBeGreaterThanOrEqual(probs[1]!);
        expect(probs.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(1.0015);

        // Each data fault is reported, with absolute paths, before any training step.
        const train = (sets: string[], flags: string[] = []): { status: number | null; out: string } => {
          const r = spawnSync(
            'node',
            [
              join(root, 'packages', 'trainer', 'dist', 'cli.js'),
              'train',
              join(root, 'packages', 'trainer', 'configs', 'dfew', 'former_dfer_au_global.json'),
              ...[
                'data.root=DFEW/Clip/clip_224x224',
                'data.listDir=DFEW/splits',
                'data.aus.dir=DFEW/openface',
              ]
                .concat(
                  'protocol.only=[1]',
                  'model.preset=tiny',
                  'engine.backend=wasm',
                  'train.batchSize=2',
                  ...sets,
                )
                .flatMap((s) => ['--set', s]),
              ...flags,
              '--out',
              join(work, 'w', 'runs', 'faulty'),
            ],
            {
              cwd: join(work, 'w'),
              env: { ...env, NODE_PATH: join(root, 'tools', 'node_modules') },
              encoding: 'utf8',
              timeout: 60_000,
            },
          );
          return { status: r.status, out: `${r.stdout}${r.stderr}` };
        };
        const root224 = join(dfew, 'Clip', 'clip_224x224');
        rmSync(join(root224, '00003'), { recursive: true }); // a missing clip folder
        rmSync(join(root224, '00009', '00009_14.jpg')); // fewer frames than the list says
        const jpg = join(root224, '00002', '00002_5.jpg'); // a truncated frame
        writeFileSync(jpg, readFileSync(jpg).subarray(0, 600));
        for (const f of readdirSync(join(root224, '00007'))) rmSync(join(root224, '00007', f)); // an empty clip
        const faults = train([]); // the recipe's default: data.aus.missing "fail"
        expect(faults.status).toBe(1);
        expect(faults.out).not.toMatch(/epoch 1\//);
        expect(faults.out).toContain('data check failed before training');
        expect(faults.out).toContain(
          `fold 1 train (${join(dfew, 'splits', 'DFEW_set_1_train.txt')}): 4 unreadable clip(s)`,
        );
        expect(faults.out).toContain(`${join(root224, '00003')}: the clip folder does not exist`);
        expect(faults.out).toContain(`${join(root224, '00009')}: holds 13 frame image(s), the list says 14`);
        expect(faults.out).toContain(`${join(root224, '00002')}: 00002_5.jpg is not a whole JPEG image`);
        expect(faults.out).toContain(
          `${join(root224, '00007')}: the frame folder holds no .jpg/.jpeg/.png file (empty clip)`,
        );
        expect(faults.out).toContain('1 clip(s) without AU labels — set data.aus.missing "mask"');
        expect(faults.out).toContain(`no OpenFace CSV ${join(dfew, 'openface', '00004.csv')}`);
        // with data.onError "skip" and data.aus.missing "mask" the same root is usable: the faults are counted
        const skipped = train(['data.onError=skip', 'data.aus.missing=mask'], ['--dry-run']);
        expect(skipped.status).toBe(0);
        expect(skipped.out).toContain('7 clips listed, 4 unreadable; AU labels 2/3 (66.7 %)');
        expect(skipped.out).toContain('(3 clips, 4 unreadable skipped, AU labels 2/3)');
        const lists = train(['protocol.only=[1,2]']); // a missing fold list, found before fold 1 trains
        expect(lists.status).toBe(1);
        expect(lists.out).not.toMatch(/epoch 1\//);
        expect(lists.out).toContain(`2 split list(s) not found`);
        expect(lists.out).toContain(join(dfew, 'splits', 'DFEW_set_2_train.txt'));
        expect(existsSync(join(work, 'w', 'runs', 'faulty'))).toBe(false);
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
