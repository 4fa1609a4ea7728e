import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { registerKernelFixes, unregisterKernelFixes } from './kernel-fixes';
import type { KernelFix } from './kernel-fixes';
import { registerFusedKernels } from './fused/fused-kernels';

/** Which tfjs backend {@link initEngine} should use. */
export type EngineBackendChoice = 'auto' | 'tensorflow' | 'wasm' | 'cpu';

/** Options of {@link initEngine}. */
export interface EngineConfig {
  /** `'auto'` (default): tfjs-node-gpu, then tfjs-node when importable, else wasm, else cpu. */
  backend?: EngineBackendChoice;
  /**
   * Register the kernel fixes on cpu and wasm (default `true`). `false` removes them and restores the
   * stock kernels (only to measure stock tfjs).
   */
  kernelFixes?: boolean;
  /** Where the one-line choice report goes (default `console.warn`); `false` to stay silent. */
  log?: ((message: string) => void) | false;
  /**
   * Report the full reason (every backend tried and why it failed, the kernel fixes) instead of the short
   * line. Default: `true` when the environment variable `DFER_VERBOSE` is `1` (the CLIs' `--verbose`).
   */
  verbose?: boolean;
}

/** What {@link initEngine} chose, and why. */
export interface EngineInfo {
  /** The tfjs backend now active: `'tensorflow'`, `'wasm'` or `'cpu'`. */
  backend: 'tensorflow' | 'wasm' | 'cpu';
  /** The choice that was asked for. */
  requested: EngineBackendChoice;
  /** For `tensorflow`: the package that provided it. */
  provider?: '@tensorflow/tfjs-node-gpu' | '@tensorflow/tfjs-node';
  /** Why this backend, including what was tried and failed. */
  reason: string;
  /** The short report line, e.g. `engine: tfjs-wasm (tfjs-node is not installed; --verbose for details)`. */
  summary: string;
  /** The kernel fixes registered (on cpu and wasm). */
  kernelFixes: KernelFix[];
}

const requireOptional = createRequire(__filename);
const loggedChoices = new Set<string>();

function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] ?? text;
}

/** The one short line {@link initEngine} reports: the backend and, in a few words, why. */
function shortSummary(chosen: EngineInfo, failures: readonly string[]): string {
  const name = `tfjs-${chosen.backend}`;
  if (chosen.backend === 'tensorflow') return `engine: ${name} (${chosen.provider})`;
  if (chosen.requested === chosen.backend) return `engine: ${name} (requested)`;
  const nodeMissing =
    failures.length > 0 && failures.every((f) => /not importable \((Error: )?Cannot find module/.test(f));
  const why = nodeMissing ? 'tfjs-node is not installed' : 'faster backends unavailable';
  return `engine: ${name} (${why}; --verbose for details)`;
}

/**
 * tfjs's cpu backend prints an "install our node backend" banner the first time it stores a tensor in Node;
 * the engine line already says which backend runs and why, so the banner is switched off.
 */
function silenceCpuBanner(): void {
  const cpu = tf.findBackend('cpu') as { firstUse?: boolean } | null;
  if (cpu !== null && typeof cpu.firstUse === 'boolean') cpu.firstUse = false;
}

/**
 * Registers tfjs's gradient functions. `@tensorflow/tfjs-core`'s CommonJS bundle carries none (they are
 * registered by the `@tensorflow/tfjs` umbrella package), so without this every `tf.grads` fails with
 * "gradient function not found". Throws a clear error when `@tensorflow/tfjs` is missing.
 */
function registerGradients(): void {
  if (tf.getGradient('Conv2D') !== undefined) return;
  try {
    requireOptional('@tensorflow/tfjs');
  } catch (error) {
    throw new Error(
      `initEngine: gradients need @tensorflow/tfjs (install it at the version of @tensorflow/tfjs-core): ${errorText(error)}`,
    );
  }
  if (tf.getGradient('Conv2D') === undefined) {
    throw new Error(
      'initEngine: @tensorflow/tfjs loaded but registered no gradients (align its version with @tensorflow/tfjs-core)',
    );
  }
}

/** Tries to load a tfjs-node flavour; returns why it failed, or `undefined` when the `tensorflow` backend is now registered. */
function tryTensorflow(packageName: string): string | undefined {
  try {
    requireOptional(packageName);
  } catch (error) {
    return `${packageName} not importable (${errorText(error)})`;
  }
  if (tf.findBackendFactory('tensorflow') === null) {
    return `${packageName} loaded but registered its backend on another @tensorflow/tfjs-core instance (align the tfjs versions)`;
  }
  return undefined;
}

/** Tries to load the wasm backend; returns why it failed, or `undefined` when registered. */
function tryWasmImport(): string | undefined {
  try {
    requireOptional('@tensorflow/tfjs-backend-wasm');
  } catch (error) {
    return `@tensorflow/tfjs-backend-wasm not importable (${errorText(error)})`;
  }
  return tf.findBackendFactory('wasm') === null
    ? '@tensorflow/tfjs-backend-wasm did not register a backend'
    : undefined;
}

async function activate(name: string): Promise<string | undefined> {
  try {
    const ok = await tf.setBackend(name);
    await tf.ready();
    return ok ? undefined : `tf.setBackend('${name}') failed to initialise the backend`;
  } catch (error) {
    return `tf.setBackend('${name}') threw: ${errorText(error)}`;
  }
}

const HOW_TO_GET: Record<Exclude<EngineBackendChoice, 'auto'>, string> = {
  tensorflow:
    'install @tensorflow/tfjs-node (or @tensorflow/tfjs-node-gpu with CUDA 11.2 + cuDNN 8.1) at the same version as @tensorflow/tfjs-core; its install script must be able to download libtensorflow',
  wasm: 'install @tensorflow/tfjs-backend-wasm at the same version as @tensorflow/tfjs-core',
  cpu: 'install @tensorflow/tfjs-backend-cpu at the same version as @tensorflow/tfjs-core',
};

/**
 * Selects the tfjs backend, registers tfjs's gradient functions (from `@tensorflow/tfjs`) and the kernel
 * fixes (`reference/engine-notes.md`).
 *
 * `'auto'` tries `@tensorflow/tfjs-node-gpu`, then `@tensorflow/tfjs-node` (optional accelerators, loaded
 * dynamically, never required), then `@tensorflow/tfjs-backend-wasm`, then the cpu backend. An explicitly
 * requested backend that is unavailable is an error saying how to get it. The choice is logged once per
 * distinct result and returned.
 */
export async function initEngine(config: EngineConfig = {}): Promise<EngineInfo> {
  const requested = config.backend ?? 'auto';
  if (!['auto', 'tensorflow', 'wasm', 'cpu'].includes(requested)) {
    throw new Error(
      `initEngine: backend must be 'auto', 'tensorflow', 'wasm' or 'cpu', got ${JSON.stringify(requested)}`,
    );
  }
  registerGradients();
  const failures: string[] = [];
  const wasmImportFailure = tryWasmImport();
  let kernelFixes: KernelFix[] = [];
  if (config.kernelFixes === false) {
    unregisterKernelFixes('cpu');
    unregisterKernelFixes('wasm');
  } else {
    kernelFixes = [
      ...registerKernelFixes('cpu'),
      ...(wasmImportFailure === undefined ? registerKernelFixes('wasm') : []),
    ];
  }

  // Fused kernels are additions (new kernel names), not replacements: registered whatever `kernelFixes` says.
  registerFusedKernels('cpu');
  if (wasmImportFailure === undefined) registerFusedKernels('wasm');

  let chosen: EngineInfo | undefined;
  if (requested === 'auto' || requested === 'tensorflow') {
    for (const provider of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const) {
      const failure = tryTensorflow(provider) ?? (await activate('tensorflow'));
      if (failure === undefined) {
        chosen = {
          backend: 'tensorflow',
          requested,
          provider,
          reason: `${provider} is importable`,
          kernelFixes,
          summary: '',
        };
        break;
      }
      failures.push(failure);
    }
    if (chosen === undefined && requested === 'tensorflow') {
      throw new Error(
        `initEngine: backend 'tensorflow' is unavailable: ${failures.join('; ')}. To get it: ${HOW_TO_GET.tensorflow}`,
      );
    }
  }
  if (chosen === undefined && (requested === 'auto' || requested === 'wasm')) {
    const failure = wasmImportFailure ?? (await activate('wasm'));
    if (failure === undefined) {
      chosen = {
        backend: 'wasm',
        requested,
        reason: 'wasm backend available (single-threaded in Node)',
        kernelFixes,
        summary: '',
      };
    } else {
      failures.push(failure);
      if (requested === 'wasm') {
        throw new Error(
          `initEngine: backend 'wasm' is unavailable: ${failure}. To get it: ${HOW_TO_GET.wasm}`,
        );
      }
    }
  }
  if (chosen === undefined) {
    const failure = await activate('cpu');
    if (failure !== undefined) {
      throw new Error(`initEngine: backend 'cpu' is unavailable: ${failure}. To get it: ${HOW_TO_GET.cpu}`);
    }
    chosen = {
      backend: 'cpu',
      requested,
      reason: requested === 'cpu' ? 'requested' : 'no faster backend',
      kernelFixes,
      summary: '',
    };
  }
  if (failures.length > 0 && chosen.backend !== 'tensorflow')
    chosen.reason += ` (tried: ${failures.join('; ')})`;
  chosen.summary = shortSummary(chosen, failures);
  silenceCpuBanner();
  const verbose = config.verbose ?? process.env.DFER_VERBOSE === '1';
  const line = verbose
    ? `@dfer/runtime: tfjs backend '${chosen.backend}' (${chosen.reason}); ${kernelFixes.length} kernel fixes registered`
    : chosen.summary;
  if (config.log !== false && !loggedChoices.has(line)) {
    loggedChoices.add(line);
    (config.log ?? console.warn)(line);
  }
  return chosen;
}
