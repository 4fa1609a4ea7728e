import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createExperimentData } from '@dfer/trainer';
import { createBenchProgram, QUICK_PROFILE, renderReportMarkdown } from '../src';
import { applyRealDataset, createRealDatasetSelection, RealDatasetLayoutError } from '../src/matrix/datasets';
import { getPublishedResults, PUBLISHED_RESULTS, publishedDatasetOf } from '../src/matrix/published';
import { loadFixture, tempDir } from './helpers';

/**
 * A tiny fake DFEW root: `<root>/<5-digit id>/` frame folders and `<root>/splits/DFEW_set_1_{train,test}.txt`
 * in the DFER-CLIP format with the authors' absolute prefix (which the reader must replace by the root).
 */
/** A JPEG's start (FF D8 FF) and end (FF D9) markers around placeholder bytes: never decoded by these tests. */
const JPEG_PLACEHOLDER = Buffer.concat([
  Buffer.from([0xff, 0xd8, 0xff]),
  Buffer.from('not decoded'),
  Buffer.from([0xff, 0xd9]),
]);

function makeFakeDfewRoot(): { root: string; train: string[]; test: string[] } {
  const root = tempDir('dfer-bench-dfew-');
  const train = ['00001', '00002', '00003', '00004', '00005', '00006'];
  const test = ['00007', '00008'];
  // Frames are only counted and checked by their first and last bytes here (nothing is decoded), so
  // placeholder files with a JPEG's start and end markers stand in for the JPEGs.
  const frame = JPEG_PLACEHOLDER;
  for (const id of [...train, ...test]) {
    mkdirSync(join(root, id));
    for (let f = 1; f <= 3; f++) writeFileSync(join(root, id, `${id}_${f}.jpg`), frame);
  }
  mkdirSync(join(root, 'splits'));
  const lines = (ids: string[]) =>
    ids.map((id, i) => `/data/authors/DFEW/DFEW_Frame_Face/${id} 3 ${i % 7}`).join('\n') + '\n';
  writeFileSync(join(root, 'splits', 'DFEW_set_1_train.txt'), lines(train));
  writeFileSync(join(root, 'splits', 'DFEW_set_1_test.txt'), lines(test));
  return { root, train, test };
}

describe('createRealDatasetSelection (bench --dataset)', () => {
  let fake: ReturnType<typeof makeFakeDfewRoot>;
  beforeAll(() => {
    fake = makeFakeDfewRoot();
  });
  afterAll(() => rmSync(fake.root, { recursive: true, force: true }));

  it('builds the trainer split_list node of one DFEW fold, and the trainer reads it', () => {
    const selection = createRealDatasetSelection({ dataset: 'dfew', dataRoot: fake.root, fold: 1 });
    expect(selection.data).toEqual({
      type: 'split_list',
      name: 'dfew-fold1',
      root: fake.root,
      listDir: join(fake.root, 'splits'),
      pattern: 'DFEW_set_1_{split}.txt',
      format: 'dfew',
    });
    expect(selection.protocol).toEqual({ type: 'fixed' });
    expect(selection.clipCounts).toEqual([{ fold: 1, train: 6, test: 2 }]);
    const { name: _name, ...node } = selection.data;
    const splits = createExperimentData(node as { type: string }, { seed: 0, protocol: 'fixed' });
    expect(splits.train.length).toBe(6);
    expect(splits.test.length).toBe(2);
    expect(splits.test.record(1)).toMatchObject({ id: '00008', numFrames: 3, label: 1 });
  });

  it('all folds: a missing list of fold 2 is named', () => {
    expect(() => createRealDatasetSelection({ dataset: 'dfew', dataRoot: fake.root })).toThrow(
      new RealDatasetLayoutError(
        `split lists: missing ${join(fake.root, 'splits', 'DFEW_set_2_train.txt')} (dfew expects DFEW_set_{fold}_{split}.txt in ${join(fake.root, 'splits')})`,
      ),
    );
  });

  it('all folds given: k-fold over the official lists, pattern with {fold}', () => {
    const root = tempDir('dfer-bench-dfew-5-');
    try {
      mkdirSync(join(root, 'splits'));
      for (let k = 1; k <= 5; k++) {
        mkdirSync(join(root, `0000${k}`));
        for (let f = 1; f <= 2; f++)
          writeFileSync(join(root, `0000${k}`, `0000${k}_${f}.jpg`), JPEG_PLACEHOLDER);
        writeFileSync(join(root, 'splits', `DFEW_set_${k}_train.txt`), `/x/0000${k} 2 0\n`);
        writeFileSync(join(root, 'splits', `DFEW_set_${k}_test.txt`), `/x/0000${k === 5 ? 1 : k + 1} 2 1\n`);
      }
      const selection = createRealDatasetSelection({ dataset: 'dfew', dataRoot: root });
      expect(selection.data).toMatchObject({ name: 'dfew', pattern: 'DFEW_set_{fold}_{split}.txt' });
      expect(selection.protocol).toEqual({ type: 'kfold', folds: 5 });
      expect(selection.listFiles).toHaveLength(10);
      const { name: _name, ...node } = selection.data;
      const fold3 = createExperimentData(node as { type: string }, {
        seed: 0,
        protocol: 'kfold',
        fold: 2,
        folds: 5,
      });
      expect(fold3.train.record(0).id).toBe('00003');
      expect(fold3.test.record(0).id).toBe('00004');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('bench run refuses --dataset without --data-root and --fold without --dataset', async () => {
    await expect(
      createBenchProgram().parseAsync(['node', 'bench', 'run', '--dataset', 'dfew']),
    ).rejects.toThrow('--dataset dfew needs --data-root <dir>');
    await expect(createBenchProgram().parseAsync(['node', 'bench', 'run', '--fold', '2'])).rejects.toThrow(
      '--data-root, --split-dir and --fold need --dataset',
    );
    const nowhere = join(fake.root, 'nowhere');
    await expect(
      createBenchProgram().parseAsync(['node', 'bench', 'run', '--dataset', 'dfew', '--data-root', nowhere]),
    ).rejects.toThrow(`--data-root ${nowhere}: no such folder`);
  });

  it('names the missing clip folders with their list line and how many are missing', () => {
    const root = tempDir('dfer-bench-dfew-missing-');
    try {
      mkdirSync(join(root, 'splits'));
      mkdirSync(join(root, '00001'));
      writeFileSync(
        join(root, 'splits', 'DFEW_set_1_train.txt'),
        '/x/DFEW_Frame_Face/00001 3 0\n/x/DFEW_Frame_Face/00002 3 1\n/x/DFEW_Frame_Face/00003 3 2\n',
      );
      writeFileSync(join(root, 'splits', 'DFEW_set_1_test.txt'), '/x/00001 3 0\n');
      expect(() => createRealDatasetSelection({ dataset: 'dfew', dataRoot: root, fold: 1 })).toThrow(
        `--data-root ${root}: 2 of 3 clip folder(s) listed in ${join(root, 'splits', 'DFEW_set_1_train.txt')} are missing, ` +
          `first: ${join(root, '00002')} (line 2), ${join(root, '00003')} (line 3); expected <data-root>/<5-digit clip id>/*.jpg`,
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('names a missing root and a missing split folder', () => {
    const nowhere = join(fake.root, 'no-such-folder');
    expect(() => createRealDatasetSelection({ dataset: 'mafw', dataRoot: nowhere })).toThrow(
      `--data-root ${nowhere}: no such folder; expected the mafw frame folders`,
    );
    expect(() =>
      createRealDatasetSelection({ dataset: 'dfew', dataRoot: fake.root, splitDir: nowhere, fold: 1 }),
    ).toThrow(`split lists: no folder ${nowhere}; put the official dfew split lists`);
  });

  it('refuses an unknown dataset and a fold the dataset does not have', () => {
    expect(() => createRealDatasetSelection({ dataset: 'afew', dataRoot: fake.root })).toThrow(
      '--dataset "afew": unknown dataset; expected one of dfew, ferv39k, mafw',
    );
    expect(() => createRealDatasetSelection({ dataset: 'dfew', dataRoot: fake.root, fold: 6 })).toThrow(
      '--fold 6: dfew has folds 1…5',
    );
    expect(() => createRealDatasetSelection({ dataset: 'ferv39k', dataRoot: fake.root, fold: 2 })).toThrow(
      '--fold 2: ferv39k has one official split',
    );
  });

  it('moves a profile onto the dataset and lists the methods that need AU labels', () => {
    const selection = createRealDatasetSelection({ dataset: 'dfew', dataRoot: fake.root, fold: 1 });
    const { profile, leftOutMethods } = applyRealDataset(QUICK_PROFILE, selection);
    expect(profile.methods).toEqual(['ce']);
    expect(leftOutMethods).toEqual(['ce+au_global']);
    expect(profile.models).toEqual(QUICK_PROFILE.models);
    expect(profile.data['name']).toBe('dfew-fold1');
    expect(() => applyRealDataset({ ...QUICK_PROFILE, methods: ['ce+au_global'] }, selection)).toThrow(
      'every method (ce+au_global) needs AU labels',
    );
  });
});

describe('published numbers', () => {
  it('match the table of dfer-benchmarks.md', () => {
    // "| Former-DFER (MM'21) | 18M / 9 | 53.69 / 65.70 | 37.20 / 46.85 | 31.16 / 43.27 |" etc.
    const dfew = getPublishedResults('dfew').map((p) => [p.model, p.uar, p.war]);
    expect(dfew).toEqual([
      ['former_dfer', 53.69, 65.7],
      ['m3dfel', 56.1, 69.25],
      ['mae_dfer', 63.41, 74.43],
    ]);
    expect(getPublishedResults('mafw').map((p) => p.model)).toEqual(['former_dfer', 'mae_dfer']);
    expect(publishedDatasetOf('dfew-fold3')).toBe('dfew');
    expect(publishedDatasetOf('synthetic_dfer')).toBeUndefined();
    expect(PUBLISHED_RESULTS.every((p) => p.source.includes('dfer-benchmarks.md'))).toBe(true);
  });

  it('are printed beside ours in the report for a real dataset only', () => {
    const fixture = loadFixture();
    expect(renderReportMarkdown(fixture)).not.toContain('Published numbers beside ours');
    const onDfew = { ...fixture, runs: fixture.runs.map((r) => ({ ...r, dataset: 'dfew-fold1' })) };
    const md = renderReportMarkdown(onDfew);
    expect(md).toContain('### Published numbers beside ours');
    // former_dfer / ce of the fixture: UAR 56.9 ± 13.7, WAR 68.8 ± 8.8 (hand-computed in report.test.ts)
    expect(md).toContain('| former_dfer | tiny | ce | 56.9 ± 13.7 | 68.8 ± 8.8 | 53.69 | 65.70 |');
    expect(md).toContain('| m3dfel | tiny | ce+au_global |');
    expect(md).toContain('56.10 | 69.25 |');
    expect(md).toContain('Ours covers a single fold');
    expect(md).toContain(`row "Former-DFER (MM'21)"`);
  });
});

describe('bench command line', () => {
  it('refuses an unknown command or a stray argument with a suggestion instead of starting a run', async () => {
    const errors: string[] = [];
    const make = () =>
      createBenchProgram()
        .exitOverride()
        .configureOutput({ writeErr: (s) => errors.push(s), writeOut: () => undefined });
    await expect(make().parseAsync(['node', 'bench', 'reprot', 'results.json'])).rejects.toThrow(
      /unknown command 'reprot'/,
    );
    expect(errors.join('')).toContain('(Did you mean report?)');
    const program = make();
    program.commands
      .find((c) => c.name() === 'run')!
      .exitOverride()
      .configureOutput({ writeErr: (s) => errors.push(s) });
    await expect(program.parseAsync(['node', 'bench', 'run', 'results.json'])).rejects.toThrow(
      /too many arguments/,
    );
  });

  it('prints its version', async () => {
    let out = '';
    const program = createBenchProgram()
      .exitOverride()
      .configureOutput({ writeOut: (s) => (out += s) });
    await expect(program.parseAsync(['node', 'bench', '--version'])).rejects.toThrow();
    expect(out.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
