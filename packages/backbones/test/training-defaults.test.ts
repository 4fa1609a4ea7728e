/**
 * Training defaults declared in the model registrations: each model's no-weight-decay pattern against an
 * independent classification of its parameters by the layer that owns them (norm layers, biases, the
 * model's embeddings and tokens → excluded; convolution, Linear and LSTM kernels → decayed), the
 * excluded norm and token parameters listed per model, and the frame-layout lookup.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '@dfer/runtime';

import {
  createModel,
  GENERIC_NO_WEIGHT_DECAY,
  getFrameSegments,
  getModelInfo,
  getTrainingDefaults,
  listModels,
  registerModel,
  type ModelRegistration,
  type VideoModel,
} from '@dfer/backbones';
import { DMIN, GeneralAttention } from '@dfer/backbones/models';
import { BatchNorm, Conv1d, Conv2d, Conv3d, LayerNorm, Linear, LSTM } from '@dfer/backbones/nn';

beforeAll(async () => {
  await initEngine({ backend: 'cpu', log: false });
});

/** `'a.{1,2}.b{x,y}'` → `['a.1.bx', 'a.1.by', 'a.2.bx', 'a.2.by']` (brace groups, no nesting). */
function expand(pattern: string): string[] {
  const m = /\{([^}]*)\}/.exec(pattern);
  if (m === null) return [pattern];
  return m[1]!
    .split(',')
    .flatMap((alt) => expand(pattern.slice(0, m.index) + alt + pattern.slice(m.index + m[0].length)));
}

/**
 * Per model: the parameters that are not kernels and not biases — norm scales, embeddings, tokens — in
 * the `tiny` preset, written out from the architectures (the model files and `reference/*.md`).
 */
const EXCLUDED_NON_BIAS_TINY: Record<string, string[]> = {
  au_mtl: expand('encoder.stages.{0,1,2}.bn.weight'),
  former_dfer: [
    's_former.pos_embedding',
    't_former.cls_token',
    't_former.pos_embedding',
    's_former.bn1.weight',
    ...expand('s_former.layer{1,2,3,4}.0.bn{1,2}.weight'),
    ...expand('s_former.layer{2,3,4}.0.downsample.1.weight'),
    ...expand('s_former.spatial_transformer.layers.0.{0,1}.fn.norm.weight'),
    ...expand('t_former.spatial_transformer.layers.{0,1}.{0,1}.fn.norm.weight'),
  ],
  m3dfel: [
    'features.0.1.weight',
    ...expand('features.{1,2,3,4}.{0,1}.conv{1,2}.1.weight'),
    ...expand('features.{2,3,4}.0.downsample.1.weight'),
    ...expand('norm.{weight,mean_weight,var_weight}'),
  ],
  mae_dfer: [
    'lg_region_tokens',
    ...expand(
      'blocks.{0,1}.{first_attn_norm0,second_attn_norm0,third_attn_norm0,third_attn_norm1,norm2}.weight',
    ),
    'fc_norm.weight',
  ],
  rdfer: [
    'centre_prior',
    ...expand('frame_encoder.convs.{1,4,7}.weight'),
    ...expand('{long,short}_gate.norm.weight'),
  ],
};

/** The parameters of each model that are neither a layer's kernel nor its bias nor a norm's. */
const EMBEDDINGS_AND_TOKENS: Record<string, readonly string[]> = {
  former_dfer: ['s_former.pos_embedding', 't_former.pos_embedding', 't_former.cls_token'],
  mae_dfer: ['lg_region_tokens'],
  rdfer: ['centre_prior'],
};

type Role = 'norm' | 'bias' | 'embedding' | 'kernel';

/** `bias`, `bias_ih_l0`, `q_bias`, … (the last segment of a parameter name). */
const BIAS_LEAF = /^bias(_|$)|_bias$/;
const leafOf = (name: string): string => name.slice(name.lastIndexOf('.') + 1);

/** Role of every parameter from the class of the module that owns it (not from the full name). */
function parameterRoles(model: VideoModel, modelName: string): Map<string, Role> {
  const owners = new Map(model.namedModules());
  const roles = new Map<string, Role>();
  for (const [name] of model.namedParameters()) {
    const dot = name.lastIndexOf('.');
    const owner = owners.get(dot < 0 ? '' : name.slice(0, dot));
    const leaf = leafOf(name);
    let role: Role | undefined;
    if (owner instanceof BatchNorm || owner instanceof LayerNorm || owner instanceof DMIN) role = 'norm';
    else if (BIAS_LEAF.test(leaf)) {
      if ([Linear, Conv1d, Conv2d, Conv3d, LSTM, GeneralAttention].some((cls) => owner instanceof cls)) {
        role = 'bias';
      }
    } else if ((EMBEDDINGS_AND_TOKENS[modelName] ?? []).includes(name)) role = 'embedding';
    else if (
      [Linear, Conv1d, Conv2d, Conv3d, LSTM].some((cls) => owner instanceof cls) &&
      /^weight/.test(leaf)
    ) {
      role = 'kernel';
    }
    if (role === undefined) {
      throw new Error(`${modelName}: parameter ${name} (owner ${owner?.constructor.name}) has no known role`);
    }
    roles.set(name, role);
  }
  return roles;
}

describe.each(listModels())('%s no-weight-decay pattern', (name) => {
  const { noWeightDecay } = getTrainingDefaults(name);

  it('is declared in the registration (not the generic fallback)', () => {
    expect(getModelInfo(name).training?.noWeightDecay).toBe(noWeightDecay);
    expect(noWeightDecay).not.toBe(GENERIC_NO_WEIGHT_DECAY);
  });

  it.each(Object.keys(getModelInfo(name).presets))(
    'preset %s: excludes exactly every bias, norm parameter, embedding and token, and no kernel',
    (preset) => {
      const before = tf.memory().numTensors;
      const model = createModel(name, { preset, auHead: true, initialization: 'zeros' });
      const roles = parameterRoles(model, name);
      model.dispose();
      expect(tf.memory().numTensors).toBe(before);
      const wrong = [...roles].filter(([param, role]) => noWeightDecay.test(param) !== (role !== 'kernel'));
      expect(wrong).toEqual([]);
      expect([...roles.values()]).toEqual(expect.arrayContaining(['bias', 'kernel', 'norm']));
    },
  );

  it('tiny: the excluded parameters other than biases are the listed norms, embeddings and tokens', () => {
    const model = createModel(name, { preset: 'tiny', auHead: true, initialization: 'zeros' });
    const roles = parameterRoles(model, name);
    model.dispose();
    const excludedNonBias = [...roles]
      .filter(([param]) => noWeightDecay.test(param) && !BIAS_LEAF.test(leafOf(param)))
      .map(([param]) => param);
    expect(excludedNonBias.sort()).toEqual([...(EXCLUDED_NON_BIAS_TINY[name] ?? [])].sort());
  });
});

describe('README', () => {
  // The README's table (no AU head, as createModel builds by default) and its example (25 of 74 decayed).
  it.each([
    ['au_mtl', 12, 21, 16, 27],
    ['former_dfer', 49, 74, 72, 109],
    ['m3dfel', 54, 85, 54, 85],
    ['mae_dfer', 47, 71, 341, 519],
    ['rdfer', 31, 56, 33, 59],
  ])('%s excludes %d of %d parameters (tiny) and %d of %d (paper)', (name, ...expected) => {
    const { noWeightDecay } = getTrainingDefaults(name);
    const counts = ['tiny', 'paper'].flatMap((preset) => {
      const model = createModel(name, { preset, initialization: 'zeros' });
      const names = model.namedParameters().map(([param]) => param);
      model.dispose();
      return [names.filter((param) => noWeightDecay.test(param)).length, names.length];
    });
    expect(counts).toEqual(expected);
  });
});

describe('frame layout', () => {
  it('former_dfer trains on 8 segments × 2 frames for 16 frames; an odd count falls back to single frames', () => {
    expect(getTrainingDefaults('former_dfer').frameSampling).toEqual({ framesPerSegment: 2 });
    expect(getFrameSegments('former_dfer', 16)).toEqual({ segments: 8, framesPerSegment: 2 });
    expect(getFrameSegments('former_dfer', 15)).toEqual({ segments: 15, framesPerSegment: 1 });
  });

  it.each(['m3dfel', 'mae_dfer', 'rdfer', 'au_mtl'])('%s takes single frames spread uniformly', (name) => {
    expect(getTrainingDefaults(name).frameSampling).toEqual({ framesPerSegment: 1 });
    expect(getFrameSegments(name, 16)).toEqual({ segments: 16, framesPerSegment: 1 });
  });

  it('rejects a frame count that is not a positive integer and an unknown model', () => {
    expect(() => getFrameSegments('former_dfer', 0)).toThrow(/frames must be a positive integer, got 0/);
    expect(() => getFrameSegments('former_dfer', 2.5)).toThrow(/frames must be a positive integer/);
    expect(() => getTrainingDefaults('no_such_model')).toThrow(/unknown model 'no_such_model'/);
  });
});

describe('registration', () => {
  const base: Omit<ModelRegistration, 'name'> = {
    description: 'test model',
    source: { paper: '-', code: '-', reference: '-' },
    presets: {
      paper: {
        input: { frames: 8, height: 8, width: 8, channels: 3, mean: [0, 0, 0], std: [1, 1, 1] },
        numParameters: 0,
        description: '-',
      },
      tiny: {
        input: { frames: 8, height: 8, width: 8, channels: 3, mean: [0, 0, 0], std: [1, 1, 1] },
        numParameters: 0,
        description: '-',
      },
    },
    defaultNumClasses: 2,
    create: () => {
      throw new Error('not built in these tests');
    },
  };

  it('a model without training defaults gets single frames and the generic pattern', () => {
    registerModel({ ...base, name: 'test_no_training' });
    expect(getTrainingDefaults('test_no_training')).toEqual({
      frameSampling: { framesPerSegment: 1 },
      noWeightDecay: GENERIC_NO_WEIGHT_DECAY,
    });
    expect(GENERIC_NO_WEIGHT_DECAY.test('layer.bn1.weight')).toBe(true);
    expect(GENERIC_NO_WEIGHT_DECAY.test('downsample.1.weight')).toBe(false);
  });

  it('declared frame layout: segments when it divides the frame count, single frames otherwise', () => {
    registerModel({
      ...base,
      name: 'test_segments_of_4',
      training: { frameSampling: { framesPerSegment: 4 } },
    });
    expect(getFrameSegments('test_segments_of_4', 16)).toEqual({ segments: 4, framesPerSegment: 4 });
    expect(getFrameSegments('test_segments_of_4', 18)).toEqual({ segments: 18, framesPerSegment: 1 });
    expect(getTrainingDefaults('test_segments_of_4').noWeightDecay).toBe(GENERIC_NO_WEIGHT_DECAY);
  });

  it('rejects a bad frames-per-segment and a stateful (g / y) or non-RegExp pattern', () => {
    expect(() =>
      registerModel({
        ...base,
        name: 'test_bad_segments',
        training: { frameSampling: { framesPerSegment: 0 } },
      }),
    ).toThrow(
      /'test_bad_segments' training\.frameSampling\.framesPerSegment must be a positive integer, got 0/,
    );
    expect(() =>
      registerModel({ ...base, name: 'test_global_pattern', training: { noWeightDecay: /bias/g } }),
    ).toThrow(/must not have the 'g' or 'y' flag/);
    expect(() =>
      registerModel({ ...base, name: 'test_sticky_pattern', training: { noWeightDecay: /bias/y } }),
    ).toThrow(/must not have the 'g' or 'y' flag/);
    expect(() =>
      registerModel({
        ...base,
        name: 'test_string_pattern',
        training: { noWeightDecay: 'bias' as unknown as RegExp },
      }),
    ).toThrow(/training\.noWeightDecay must be a RegExp, got string/);
    expect(listModels()).not.toEqual(expect.arrayContaining(['test_bad_segments']));
  });
});
