import * as tf from '@tensorflow/tfjs-core';

/**
 * Largest heap the tfjs wasm backend (4.22) can grow to: its Emscripten build has a 32-bit address space and
 * `getHeapMax()` returns 4 GiB − 64 KiB. Every tensor of the backend lives in that heap; an allocation that
 * does not fit aborts the module (`RuntimeError: Aborted()`), which cannot be recovered from in the process.
 */
export const WASM_HEAP_LIMIT_BYTES = 4294901760;

interface WasmModuleLike {
  HEAPU8: Uint8Array;
}

/** The wasm backend's Emscripten module, or `undefined` when the active backend is not wasm. */
function wasmModule(): WasmModuleLike | undefined {
  if (tf.getBackend() !== 'wasm') return undefined;
  const backend = tf.backend() as unknown as { wasm?: Partial<WasmModuleLike> };
  const heap = backend.wasm?.HEAPU8;
  return heap instanceof Uint8Array ? (backend.wasm as WasmModuleLike) : undefined;
}

/**
 * Current size of the wasm backend's heap in bytes (it grows on demand and never shrinks, so after a
 * training step this is that step's peak need plus allocator slack); `undefined` on other backends.
 */
export function wasmHeapBytes(): number | undefined {
  return wasmModule()?.HEAPU8.buffer.byteLength;
}

/** What to tell the user when a computation does not fit the wasm heap. */
export interface WasmHeapContext {
  /** What was being run, e.g. `"mae_dfer/paper training step at batch 2"`. */
  what: string;
  /** What to change, e.g. `"batch ≤ 1, gradientCheckpointing: true, or the 'tensorflow' backend"`. */
  advice: string;
}

const GiB = 1024 ** 3;

function gib(bytes: number): string {
  return `${(bytes / GiB).toFixed(2)} GiB`;
}

/**
 * A computation on the wasm backend needs (or needed) more memory than its heap can hold
 * ({@link WASM_HEAP_LIMIT_BYTES}).
 */
export class WasmHeapError extends Error {
  override readonly name = 'WasmHeapError';
  constructor(
    message: string,
    /** The limit, bytes. */
    readonly limitBytes: number,
    /** The need, bytes: a lower bound (estimated before, or the heap size reached at the failure). */
    readonly neededBytes: number,
  ) {
    super(message);
  }
}

/**
 * Throws a {@link WasmHeapError} before running something that needs at least `neededBytes` (a lower bound,
 * so nothing that fits is refused) when that exceeds the wasm heap limit (only when the active backend is wasm). The message names the limit, the need and
 * `context.advice`.
 */
export function assertFitsWasmHeap(neededBytes: number, context: WasmHeapContext): void {
  if (wasmModule() === undefined || neededBytes <= WASM_HEAP_LIMIT_BYTES) return;
  throw new WasmHeapError(
    `${context.what} needs at least ${gib(neededBytes)} of tensor memory, more than the wasm backend's heap can ` +
      `hold (${gib(WASM_HEAP_LIMIT_BYTES)}, a 32-bit address space). Change: ${context.advice}.`,
    WASM_HEAP_LIMIT_BYTES,
    neededBytes,
  );
}

/** Whether `error` is the Emscripten abort of the wasm module (out of heap, or any other abort). */
function isWasmAbort(error: unknown): boolean {
  return error instanceof Error && /^Aborted\(/.test(error.message);
}

/**
 * Runs `fn`; when the wasm module aborts inside it (what an allocation beyond the heap limit does), throws a
 * {@link WasmHeapError} that names the limit, how far the heap had grown, what was running and what to
 * change — instead of the bare `RuntimeError: Aborted()`. The wasm backend is unusable afterwards (the
 * module has aborted): the process should end.
 */
export function runWithWasmHeapGuard<T>(fn: () => T, context: WasmHeapContext): T {
  try {
    return fn();
  } catch (error) {
    if (!isWasmAbort(error) || wasmModule() === undefined) throw error;
    const heap = wasmHeapBytes() ?? 0;
    throw new WasmHeapError(
      `${context.what} aborted the wasm backend (${(error as Error).message}) with its heap at ${gib(heap)} ` +
        `of the ${gib(WASM_HEAP_LIMIT_BYTES)} it can address: the step needs more memory than the wasm heap ` +
        `holds. Change: ${context.advice}. The wasm backend cannot be used again in this process.`,
      WASM_HEAP_LIMIT_BYTES,
      heap,
    );
  }
}
