/** Unknown keys anywhere in a config are errors with the closest known name, data and model nodes included. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConfigError,
  listExperimentData,
  listExperimentDataOptions,
  loadConfigFile,
  validateConfig,
} from '../src';
import { editDistance, unknownKeyMessage } from '../src/config/suggest';

const base = {
  name: 'x',
  data: { type: 'synthetic_dfer', numClips: 60 },
  model: { type: 'former_dfer', preset: 'tiny' },
  loss: { type: 'cross_entropy' },
  optim: { type: 'adamw', lr: 1e-3 },
  train: { epochs: 1, batchSize: 4 },
};
const registries = { data: listExperimentData(), dataOptions: listExperimentDataOptions() };

function issuesOf(config: unknown): string[] {
  try {
    validateConfig(config, registries);
  } catch (e) {
    if (e instanceof ConfigError) return e.issues.map((i) => `${i.path}: ${i.message}`);
    throw e;
  }
  return [];
}

describe('unknown config keys', () => {
  it('data.numClip is rejected with a suggestion (synthetic_dfer declares its options)', () => {
    const { numClips: _n, ...data } = base.data;
    expect(issuesOf({ ...base, data: { ...data, numClip: 60 } })).toEqual([
      'data.numClip: unknown option "numClip"; did you mean "numClips"? (data type "synthetic_dfer")',
    ]);
    expect(issuesOf(base)).toEqual([]);
  });

  it('split_list options are checked too', () => {
    const data = { type: 'split_list', listDir: '/l', pattern: 'p_{split}.txt', root: '/r', fromat: 'dfew' };
    expect(issuesOf({ ...base, data })).toEqual([
      'data.fromat: unknown option "fromat"; did you mean "format"? (data type "split_list")',
    ]);
  });

  it('model.presett is rejected with a suggestion', () => {
    expect(issuesOf({ ...base, model: { type: 'former_dfer', presett: 'tiny' } })).toEqual([
      'model.presett: unknown key "presett"; did you mean "preset"?',
    ]);
  });

  it('train.epochz, optim (per type) and top-level typos get suggestions; far names list the known keys', () => {
    expect(issuesOf({ ...base, train: { ...base.train, epochz: 3 } })).toEqual([
      'train.epochz: unknown key "epochz"; did you mean "epochs"?',
    ]);
    expect(issuesOf({ ...base, optim: { type: 'sgd', lr: 1, momentun: 0.9 } })).toEqual([
      'optim.momentun: unknown key "momentun"; did you mean "momentum"?',
    ]);
    expect(issuesOf({ ...base, sed: 1 })).toEqual(['sed: unknown key "sed"; did you mean "seed"?']);
    expect(issuesOf({ ...base, engine: { zzzzzz: 1 } })).toEqual([
      'engine.zzzzzz: unknown key "zzzzzz"; known: backend',
    ]);
  });

  it('edit distance: hand-computed values', () => {
    expect(editDistance('epochz', 'epochs')).toBe(1);
    expect(editDistance('presett', 'preset')).toBe(1);
    expect(editDistance('fromat', 'format')).toBe(1); // one transposition
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(unknownKeyMessage('ab', ['xy'])).toBe('unknown key "ab"; known: xy');
  });
});

it('a key repeated in one object of a config file is an error naming the file, key and line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dfer-dup-'));
  const file = join(dir, 'dup.json');
  writeFileSync(
    file,
    '{\n "train": {"epochs": 1},\n "x": ["train", {"train": 1}],\n "train": {"epochs": 9}\n}\n',
  );
  expect(() => loadConfigFile(file)).toThrow(
    `config file ${file}: key "train" appears twice in one object (line 4)`,
  );
  writeFileSync(file, '{"a": {"k": 1}, "b": {"k": 2}, "c": "\\"k\\": 3"}');
  expect(loadConfigFile(file)).toEqual({ a: { k: 1 }, b: { k: 2 }, c: '"k": 3' });
  writeFileSync(file, Buffer.concat([Buffer.from('{"name": "'), Buffer.from([0xff]), Buffer.from('"}')]));
  expect(() => loadConfigFile(file)).toThrow(`config file ${file}: not valid UTF-8 text`);
  rmSync(dir, { recursive: true, force: true });
});
