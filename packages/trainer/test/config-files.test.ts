import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listModels } from '@dfer/backbones';
import { listLosses, listRobustWeightings } from '@dfer/losses';
import {
  listExperimentData,
  listExperimentDataOptions,
  loadConfigFile,
  SHIPPED_CONFIG_DIR,
  validateConfig,
} from '../src';

function shipped(dir: string): string[] {
  return readdirSync(join(SHIPPED_CONFIG_DIR, dir))
    .filter((f) => f.endsWith('.json'))
    .map((f) => join(SHIPPED_CONFIG_DIR, dir, f));
}

describe('shipped configs', () => {
  const registries = {
    data: listExperimentData(),
    model: listModels(),
    loss: listLosses(),
    robust: listRobustWeightings(),
    dataOptions: listExperimentDataOptions(),
  };
  const files = [...shipped('synthetic'), ...shipped('dfew'), ...shipped('ferv39k'), ...shipped('mafw')];

  it('ship every base model × method, and the RDFER noise experiment', () => {
    expect(files.length).toBe(51);
    for (const model of ['former_dfer', 'm3dfel', 'mae_dfer']) {
      for (const method of ['ce', 'au_global', 'au_distinct', 'au_minor']) {
        expect(files.some((f) => f.endsWith(`dfew/${model}_${method}.json`))).toBe(true);
        expect(files.some((f) => f.endsWith(`ferv39k/${model}_${method}.json`))).toBe(true);
      }
      // MAFW's 11 classes have no published expression × AU prior (the AU-DFER authors did not run it)
      expect(files.some((f) => f.endsWith(`mafw/${model}_ce.json`))).toBe(true);
    }
    for (const model of ['former_dfer', 'm3dfel', 'mae_dfer']) {
      expect(files.some((f) => f.endsWith(`synthetic/${model}_noisy_ce.json`))).toBe(true);
      expect(files.some((f) => f.endsWith(`synthetic/${model}_noisy_clip_agreement.json`))).toBe(true);
    }
    for (const model of ['former_dfer', 'm3dfel', 'mae_dfer']) {
      for (const method of ['ce', 'au_global', 'au_distinct', 'au_minor', 'focal', 'class_balanced']) {
        expect(files.some((f) => f.endsWith(`synthetic/${model}_${method}.json`))).toBe(true);
      }
    }
  });

  it.each(files.map((f) => [f.slice(SHIPPED_CONFIG_DIR.length + 1), f]))(
    '%s inherits and validates',
    (_name, file) => {
      const config = validateConfig(loadConfigFile(file), registries, file);
      expect(config.name).toMatch(/^(former_dfer|m3dfel|mae_dfer)_(synthetic|dfew|ferv39k|mafw)_/);
      expect(config.model.type).toBe(
        config.name
          .split('_')
          .slice(0, config.name.startsWith('m3dfel') ? 1 : 2)
          .join('_'),
      );
      if (config.loss.type === 'au_dfer') expect(config.model.auHead).toBe(true);
      if (config.data.type === 'split_list') {
        // real-data recipes cite where their settings come from, and read AU labels when the loss needs them
        expect(config.comment).toMatch(/reference\/au-dfer\.md/);
        expect(config.comment).toMatch(/reference\/(former-dfer|m3dfel|mae-dfer)\.md/);
        const aus = (config.data as { aus?: { source?: string } }).aus;
        expect(aus?.source).toBe(config.loss.type === 'au_dfer' ? 'openface' : undefined);
        const dataset = config.name.split('_').find((p) => ['dfew', 'ferv39k', 'mafw'].includes(p));
        expect(config.data).toMatchObject({ type: 'split_list', format: dataset });
        expect(config.protocol.type).toBe(dataset === 'ferv39k' ? 'fixed' : 'kfold');
        if (config.model.type === 'm3dfel') expect(config.loss).toMatchObject({ labelSmoothing: 0.1 });
      }
      if (config.name.includes('clip_agreement'))
        expect(config.robust).toMatchObject({ type: 'clip_agreement', clips: 4 });
    },
  );

  it('keeps each base model recipe from the reference (e.g. Former-DFER: SGD 0.01, step 40)', () => {
    const former = validateConfig(
      loadConfigFile(join(SHIPPED_CONFIG_DIR, 'synthetic', 'former_dfer_ce.json')),
      registries,
    );
    expect(former.optim).toMatchObject({
      type: 'sgd',
      lr: 0.01,
      momentum: 0.9,
      weightDecay: 1e-4,
      weightDecayMode: 'l2',
    });
    expect(former.schedule).toEqual({ type: 'step', stepSize: 40, gamma: 0.1 });
    const m3 = validateConfig(
      loadConfigFile(join(SHIPPED_CONFIG_DIR, 'synthetic', 'm3dfel_au_minor.json')),
      registries,
    );
    expect(m3.optim).toMatchObject({ type: 'adamw', lr: 5e-4, weightDecay: 0.05 });
    expect(m3.loss).toMatchObject({ type: 'au_dfer', lambda: 0.25, posWeight: 'minor' });
  });
});

describe('loadConfigFile', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dfer-cfg-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('merges bases in order, the file on top', () => {
    writeFileSync(join(dir, 'a.json'), JSON.stringify({ train: { epochs: 1, batchSize: 2 }, x: 1 }));
    writeFileSync(join(dir, 'b.json'), JSON.stringify({ train: { epochs: 5 }, y: 2 }));
    writeFileSync(join(dir, 'c.json'), JSON.stringify({ _base: ['a.json', 'b.json'], y: 3 }));
    expect(loadConfigFile(join(dir, 'c.json'))).toEqual({ train: { epochs: 5, batchSize: 2 }, x: 1, y: 3 });
  });

  it('reports a cycle, a missing base and bad JSON with the file', () => {
    writeFileSync(join(dir, 'a.json'), JSON.stringify({ _base: 'b.json' }));
    writeFileSync(join(dir, 'b.json'), JSON.stringify({ _base: 'a.json' }));
    expect(() => loadConfigFile(join(dir, 'a.json'))).toThrow(
      /inheritance cycle: .*a.json → .*b.json → .*a.json/,
    );
    writeFileSync(join(dir, 'c.json'), JSON.stringify({ _base: 'nope.json' }));
    expect(() => loadConfigFile(join(dir, 'c.json'))).toThrow(
      /config file not found: .*nope.json \(a _base of .*c.json\)/,
    );
    writeFileSync(join(dir, 'd.json'), '{ "a": ');
    expect(() => loadConfigFile(join(dir, 'd.json'))).toThrow(/d.json: not valid JSON/);
    writeFileSync(join(dir, 'e.json'), '[1]');
    expect(() => loadConfigFile(join(dir, 'e.json'))).toThrow(/expected a JSON object/);
  });
});
