/**
 * Tests generated from the model registry: every registered model × `tiny` and × `paper`.
 * A model registered later is covered without editing this file.
 */
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertParity, initEngine, writeSafetensors } from '@dfer/runtime';
import type { SafetensorsTensor } from '@dfer/runtime';

import {
  createModel,
  DEFAULT_AU_HEAD_SIZE,
  getModelInfo,
  listModels,
  loadWeights,
  loadWeightsFromContent,
} from '@dfer/backbones';
import { createSeededRng, expectNoTensorLeak } from '@dfer/test-utils';

const REFERENCE_DIR = join(__dirname, '..', '..', '..', '..', 'shared', 'reference');

interface ReferenceStateDict {
  /** `num_parameters` in some reference files, `total_parameters` in others. */
  num_parameters?: number;
  total_parameters?: number;
  state_dict: Array<{ name: string; shape: number[]; dtype: string }>;
}

/** `reference/<file>.md` → the `<file>.state-dict.json` beside it, or undefined when absent. */
function referenceStateDict(model: string): ReferenceStateDict | undefined {
  const md = getModelInfo(model).source.reference;
  const path = join(REFERENCE_DIR, md.replace(/^reference\//, '').replace(/\.md$/, '.state-dict.json'));
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, 'utf8')) as ReferenceStateDict;
}

/** A safetensors file with the reference's names and shapes (F32 zeros, I64 counters). */
function safetensorsFromReference(
  entries: ReferenceStateDict['state_dict'],
): Record<string, SafetensorsTensor> {
  const out: Record<string, SafetensorsTensor> = {};
  for (const e of entries) {
    const n = e.shape.reduce((a, b) => a * b, 1);
    out[e.name] =
      e.dtype === 'int64'
        ? { dtype: 'I64', shape: e.shape, data: new BigInt64Array(n) }
        : { dtype: 'F32', shape: e.shape, data: new Float32Array(n) };
  }
  return out;
}

beforeAll(async () => {
  await initEngine({ backend: 'cpu' });
});

const models = listModels();

it('the registry lists the three base models and rejects unknown names, presets and duplicates', () => {
  expect(models).toEqual(expect.arrayContaining(['former_dfer']));
  expect(() => createModel('nope')).toThrow(/unknown model 'nope'; registered models: .*former_dfer/);
  expect(() => createModel('former_dfer', { preset: 'huge' })).toThrow(
    /no preset 'huge'; presets: paper, tiny/,
  );
  expect(() => createModel('former_dfer', { auHead: -1 })).toThrow(
    /auHead must be a boolean or a non-negative integer/,
  );
  expect(() => createModel('former_dfer', { initialization: 'kaiming' as never })).toThrow(
    "initialization must be one of 'random', 'layer_defaults', 'zeros', got 'kaiming'",
  );
});

it("'layer_defaults' equals 'random' for every model but mae_dfer (no model-wide re-initialisation)", () => {
  for (const name of models.filter((m) => m !== 'mae_dfer')) {
    const [a, b] = (['random', 'layer_defaults'] as const).map((initialization) =>
      createModel(name, { preset: 'tiny', seed: 3, initialization }),
    );
    const bytes = (m: typeof a): Buffer =>
      Buffer.concat(m!.parameters().map((v) => Buffer.from((v.dataSync() as Float32Array).buffer)));
    expect([name, bytes(a).equals(bytes(b))]).toEqual([name, true]);
    a!.dispose();
    b!.dispose();
  }
});

describe.each(models)('%s × tiny', (name) => {
  const info = getModelInfo(name);
  const preset = info.presets.tiny;
  if (preset === undefined) throw new Error(`${name} has no tiny preset`);
  const spec = preset.input;
  const clip = (batch: number, seed: number): tf.Tensor => {
    const rng = createSeededRng(seed);
    const n = batch * spec.frames * spec.height * spec.width * spec.channels;
    return tf.tensor(rng.uniformArray(n), [batch, spec.frames, spec.height, spec.width, spec.channels]);
  };

  it('is small (≤ 300k parameters, ≤ 64×64) and its parameter count matches the preset metadata', () => {
    const model = createModel(name, { preset: 'tiny' });
    expect(model.numParameters()).toBe(preset.numParameters);
    expect(model.numParameters()).toBeLessThanOrEqual(300_000);
    expect(Math.max(spec.height, spec.width)).toBeLessThanOrEqual(64);
    model.dispose();
  });

  it('output shapes, no NaN, every parameter gets a non-zero gradient, no tensor leak', async () => {
    const model = createModel(name, { preset: 'tiny', auHead: true, seed: 1 });
    model.train();
    const x = clip(2, 5);
    const x1 = tf.slice(x, [0, 0, 0, 0, 0], [1, -1, -1, -1, -1]);
    await expectNoTensorLeak(() => {
      const out = model.forward(x);
      expect(out.logits.shape).toEqual([2, info.defaultNumClasses]);
      expect(out.auLogits?.shape).toEqual([2, DEFAULT_AU_HEAD_SIZE]);
      expect(out.features.shape).toEqual([2, model.featureDim]);
      for (const t of [out.logits, out.auLogits as tf.Tensor, out.features]) {
        expect(Array.from(t.dataSync()).every(Number.isFinite)).toBe(true);
      }
      tf.dispose([out.logits, out.auLogits as tf.Tensor, out.features]);

      const { value, grads } = tf.variableGrads(() => {
        const o = model.forward(x1);
        const w = tf.reshape(tf.linspace(-1, 1, o.logits.size), o.logits.shape);
        return tf.add(tf.sum(tf.mul(o.logits, w)), tf.mul(tf.sum(o.auLogits as tf.Tensor), 0.3)) as tf.Scalar;
      }, model.parameters());
      expect(Number.isFinite(value.dataSync()[0])).toBe(true);
      // parameters the architecture leaves without gradient must be declared (with the reason) at registration
      const exempt = new Set(info.parametersWithoutGradient?.names(model) ?? []);
      const dead: string[] = [];
      const declaredButAlive: string[] = [];
      for (const [pname, v] of model.namedParameters()) {
        const g = grads[v.name];
        const values = g === undefined ? [] : Array.from(g.dataSync());
        if (!values.every(Number.isFinite)) throw new Error(`${name}: NaN/Inf gradient for ${pname}`);
        const alive = values.some((gv) => gv !== 0);
        const isExempt = exempt.has(pname);
        if (!alive && !isExempt) dead.push(pname);
        if (alive && isExempt) declaredButAlive.push(pname);
      }
      expect(dead).toEqual([]);
      expect(declaredButAlive).toEqual([]);
      tf.dispose([value, ...Object.values(grads)]);
    });
    tf.dispose([x, x1]);
    model.dispose();
  });

  it('ONNX export matches the tfjs forward in onnxruntime-node within 1e-4', async () => {
    const model = createModel(name, { preset: 'tiny', auHead: true, seed: 2 }).eval();
    const x = clip(2, 6);
    const report = await assertParity(model, x, { rtol: 1e-4, atol: 1e-4 });
    expect(report.outputs.map((o) => o.name).sort()).toEqual(['auLogits', 'features', 'logits']);
    x.dispose();
    model.dispose();
  });

  it('same seed gives the same weights bit for bit; another seed differs', () => {
    const a = createModel(name, { preset: 'tiny', seed: 7 });
    const b = createModel(name, { preset: 'tiny', seed: 7 });
    const c = createModel(name, { preset: 'tiny', seed: 8 });
    const flat = (m: typeof a): number[] => m.parameters().flatMap((p) => Array.from(p.dataSync()));
    expect(flat(a)).toEqual(flat(b));
    expect(flat(a)).not.toEqual(flat(c));
    [a, b, c].forEach((m) => m.dispose());
  });
});

describe.each(models)('%s × paper', (name) => {
  const reference = referenceStateDict(name);
  const withReference = reference === undefined ? it.skip : it;
  if (reference === undefined) {
    it(`reference state dict for ${name} is absent under ${REFERENCE_DIR}: name/shape tests skipped`, () =>
      undefined);
  }

  withReference(
    'exact parameter count and every state-dict name, shape and dtype of the official network',
    () => {
      const ref = reference as ReferenceStateDict;
      const model = createModel(name, { preset: 'paper', initialization: 'zeros' });
      const expected = ref.num_parameters ?? ref.total_parameters;
      expect(expected).toBeGreaterThan(0);
      expect(model.numParameters()).toBe(expected);
      expect(getModelInfo(name).presets.paper?.numParameters).toBe(expected);
      expect(model.stateDictSpec('pytorch')).toEqual(ref.state_dict);
      model.dispose();
    },
  );

  withReference(
    'loads a safetensors file with the official names and shapes; rejects missing, extra and mis-shaped tensors precisely',
    async () => {
      const ref = reference as ReferenceStateDict;
      const model = createModel(name, { preset: 'paper', initialization: 'zeros' });
      const tensors = safetensorsFromReference(ref.state_dict);
      const first = ref.state_dict.find((e) => e.shape.length >= 2) as { name: string; shape: number[] };
      // a marker value so the test sees the file's content arrive
      (tensors[first.name]?.data as Float32Array)[0] = 0.25;
      const result = await loadWeights(model, writeSafetensors(tensors));
      expect(result.loaded).toBe(ref.state_dict.length);
      // flat index 0 is index 0 in every layout
      const variable = model.stateEntries().find((e) => e.name === first.name)?.variable;
      expect(variable?.dataSync()[0]).toBe(0.25);

      const last = ref.state_dict[ref.state_dict.length - 1] as { name: string; shape: number[] };
      const missing = { ...tensors };
      delete missing[last.name];
      // the rejections are decided from the header (names, shapes) before any tensor is made
      expect(() =>
        loadWeightsFromContent(model, { tensors: missing, metadata: {} }, {}, 'missing.safetensors'),
      ).toThrow(`loadStateDict from missing.safetensors: missing keys (1): ${last.name}`);
      const extra = {
        ...tensors,
        'extra.weight': { dtype: 'F32' as const, shape: [1], data: new Float32Array(1) },
      };
      expect(() =>
        loadWeightsFromContent(model, { tensors: extra, metadata: {} }, {}, 'extra.safetensors'),
      ).toThrow('loadStateDict from extra.safetensors: unexpected keys (1): extra.weight');
      const bad = [...first.shape];
      bad[bad.length - 1] = (bad[bad.length - 1] as number) + 1;
      const misShaped = {
        ...tensors,
        [first.name]: {
          dtype: 'F32' as const,
          shape: bad,
          data: new Float32Array(bad.reduce((a, b) => a * b, 1)),
        },
      };
      expect(() =>
        loadWeightsFromContent(model, { tensors: misShaped, metadata: {} }, {}, 'shape.safetensors'),
      ).toThrow(
        `loadStateDict from shape.safetensors: mis-shaped keys (1): ${first.name}: expected [${first.shape.join(', ')}] (pytorch layout), got [${bad.join(', ')}]`,
      );
      model.dispose();
    },
  );
});
