/**
 * Gradient checkpointing: a checkpointed model's gradients, loss and BatchNorm statistics equal the plain
 * path's on the `tiny` presets (wasm, as training runs), random masks are replayed, no tensor leaks.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '@dfer/runtime';

import { createModel, Module, createRng, type VideoModel } from '../src/index';
import { Dropout, enableCheckpointing, isCheckpointed, Linear } from '../src/nn';

beforeAll(async () => {
  const info = await initEngine({ backend: 'wasm', log: false });
  expect(info.backend).toBe('wasm');
});

/** Loss = Σ_i cos(0.37·i)·logits_i (a loss whose gradient reaches every logit with a distinct weight). */
function weightedLoss(logits: tf.Tensor): tf.Scalar {
  const w = tf.reshape(tf.cos(tf.mul(tf.range(0, logits.size), 0.37)), logits.shape);
  return tf.sum(tf.mul(logits, w));
}

interface StepResult {
  loss: number;
  grads: Map<string, Float32Array>;
  buffers: Map<string, Float32Array | Int32Array>;
}

function step(model: VideoModel, x: tf.Tensor): StepResult {
  const named = model.namedParameters().filter(([, v]) => v.trainable);
  const byId = new Map(named.map(([name, v]) => [v.name, name]));
  const { value, grads } = tf.variableGrads(
    () => weightedLoss(model.forward(x).logits),
    named.map(([, v]) => v),
  );
  const out: StepResult = { loss: value.dataSync()[0] as number, grads: new Map(), buffers: new Map() };
  for (const [id, g] of Object.entries(grads))
    out.grads.set(byId.get(id) ?? id, g.dataSync() as Float32Array);
  for (const [name, b] of model.namedBuffers()) out.buffers.set(name, b.dataSync() as Float32Array);
  tf.dispose([value, Object.values(grads)]);
  return out;
}

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 1e-6;
  let diff = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(b[i] as number));
    diff = Math.max(diff, Math.abs((a[i] as number) - (b[i] as number)));
  }
  return diff / scale;
}

describe.each(['former_dfer', 'm3dfel', 'mae_dfer'])('%s tiny with gradient checkpointing', (name) => {
  it('gives the plain path’s loss, gradients and BatchNorm statistics, and leaks nothing', () => {
    const plain = createModel(name, { preset: 'tiny', seed: 3, initialization: 'layer_defaults' });
    const ckpt = createModel(name, {
      preset: 'tiny',
      seed: 3,
      initialization: 'layer_defaults',
      gradientCheckpointing: true,
    });
    expect(plain.gradientCheckpointing).toBe(false);
    expect(ckpt.gradientCheckpointing).toBe(true);
    const s = plain.inputSpec;
    const x = tf.randomUniform([2, s.frames, s.height, s.width, s.channels], 0, 1, 'float32', 11);
    const a = step(plain, x);
    const before = tf.memory().numTensors;
    const b = step(ckpt, x);
    expect(tf.memory().numTensors).toBe(before);
    expect(Math.abs(a.loss - b.loss)).toBeLessThan(1e-5 * Math.max(1, Math.abs(a.loss)));
    expect([...b.grads.keys()].sort()).toEqual([...a.grads.keys()].sort());
    for (const [key, g] of a.grads) {
      const rel = maxRelDiff(b.grads.get(key) as Float32Array, g);
      if (rel > 1e-4) throw new Error(`${name}: gradient of ${key} differs by ${rel} (relative)`);
    }
    for (const [key, v] of a.buffers) {
      expect(maxRelDiff(b.buffers.get(key) as Float32Array, v)).toBeLessThan(1e-5);
    }
    // Inference is untouched: eval mode or no tape runs the plain forward.
    const y = tf.tidy(() => ckpt.forward(x).logits.dataSync());
    const z = tf.tidy(() => plain.forward(x).logits.dataSync());
    expect(maxRelDiff(y, z)).toBeLessThan(1e-5);
    ckpt.setGradientCheckpointing(false);
    expect(ckpt.gradientCheckpointing).toBe(false);
    tf.dispose(x);
    plain.dispose();
    ckpt.dispose();
  });
});

/** Linear → Dropout(0.5) → Linear: the gradient depends on the mask, so a redrawn mask would show. */
class DropoutNet extends Module {
  readonly fc1: Linear;
  readonly drop: Dropout;
  readonly fc2: Linear;
  constructor() {
    super();
    const rng = createRng(5);
    this.fc1 = this.registerModule('fc1', new Linear(6, 16, { rng }));
    this.drop = this.registerModule('drop', new Dropout(0.5, { rng: createRng(9) }));
    this.fc2 = this.registerModule('fc2', new Linear(16, 3, { rng }));
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.fc2.forward(this.drop.forward(tf.relu(this.fc1.forward(x)))));
  }
}

describe('enableCheckpointing', () => {
  it('replays dropout masks in the recomputation (gradients equal a plain net with the same seeds)', () => {
    const x = tf.randomUniform([4, 6], -1, 1, 'float32', 2);
    const grads = (net: DropoutNet): Float32Array[] => {
      const params = net.parameters();
      const { value, grads: g } = tf.variableGrads(() => tf.sum(tf.square(net.forward(x))), params);
      const out = params.map((p) => g[p.name]!.dataSync() as Float32Array);
      tf.dispose([value, Object.values(g)]);
      return out;
    };
    const plainNet = new DropoutNet();
    const ckptNet = new DropoutNet();
    enableCheckpointing(ckptNet);
    enableCheckpointing(ckptNet); // idempotent
    expect(isCheckpointed(ckptNet)).toBe(true);
    const a = grads(plainNet);
    const b = grads(ckptNet);
    // The mask zeroes some hidden units: their fc2 rows get exactly zero gradient in both paths.
    expect(Array.from(a[2]!).some((v) => v === 0)).toBe(true);
    a.forEach((g, i) => expect(maxRelDiff(b[i]!, g)).toBeLessThan(1e-5));
    // The second step draws new masks in both (the generators advanced once per step, not twice).
    const a2 = grads(plainNet);
    const b2 = grads(ckptNet);
    a2.forEach((g, i) => expect(maxRelDiff(b2[i]!, g)).toBeLessThan(1e-5));
    tf.dispose(x);
    plainNet.dispose();
    ckptNet.dispose();
  });
});
