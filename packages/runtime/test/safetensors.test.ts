import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSeededRng } from '@dfer/test-utils';
import {
  loadSafetensors,
  readSafetensors,
  SafetensorsError,
  saveSafetensors,
  writeSafetensors,
} from '@dfer/runtime';

const fixture = join(__dirname, 'fixtures', 'reference.safetensors');
const expected = JSON.parse(
  readFileSync(join(__dirname, 'fixtures', 'reference.safetensors.json'), 'utf8'),
) as {
  metadata: Record<string, string>;
  tensors: Record<string, { dtype: string; shape: number[]; values: number[] }>;
};

/** Builds a file from a header object and a buffer, as the format specifies. */
function build(header: unknown, buffer: Uint8Array = new Uint8Array(0), lengthOverride?: bigint): Uint8Array {
  const text = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + text.length + buffer.length);
  new DataView(out.buffer).setBigUint64(0, lengthOverride ?? BigInt(text.length), true);
  out.set(text, 8);
  out.set(buffer, 8 + text.length);
  return out;
}

describe('safetensors', () => {
  it('reads the file written by the independent Python writer (fixtures/make-safetensors-fixture.py)', async () => {
    const content = await loadSafetensors(fixture);
    expect({ ...content.metadata }).toEqual(expected.metadata);
    expect(Object.keys(content.tensors).sort()).toEqual(Object.keys(expected.tensors).sort());
    for (const [name, ref] of Object.entries(expected.tensors)) {
      const t = content.tensors[name];
      expect(t?.dtype).toBe(ref.dtype);
      expect(t?.shape).toEqual(ref.shape);
      expect(Array.from(t?.data ?? [], (v: number | bigint) => Number(v))).toEqual(ref.values);
    }
    expect(content.tensors.steps?.data).toBeInstanceOf(BigInt64Array);
  });

  it('round-trips through write and read, bit for bit, with an 8-byte aligned header', async () => {
    const original = readSafetensors(readFileSync(fixture));
    const bytes = writeSafetensors(original.tensors, original.metadata);
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerLength % 8).toBe(0);
    const again = readSafetensors(bytes);
    expect(again).toEqual(original);
    expect(writeSafetensors(again.tensors, again.metadata)).toEqual(bytes);
    const dir = mkdtempSync(join(tmpdir(), 'dfer-st-'));
    try {
      const path = join(dir, 'w.safetensors');
      await saveSafetensors(path, original.tensors, original.metadata);
      expect((await loadSafetensors(path)).tensors.weight?.data).toEqual(original.tensors.weight?.data);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const f32 = (n: number) => new Uint8Array(n * 4);
  const malformed: [string, Uint8Array, RegExp][] = [
    ['too short', new Uint8Array(5), /shorter than the 8-byte header length/],
    [
      'header length past the file',
      build({}, new Uint8Array(0), 1000n),
      /exceeds the 2 bytes after the length field/,
    ],
    [
      'header length above 100 MB',
      build({}, new Uint8Array(0), 2n ** 40n),
      /exceeds the 100000000-byte limit/,
    ],
    ['header not JSON', build('{nope'), /header is not valid JSON/],
    ['header not an object', build('[1,2]'), /does not start with "\{"/],
    ['invalid UTF-8', build('{"\xff"}').map((b, i) => (i === 10 ? 0xff : b)), /not valid UTF-8/],
    ['metadata value not a string', build({ __metadata__: { a: 1 } }), /__metadata__\.a must be a string/],
    [
      'unknown dtype',
      build({ w: { dtype: 'F8', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)),
      /tensor "w": dtype must be one of/,
    ],
    [
      'negative dimension',
      build({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, f32(1)),
      /shape must be a list of non-negative integers/,
    ],
    [
      'fractional dimension',
      build({ w: { dtype: 'F32', shape: [1.5], data_offsets: [0, 4] } }, f32(1)),
      /shape must be a list/,
    ],
    [
      'offsets not a pair',
      build({ w: { dtype: 'F32', shape: [1], data_offsets: [0] } }, f32(1)),
      /data_offsets must be \[begin, end\]/,
    ],
    [
      'begin after end',
      build({ w: { dtype: 'F32', shape: [0], data_offsets: [4, 0] } }, f32(1)),
      /begin 4 > end 0/,
    ],
    [
      'end past the buffer',
      build({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, f32(1)),
      /end 8 is past the 4-byte buffer/,
    ],
    [
      'shape × dtype ≠ span',
      build({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, f32(1)),
      /= 8 bytes, but data_offsets span 4/,
    ],
    [
      'overlapping tensors',
      build(
        {
          a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
          b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] },
        },
        f32(2),
      ),
      /overlaps the previous tensor/,
    ],
    [
      'a hole in the buffer',
      build({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, f32(2)),
      /bytes 0\.\.4 of the buffer belong to no tensor/,
    ],
    [
      'trailing bytes',
      build({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32(2)),
      /bytes 4\.\.8 of the buffer belong to no tensor/,
    ],
    [
      'unknown tensor field',
      build({ a: { dtype: 'F32', shape: [0], data_offsets: [0, 0], run: 'x' } }),
      /unknown field\(s\) run/,
    ],
  ];
  it.each(malformed)('rejects %s with a clear error', (_name, bytes, message) => {
    expect(() => readSafetensors(bytes, 'bad.safetensors')).toThrow(SafetensorsError);
    expect(() => readSafetensors(bytes, 'bad.safetensors')).toThrow(message);
    expect(() => readSafetensors(bytes, 'bad.safetensors')).toThrow(/^bad\.safetensors: /);
  });

  it('does not let a "__proto__" tensor name touch prototypes', () => {
    const bytes = build('{"__proto__":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', new Uint8Array([7]));
    const content = readSafetensors(bytes);
    expect(Object.keys(content.tensors)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).dtype).toBeUndefined();
  });

  it('writeSafetensors rejects a typed array that does not match the dtype or the shape', () => {
    expect(() => writeSafetensors({ w: { dtype: 'F32', shape: [2], data: new Int32Array(2) } })).toThrow(
      /needs a Float32Array, got Int32Array/,
    );
    expect(() => writeSafetensors({ w: { dtype: 'F32', shape: [3], data: new Float32Array(2) } })).toThrow(
      /has 2 values but shape \[3\] needs 3/,
    );
  });

  it('fuzz: 3000 random and mutated files give a parse or a SafetensorsError, never another exception', () => {
    const rng = createSeededRng(2024);
    const valid = readFileSync(fixture);
    let parsed = 0;
    let rejected = 0;
    const unexpected: string[] = [];
    for (let i = 0; i < 3000; i++) {
      let bytes: Uint8Array;
      const kind = i % 4;
      if (kind === 0) {
        bytes = Uint8Array.from({ length: rng.int(64) }, () => rng.int(256));
      } else if (kind === 1) {
        bytes = Uint8Array.from(valid);
        for (let k = 0, flips = 1 + rng.int(4); k < flips; k++) bytes[rng.int(bytes.length)] = rng.int(256);
      } else if (kind === 2) {
        bytes = valid.subarray(0, rng.int(valid.length));
      } else {
        bytes = Uint8Array.from(valid);
        const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
        // Mutate a digit or a quote inside the JSON header (offsets, shape, dtype names).
        const at = 8 + rng.int(headerLength);
        bytes[at] = '0123456789"[],{}:-.eE '.charCodeAt(rng.int(22));
      }
      try {
        readSafetensors(bytes, 'fuzz');
        parsed++;
      } catch (error) {
        if (!(error instanceof SafetensorsError) || !error.message.startsWith('fuzz: '))
          unexpected.push(String(error));
        rejected++;
      }
    }
    expect(unexpected).toEqual([]);
    expect(parsed + rejected).toBe(3000);
    expect(rejected).toBeGreaterThan(1500);
  });
});
