/**
 * Gradient checkpointing (activation recomputation; Chen, Xu, Zhang, Guestrin 2016, "Training Deep Nets
 * with Sublinear Memory Cost"; PyTorch `torch.utils.checkpoint`): a checkpointed module keeps only its
 * input for the backward pass and runs its forward a second time, under a tape of its own, when its
 * gradient is needed. A training step then holds one module's intermediate tensors at a time instead of
 * every module's, for one extra forward pass of the checkpointed modules.
 */
import * as tf from '@tensorflow/tfjs-core';

import type { Rng } from './rng';
import type { TensorModule } from './module';

/** What tfjs-core's engine exposes beyond its public types (stable across tfjs 4.x). */
interface EngineInternals {
  state: { gradientDepth: number; kernelDepth: number; activeTape: unknown };
  gradients(
    f: () => tf.Tensor,
    xs: tf.Tensor[],
    dy?: tf.Tensor,
    allowNoGradients?: boolean,
  ): { value: tf.Tensor; grads: Array<tf.Tensor | undefined> };
}

function engineInternals(): EngineInternals {
  return tf.engine() as unknown as EngineInternals;
}

/** Whether a gradient tape is recording the ops run now (inside `tf.grads` / `variableGrads`, outside a kernel). */
function tapeIsRecording(): boolean {
  const { state } = engineInternals();
  return state.gradientDepth > 0 && state.kernelDepth === 0;
}

/** Random seeds drawn by the checkpointed forward, replayed in the same order by its recomputation. */
interface SeedLog {
  readonly seeds: number[];
  replay: boolean;
  position: number;
}

let activeSeedLog: SeedLog | undefined;
let recomputing = false;

/**
 * Draws a seed for a random op (dropout, drop-path masks) from `rng`. Inside a checkpointed module the
 * seeds are recorded during the forward pass and replayed during its recomputation, so both passes draw
 * the same masks. Layers with random ops call this instead of `rng.seed()`.
 */
export function drawSeed(rng: Rng): number {
  const log = activeSeedLog;
  if (log?.replay === true) {
    const seed = log.seeds[log.position++];
    if (seed === undefined) {
      throw new Error(
        'gradient checkpointing: the recomputed forward drew more random seeds than the first forward',
      );
    }
    return seed;
  }
  const seed = rng.seed();
  log?.seeds.push(seed);
  return seed;
}

/**
 * `true` while a checkpointed module recomputes its forward pass for the gradient: layers with side
 * effects (BatchNorm's running statistics) skip them, since the first forward already applied them.
 */
export function isRecomputing(): boolean {
  return recomputing;
}

function withSeedLog<T>(log: SeedLog, run: () => T): T {
  const previous = activeSeedLog;
  activeSeedLog = log;
  try {
    return run();
  } finally {
    activeSeedLog = previous;
  }
}

const originalForward = new WeakMap<TensorModule, (x: tf.Tensor) => tf.Tensor>();

/**
 * Makes `module` checkpointed: while a gradient tape records (training step) and the module is in
 * training mode, its `forward(x)` becomes one `tf.customGrad` op that keeps only `x`; the gradient
 * re-runs the module's forward from `x` under a tape of its own and differentiates it with respect to
 * `x` and the module's trainable parameters. Outside a tape (inference, evaluation) the forward is
 * unchanged. Gradients equal the plain path's: the same ops run on the same values (random masks are
 * replayed, see {@link drawSeed}; BatchNorm statistics are updated once, see {@link isRecomputing}).
 * Idempotent.
 */
export function enableCheckpointing(module: TensorModule): void {
  if (originalForward.has(module)) return;
  const plain = module.forward.bind(module);
  originalForward.set(module, plain);
  module.forward = (x: tf.Tensor): tf.Tensor => {
    if (!module.training || recomputing || !tapeIsRecording()) return plain(x);
    const params = module.parameters().filter((v) => v.trainable);
    const log: SeedLog = { seeds: [], replay: false, position: 0 };
    const op = tf.customGrad((...args: unknown[]) => {
      const input = args[0] as tf.Tensor;
      const save = args[args.length - 1] as tf.GradSaveFunc;
      save([input]);
      const value = withSeedLog(log, () => plain(input));
      const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
        const savedInput = saved[0] as tf.Tensor;
        const xs = [savedInput, ...params];
        const engine = engineInternals();
        // A nested `gradients` call starts a fresh tape and clears it when done; the outer backward pass
        // still walks its own (already filtered) tape, and clears the saved tensors at the end: keep it.
        const outerTape = engine.state.activeTape;
        log.replay = true;
        log.position = 0;
        recomputing = true;
        try {
          const { value: recomputed, grads } = withSeedLog(log, () =>
            engine.gradients(() => plain(savedInput), xs, dy, true),
          );
          recomputed.dispose();
          return grads.map((g, i) => g ?? tf.zerosLike(xs[i] as tf.Tensor));
        } finally {
          recomputing = false;
          engine.state.activeTape = outerTape;
        }
      };
      return { value, gradFunc };
    });
    return op(x, ...params) as tf.Tensor;
  };
}

/** Restores the plain forward of a module made checkpointed by {@link enableCheckpointing}. Idempotent. */
export function disableCheckpointing(module: TensorModule): void {
  const plain = originalForward.get(module);
  if (plain === undefined) return;
  delete (module as { forward?: unknown }).forward;
  originalForward.delete(module);
}

/** Whether {@link enableCheckpointing} is in effect for `module`. */
export function isCheckpointed(module: TensorModule): boolean {
  return originalForward.has(module);
}
