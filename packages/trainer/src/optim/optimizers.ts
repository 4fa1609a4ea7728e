import * as tf from '@tensorflow/tfjs-core';
import { fusedAdamWUpdate, fusedKernelAvailable, type AdamWEntry } from '@dfer/runtime';

/**
 * Optimizers with decoupled weight decay, matching PyTorch's update rules step for step.
 *
 * AdamW (Loshchilov & Hutter 2019; `torch.optim.AdamW`), per parameter p with gradient g at step t:
 *   p ← p − lr·wd·p
 *   m ← β1·m + (1 − β1)·g;  v ← β2·v + (1 − β2)·g²
 *   p ← p − lr · (m / (1 − β1ᵗ)) / (√(v / (1 − β2ᵗ)) + ε)
 *
 * SGD with momentum (`torch.optim.SGD`, dampening 0, not Nesterov):
 *   decoupled:  p ← p − lr·wd·p, then b ← μ·b + g, p ← p − lr·b
 *   l2 (PyTorch's own `weight_decay`):  g ← g + wd·p, b ← μ·b + g, p ← p − lr·b
 * (the first step initialises b = g, as PyTorch does).
 */

/** A named trainable parameter. */
export interface NamedVariable {
  readonly name: string;
  readonly variable: tf.Variable;
}

/** The trainable parameters of a model or module, as optimizer inputs, in its `namedParameters` order. */
export function trainableParameters(module: {
  namedParameters(): readonly (readonly [string, tf.Variable])[];
}): NamedVariable[] {
  return module
    .namedParameters()
    .filter(([, v]) => v.trainable)
    .map(([name, variable]) => ({ name, variable }));
}

/** Serializable optimizer state: scalars plus one set of typed arrays per parameter name. */
export interface OptimizerState {
  readonly type: string;
  readonly step: number;
  readonly slots: Readonly<Record<string, Readonly<Record<string, Float32Array>>>>;
}

/** Options shared by every optimizer. */
interface OptimizerBaseConfig {
  /** Decoupled weight decay coefficient (0 disables). */
  readonly weightDecay?: number;
  /** Parameter names that get no weight decay (e.g. biases and norms), tested with `RegExp.test`. */
  readonly noDecay?: RegExp;
}

export interface AdamWConfig extends OptimizerBaseConfig {
  readonly type: 'adamw';
  readonly betas?: readonly [number, number];
  readonly eps?: number;
}

export interface SgdConfig extends OptimizerBaseConfig {
  readonly type: 'sgd';
  readonly momentum?: number;
  /** `decoupled` (SGDW) or `l2` (PyTorch's coupled `weight_decay`). Default `decoupled`. */
  readonly weightDecayMode?: 'decoupled' | 'l2';
}

export type OptimizerConfig = AdamWConfig | SgdConfig;

/** A stateful optimizer over a fixed list of named variables. */
export interface Optimizer {
  readonly config: OptimizerConfig;
  /** Number of steps taken. */
  readonly stepCount: number;
  /** Apply one update with learning rate `lr`; `grads` maps parameter name → gradient. Does not dispose grads. */
  step(grads: Readonly<Record<string, tf.Tensor>>, lr: number): void;
  /** Snapshot of the state (copies). */
  getState(): OptimizerState;
  /** Restore a snapshot made by `getState` of an optimizer over the same parameters. */
  setState(state: OptimizerState): void;
  dispose(): void;
}

class SlotStore {
  private readonly slots = new Map<string, Map<string, tf.Variable>>();

  get(param: string, slot: string, like: tf.Variable): tf.Variable {
    let bySlot = this.slots.get(param);
    if (!bySlot) this.slots.set(param, (bySlot = new Map()));
    let v = bySlot.get(slot);
    if (!v) {
      const zeros = tf.zerosLike(like);
      v = tf.variable(zeros, false, undefined, like.dtype);
      zeros.dispose();
      bySlot.set(slot, v);
    }
    return v;
  }

  snapshot(): Record<string, Record<string, Float32Array>> {
    const out: Record<string, Record<string, Float32Array>> = {};
    for (const [param, bySlot] of [...this.slots.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      out[param] = {};
      for (const [slot, v] of bySlot) out[param]![slot] = new Float32Array(v.dataSync());
    }
    return out;
  }

  restore(params: readonly NamedVariable[], slots: OptimizerState['slots']): void {
    this.dispose();
    for (const { name, variable } of params) {
      const bySlot = slots[name];
      if (!bySlot) continue;
      for (const [slot, data] of Object.entries(bySlot)) {
        if (data.length !== variable.size) {
          throw new RangeError(
            `optimizer state for "${name}.${slot}" has ${data.length} values: expected ${variable.size} (shape ${JSON.stringify(variable.shape)})`,
          );
        }
        const v = this.get(name, slot, variable);
        tf.tidy(() => v.assign(tf.tensor(data, variable.shape)));
      }
    }
  }

  dispose(): void {
    for (const bySlot of this.slots.values()) for (const v of bySlot.values()) v.dispose();
    this.slots.clear();
  }
}

function checkGrads(params: readonly NamedVariable[], grads: Readonly<Record<string, tf.Tensor>>): void {
  for (const name of Object.keys(grads)) {
    if (!params.some((p) => p.name === name)) {
      throw new Error(`gradient for unknown parameter "${name}"`);
    }
  }
}

function decays(config: OptimizerBaseConfig, name: string): boolean {
  return (config.weightDecay ?? 0) > 0 && !(config.noDecay?.test(name) ?? false);
}

/** Create an optimizer over `params` (see the module documentation for the update rules). */
export function createOptimizer(params: readonly NamedVariable[], config: OptimizerConfig): Optimizer {
  const names = new Set<string>();
  for (const p of params) {
    if (names.has(p.name)) throw new Error(`duplicate parameter name "${p.name}"`);
    names.add(p.name);
  }
  const slots = new SlotStore();
  let stepCount = 0;
  const wd = config.weightDecay ?? 0;

  const stepAdamW = (c: AdamWConfig, grads: Readonly<Record<string, tf.Tensor>>, lr: number): void => {
    const [b1, b2] = c.betas ?? [0.9, 0.999];
    const eps = c.eps ?? 1e-8;
    const t = stepCount;
    const bc1 = 1 - Math.pow(b1, t);
    const bc2 = 1 - Math.pow(b2, t);
    const entries: AdamWEntry[] = [];
    for (const { name, variable } of params) {
      const g = grads[name];
      if (!g) continue;
      const m = slots.get(name, 'exp_avg', variable);
      const v = slots.get(name, 'exp_avg_sq', variable);
      entries.push({ param: variable, grad: g, m, v, weightDecay: decays(c, name) ? wd : 0 });
    }
    // All parameters in one pass without tfjs ops (runtime's fused AdamW) when available; the op-by-op path below
    // for the rest (other backends, the switch off, or buffers shared with another tensor).
    const rest = fusedKernelAvailable('adamw')
      ? fusedAdamWUpdate(entries, { lr, beta1: b1, beta2: b2, eps, step: t })
      : entries;
    for (const { param: variable, grad: g, m, v, weightDecay } of rest) {
      tf.tidy(() => {
        const p0 = weightDecay > 0 ? tf.mul(variable, 1 - lr * weightDecay) : variable;
        const m1 = tf.add(tf.mul(m, b1), tf.mul(g, 1 - b1));
        const v1 = tf.add(tf.mul(v, b2), tf.mul(tf.square(g), 1 - b2));
        m.assign(m1);
        v.assign(v1);
        const denom = tf.add(tf.sqrt(tf.div(v1, bc2)), eps);
        variable.assign(tf.sub(p0, tf.mul(tf.div(tf.div(m1, bc1), denom), lr)));
      });
    }
  };

  const stepSgd = (c: SgdConfig, grads: Readonly<Record<string, tf.Tensor>>, lr: number): void => {
    const mu = c.momentum ?? 0;
    const mode = c.weightDecayMode ?? 'decoupled';
    for (const { name, variable } of params) {
      const g0 = grads[name];
      if (!g0) continue;
      tf.tidy(() => {
        const decay = decays(c, name);
        const g = decay && mode === 'l2' ? tf.add(g0, tf.mul(variable, wd)) : g0;
        const p0 = decay && mode === 'decoupled' ? tf.mul(variable, 1 - lr * wd) : variable;
        let update: tf.Tensor = g;
        if (mu !== 0) {
          const buf = slots.get(name, 'momentum_buffer', variable);
          const b1 = stepCount === 1 ? g : tf.add(tf.mul(buf, mu), g);
          buf.assign(b1);
          update = b1;
        }
        variable.assign(tf.sub(p0, tf.mul(update, lr)));
      });
    }
  };

  return {
    config,
    get stepCount() {
      return stepCount;
    },
    step(grads, lr) {
      if (!Number.isFinite(lr) || lr < 0) throw new RangeError(`lr = ${lr}: expected a finite number ≥ 0`);
      checkGrads(params, grads);
      stepCount += 1;
      if (config.type === 'adamw') stepAdamW(config, grads, lr);
      else stepSgd(config, grads, lr);
    },
    getState() {
      return { type: config.type, step: stepCount, slots: slots.snapshot() };
    },
    setState(state) {
      if (state.type !== config.type) {
        throw new Error(`optimizer state is for "${state.type}" but this optimizer is "${config.type}"`);
      }
      slots.restore(params, state.slots);
      stepCount = state.step;
    },
    dispose() {
      slots.dispose();
    },
  };
}

/**
 * Clip gradients by their global L2 norm (PyTorch `clip_grad_norm_`): when ‖g‖ > maxNorm every gradient is
 * scaled by maxNorm / (‖g‖ + 1e-6). Returns the new gradients (new tensors; the inputs are not disposed)
 * and the norm before clipping.
 */
export function clipGradientsByGlobalNorm(
  grads: Readonly<Record<string, tf.Tensor>>,
  maxNorm: number,
): { grads: Record<string, tf.Tensor>; norm: number } {
  if (!(maxNorm > 0)) throw new RangeError(`maxNorm = ${maxNorm}: expected a number > 0`);
  const norm = tf.tidy(() => {
    const squares = Object.values(grads).map((g) => tf.sum(tf.square(g)));
    return squares.length ? tf.sqrt(tf.addN(squares)).dataSync()[0]! : 0;
  });
  const scale = norm > maxNorm ? maxNorm / (norm + 1e-6) : 1;
  const out: Record<string, tf.Tensor> = {};
  for (const [name, g] of Object.entries(grads)) out[name] = scale === 1 ? tf.clone(g) : tf.mul(g, scale);
  return { grads: out, norm };
}
