import {
  applyOverrides,
  ConfigError,
  defineConfig,
  mergeConfigs,
  parseOverride,
  validateConfig,
} from '../src';

const base = defineConfig({
  name: 'former_dfer_tiny_ce',
  data: { type: 'synthetic_dfer', clips: 64 },
  model: { type: 'former_dfer', preset: 'tiny' },
  loss: { type: 'cross_entropy' },
  optim: { type: 'adamw', lr: 1e-3 },
  train: { epochs: 2, batchSize: 8 },
});

const registries = {
  data: ['synthetic_dfer'],
  model: ['former_dfer', 'm3dfel', 'mae_dfer'],
  loss: ['cross_entropy', 'au_dfer'],
};

function issuesOf(config: unknown): string[] {
  try {
    validateConfig(config, registries);
  } catch (e) {
    if (e instanceof ConfigError) return e.issues.map((i) => `${i.path}: ${i.message}`);
    throw e;
  }
  return [];
}

describe('validateConfig', () => {
  it('fills defaults without mutating the input', () => {
    const copy = structuredClone(base);
    const config = validateConfig(base, registries);
    expect(base).toEqual(copy);
    expect(config.seed).toBe(0);
    expect(config.engine.backend).toBe('auto');
    expect(config.evaluation).toEqual({ selection: 'validation', validationFraction: 0.1 });
    expect(config.optim).toMatchObject({ type: 'adamw', weightDecay: 0.05, betas: [0.9, 0.999] });
    expect(config.model.auHead).toBe(false);
    expect(config.model.initialization).toBe('random');
  });

  it("model.initialization: 'random' or 'layer_defaults'; anything else is reported with its path", () => {
    const model = { ...base.model, initialization: 'layer_defaults' };
    expect(validateConfig({ ...base, model }, registries).model.initialization).toBe('layer_defaults');
    const issues = issuesOf({ ...base, model: { ...base.model, initialization: 'zeros' } });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/^model\.initialization: .*"random".*"layer_defaults"/);
  });

  it('reports a wrong type name with the registered names', () => {
    expect(issuesOf({ ...base, model: { type: 'former-dfer' } })).toEqual([
      'model.type: unknown model type "former-dfer"; registered: former_dfer, m3dfel, mae_dfer',
    ]);
  });

  it('reports a missing field with its path', () => {
    const { train: _train, ...noTrain } = base;
    expect(issuesOf(noTrain)).toEqual([expect.stringMatching(/^train: /)]);
    expect(issuesOf({ ...base, optim: { type: 'adamw' } })).toEqual([expect.stringMatching(/^optim\.lr: /)]);
  });

  it('reports an out-of-range value with its path and bound', () => {
    const issues = issuesOf({ ...base, evaluation: { validationFraction: 1.5 } });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/^evaluation\.validationFraction: .*1/);
    expect(issuesOf({ ...base, train: { epochs: 0, batchSize: 8 } })[0]).toMatch(/^train\.epochs: .*1/);
  });

  it('train.augment: defaults to the mild Former-DFER pipeline; ranges must be ordered and in bounds', () => {
    expect(validateConfig(base, registries).train.augment).toEqual({
      flip: 0.5,
      scale: [0.8, 1],
      ratio: [3 / 4, 4 / 3],
    });
    const withAugment = (augment: unknown) => ({ ...base, train: { ...base.train, augment } });
    expect(issuesOf(withAugment({ scale: [0.9, 0.5] }))).toEqual([
      'train.augment.scale: expected [min, max] with min ≤ max',
    ]);
    expect(issuesOf(withAugment({ ratio: [2, 1] }))).toEqual([
      'train.augment.ratio: expected [min, max] with min ≤ max',
    ]);
    expect(issuesOf(withAugment({ scale: [0, 1] }))[0]).toMatch(/^train\.augment\.scale\.0: .*0/);
    expect(issuesOf(withAugment({ scale: [0.5, 1.5] }))[0]).toMatch(/^train\.augment\.scale\.1: .*1/);
    expect(issuesOf(withAugment({ flip: 2 }))[0]).toMatch(/^train\.augment\.flip: .*1/);
  });

  it('reports every problem at once, including unknown keys', () => {
    const issues = issuesOf({
      ...base,
      seed: -1,
      optim: { type: 'adamw', lr: 1e-3, lrr: 2 },
      loss: { type: 'nope' },
    });
    expect(issues.map((i) => i.split(':')[0])).toEqual(
      expect.arrayContaining(['seed', 'optim.lrr', 'loss.type']),
    );
    expect(issues.find((i) => i.startsWith('optim.lrr:'))).toMatch(/did you mean "lr"/);
  });

  it('the error message lists the issues and the source', () => {
    expect(() => validateConfig({ ...base, seed: 'x' }, registries, 'configs/a.json')).toThrow(
      /invalid experiment config \(configs\/a.json\):\n {2}- seed: /,
    );
  });
});

describe('mergeConfigs', () => {
  it('merges objects deeply and replaces arrays and scalars', () => {
    const merged = mergeConfigs({ a: { x: 1, y: [1, 2] }, b: 1 } as Record<string, unknown>, {
      a: { y: [3] },
      b: 2,
      c: true,
    });
    expect(merged).toEqual({ a: { x: 1, y: [3] }, b: 2, c: true });
  });

  it('replaces a component node whose type changes', () => {
    const merged = mergeConfigs({ loss: { type: 'au_dfer', lambda: 0.25 } } as Record<string, unknown>, {
      loss: { type: 'cross_entropy' },
    });
    expect(merged).toEqual({ loss: { type: 'cross_entropy' } });
    const same = mergeConfigs({ loss: { type: 'au_dfer', lambda: 0.25 } } as Record<string, unknown>, {
      loss: { type: 'au_dfer', posWeight: 'minor' },
    });
    expect(same).toEqual({ loss: { type: 'au_dfer', lambda: 0.25, posWeight: 'minor' } });
  });

  it('does not mutate its inputs', () => {
    const b = { a: { x: 1 } };
    const c = { a: { y: 2 } };
    mergeConfigs(b, c);
    expect(b).toEqual({ a: { x: 1 } });
    expect(c).toEqual({ a: { y: 2 } });
  });
});

describe('overrides', () => {
  it('parses JSON values and falls back to strings', () => {
    expect(parseOverride('optim.lr=1e-3')).toEqual({ path: ['optim', 'lr'], value: 0.001 });
    expect(parseOverride('model.preset=tiny')).toEqual({ path: ['model', 'preset'], value: 'tiny' });
    expect(parseOverride('a=[1,2]')).toEqual({ path: ['a'], value: [1, 2] });
    expect(parseOverride('a=true').value).toBe(true);
  });

  it('applies to a copy and creates missing objects', () => {
    const out = applyOverrides(base, ['optim.lr=0.01', 'train.clipGradNorm=5', 'output.dir=runs/x']);
    expect(out.optim.lr).toBe(0.01);
    expect((out.train as Record<string, unknown>).clipGradNorm).toBe(5);
    expect((out as Record<string, unknown>).output).toEqual({ dir: 'runs/x' });
    expect(base.optim.lr).toBe(1e-3);
  });

  it('rejects malformed overrides clearly', () => {
    expect(() => parseOverride('optim.lr')).toThrow(/expected the form path.to.field=value/);
    expect(() => parseOverride('optim..lr=1')).toThrow(/empty path segment/);
    expect(() => applyOverrides(base, ['name.x=1'])).toThrow(/name is not an object/);
  });
});
