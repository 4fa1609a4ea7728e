/**
 * Malformed safetensors headers that JSON.parse would accept: duplicate keys (the last would
 * silently win) and deep nesting (a stack overflow without a file name).
 */
import { readSafetensors, SafetensorsError } from '@dfer/runtime';

/** A file with the given header text and `bufferBytes` zero bytes of data. */
function fileWith(header: string, bufferBytes: number): Uint8Array {
  const headerBytes = Buffer.from(header, 'utf8');
  const out = new Uint8Array(8 + headerBytes.length + bufferBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  return out;
}

describe('duplicate keys in the header', () => {
  it('two tensors with the same name are an error naming the key', () => {
    const header =
      '{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}';
    expect(() => readSafetensors(fileWith(header, 8), 'dup.safetensors')).toThrow(
      'dup.safetensors: header has the key "w" twice (at the top level)',
    );
  });

  it('a repeated field inside an entry or __metadata__ is an error naming where', () => {
    const entry = '{"w":{"dtype":"I32","dtype":"F32","shape":[1],"data_offsets":[0,4]}}';
    expect(() => readSafetensors(fileWith(entry, 4), 'f')).toThrow(
      'f: header has the key "dtype" twice (in "w")',
    );
    const meta = '{"__metadata__":{"a":"1","a":"2"}}';
    expect(() => readSafetensors(fileWith(meta, 0), 'f')).toThrow(SafetensorsError);
    expect(() => readSafetensors(fileWith(meta, 0), 'f')).toThrow(/key "a" twice \(in "__metadata__"\)/);
  });

  it('keys that differ only by escapes are the same key', () => {
    const header =
      '{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"\\u0077":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}';
    expect(() => readSafetensors(fileWith(header, 8), 'f')).toThrow(/key "w" twice/);
  });

  it('a header without duplicates still reads', () => {
    const header =
      '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}';
    expect(Object.keys(readSafetensors(fileWith(header, 8), 'f').tensors)).toEqual(['a', 'b']);
  });
});

it('nesting deeper than 64 levels is an error naming the file, not a RangeError', () => {
  const deep = `{"w":{"dtype":"F32","data_offsets":[0,0],"shape":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`;
  expect(() => readSafetensors(fileWith(deep, 0), 'deep.safetensors')).toThrow(
    'deep.safetensors: header nests deeper than 64 levels',
  );
});
