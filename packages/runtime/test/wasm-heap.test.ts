/** The wasm heap limit: its size is read, an over-limit need fails before running, an abort is named. */
import * as tf from '@tensorflow/tfjs-core';
import {
  assertFitsWasmHeap,
  initEngine,
  runWithWasmHeapGuard,
  wasmHeapBytes,
  WasmHeapError,
  WASM_HEAP_LIMIT_BYTES,
} from '@dfer/runtime';

const context = { what: 'test step at batch 4', advice: 'batch ≤ 2, or the tensorflow backend' };

describe('on wasm', () => {
  beforeAll(async () => {
    await initEngine({ backend: 'wasm', log: false });
  });

  it('reads the heap size (grows with allocations, below the 4 GiB − 64 KiB limit)', () => {
    const before = wasmHeapBytes()!;
    expect(before).toBeGreaterThan(0);
    const big = tf.zeros([(64 * 1024 * 1024) / 4 + before / 4]); // more than the current heap
    expect(wasmHeapBytes()!).toBeGreaterThan(before);
    expect(wasmHeapBytes()!).toBeLessThanOrEqual(WASM_HEAP_LIMIT_BYTES);
    big.dispose();
    expect(WASM_HEAP_LIMIT_BYTES).toBe(4 * 1024 ** 3 - 64 * 1024);
  });

  it('assertFitsWasmHeap throws before running when the need exceeds the limit, naming both and the advice', () => {
    expect(() => assertFitsWasmHeap(WASM_HEAP_LIMIT_BYTES, context)).not.toThrow();
    let error: unknown;
    try {
      assertFitsWasmHeap(5 * 1024 ** 3, context);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WasmHeapError);
    const e = error as WasmHeapError;
    expect(e.neededBytes).toBe(5 * 1024 ** 3);
    expect(e.limitBytes).toBe(WASM_HEAP_LIMIT_BYTES);
    expect(e.message).toMatch(/test step at batch 4 needs at least 5\.00 GiB/);
    expect(e.message).toMatch(/heap can hold \(4\.00 GiB/);
    expect(e.message).toMatch(/Change: batch ≤ 2, or the tensorflow backend\./);
  });

  it('runWithWasmHeapGuard turns the module abort into a WasmHeapError and passes other errors through', () => {
    expect(runWithWasmHeapGuard(() => 7, context)).toBe(7);
    expect(() =>
      runWithWasmHeapGuard(() => {
        // What the wasm module throws (a WebAssembly.RuntimeError; its name and message as seen here).
        throw Object.assign(new Error('Aborted(). Build with -sASSERTIONS for more info.'), {
          name: 'RuntimeError',
        });
      }, context),
    ).toThrow(
      /test step at batch 4 aborted the wasm backend .* heap at \d+\.\d\d GiB of the 4\.00 GiB .*Change: batch ≤ 2/,
    );
    expect(() =>
      runWithWasmHeapGuard(() => {
        throw new RangeError('bad shape');
      }, context),
    ).toThrow(RangeError);
  });
});

describe('on cpu', () => {
  beforeAll(async () => {
    await initEngine({ backend: 'cpu', log: false });
  });

  it('has no heap to read and no limit to check', () => {
    expect(wasmHeapBytes()).toBeUndefined();
    expect(() => assertFitsWasmHeap(5 * 1024 ** 3, context)).not.toThrow();
  });
});
