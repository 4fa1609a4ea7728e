import { atomicWriteFile } from '../files/atomic-write';
import { readRegularFile } from '../files/read-regular-file';

/**
 * safetensors file format (https://github.com/huggingface/safetensors): 8-byte little-endian header
 * length `N`, `N` bytes of UTF-8 JSON header `{ "__metadata__"?: {string: string}, name: { dtype,
 * shape, data_offsets: [begin, end] } }`, then the byte buffer; offsets are relative to the buffer.
 * Reading never executes anything: the header is parsed as JSON and validated field by field.
 */

/** Element types of the safetensors format. */
export type SafetensorsDtype =
  'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U64' | 'U32' | 'U16' | 'U8' | 'BOOL';

/** Typed array used for each dtype (`F16`/`BF16`: their raw 16-bit patterns). */
export type SafetensorsArray =
  | Float64Array
  | Float32Array
  | BigInt64Array
  | Int32Array
  | Int16Array
  | Int8Array
  | BigUint64Array
  | Uint32Array
  | Uint16Array
  | Uint8Array;

/** One tensor of a safetensors file. */
export interface SafetensorsTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  data: SafetensorsArray;
}

/** A parsed safetensors file: tensors by name and the `__metadata__` strings. */
export interface SafetensorsContent {
  tensors: Record<string, SafetensorsTensor>;
  metadata: Record<string, string>;
}

const DTYPES: Record<
  SafetensorsDtype,
  { bytes: number; make: (buffer: ArrayBuffer) => SafetensorsArray; array: string }
> = {
  F64: { bytes: 8, make: (b) => new Float64Array(b), array: 'Float64Array' },
  F32: { bytes: 4, make: (b) => new Float32Array(b), array: 'Float32Array' },
  F16: { bytes: 2, make: (b) => new Uint16Array(b), array: 'Uint16Array' },
  BF16: { bytes: 2, make: (b) => new Uint16Array(b), array: 'Uint16Array' },
  I64: { bytes: 8, make: (b) => new BigInt64Array(b), array: 'BigInt64Array' },
  I32: { bytes: 4, make: (b) => new Int32Array(b), array: 'Int32Array' },
  I16: { bytes: 2, make: (b) => new Int16Array(b), array: 'Int16Array' },
  I8: { bytes: 1, make: (b) => new Int8Array(b), array: 'Int8Array' },
  U64: { bytes: 8, make: (b) => new BigUint64Array(b), array: 'BigUint64Array' },
  U32: { bytes: 4, make: (b) => new Uint32Array(b), array: 'Uint32Array' },
  U16: { bytes: 2, make: (b) => new Uint16Array(b), array: 'Uint16Array' },
  U8: { bytes: 1, make: (b) => new Uint8Array(b), array: 'Uint8Array' },
  BOOL: { bytes: 1, make: (b) => new Uint8Array(b), array: 'Uint8Array' },
};

/** Largest accepted header, as in the reference implementation (100 MB). */
export const SAFETENSORS_MAX_HEADER_BYTES = 100_000_000;

/** Deepest nesting of objects and arrays accepted in a header (a valid header nests 3 levels). */
export const SAFETENSORS_MAX_HEADER_DEPTH = 64;

/** Error for a malformed safetensors file; the message names the file and the field. */
export class SafetensorsError extends Error {
  override readonly name = 'SafetensorsError';
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

interface ScanFrame {
  readonly object: boolean;
  readonly path: readonly string[];
  readonly keys: Set<string>;
  expectKey: boolean;
  lastKey: string;
}

/**
 * Walks the text of a header that JSON.parse accepted, without recursion, and returns why it is
 * refused: objects/arrays nested deeper than `maxDepth`, or a key repeated in one object (JSON.parse
 * would silently keep the last one). Keys are compared after unescaping.
 */
function scanHeader(text: string, maxDepth: number): string | undefined {
  const stack: ScanFrame[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const top = stack[stack.length - 1];
    if (c === 34) {
      const start = i;
      for (i++; text.charCodeAt(i) !== 34; i++) if (text.charCodeAt(i) === 92) i++;
      if (top?.object === true && top.expectKey) {
        const key = JSON.parse(text.slice(start, i + 1)) as string;
        if (top.keys.has(key)) {
          const where =
            top.path.length === 0
              ? 'at the top level'
              : `in ${top.path.map((k) => JSON.stringify(k)).join('.')}`;
          return `header has the key ${JSON.stringify(key)} twice (${where})`;
        }
        top.keys.add(key);
        top.lastKey = key;
        top.expectKey = false;
      }
    } else if (c === 123 || c === 91) {
      if (stack.length >= maxDepth) return `header nests deeper than ${maxDepth} levels`;
      const path = top === undefined ? [] : [...top.path, top.object ? top.lastKey : '[]'];
      stack.push({ object: c === 123, path, keys: new Set(), expectKey: c === 123, lastKey: '' });
    } else if (c === 125 || c === 93) stack.pop();
    else if (c === 44 && top?.object === true) top.expectKey = true;
  }
  return undefined;
}

/**
 * Parses and validates a safetensors file. Throws {@link SafetensorsError} (message prefixed by
 * `label`) when: the file is shorter than 8 bytes; the header length exceeds the file or 100 MB; the
 * header is not UTF-8 JSON of an object; `__metadata__` is not a string→string object; a tensor entry
 * has unknown keys, an unknown dtype, a shape that is not a list of non-negative integers, or
 * `data_offsets` that are not `[begin, end]` integers inside the buffer; `end − begin ≠ shape product ×
 * dtype size`; two tensors overlap; bytes of the buffer belong to no tensor; a key appears twice in
 * one object of the header; or the header nests deeper than {@link SAFETENSORS_MAX_HEADER_DEPTH}.
 */
export function readSafetensors(bytes: Uint8Array, label = 'safetensors'): SafetensorsContent {
  const fail = (message: string): never => {
    throw new SafetensorsError(`${label}: ${message}`);
  };
  if (bytes.length < 8) fail(`file is ${bytes.length} bytes, shorter than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(SAFETENSORS_MAX_HEADER_BYTES)) {
    fail(`header length ${headerLength} exceeds the ${SAFETENSORS_MAX_HEADER_BYTES}-byte limit`);
  }
  if (headerLength > BigInt(bytes.length - 8)) {
    fail(`header length ${headerLength} exceeds the ${bytes.length - 8} bytes after the length field`);
  }
  const n = Number(headerLength);
  let headerText: string;
  try {
    headerText = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    return fail('header is not valid UTF-8');
  }
  if (!headerText.startsWith('{')) fail('header does not start with "{"');
  let header: unknown;
  try {
    header = JSON.parse(headerText);
  } catch (error) {
    return fail(`header is not valid JSON (${(error as Error).message})`);
  }
  if (!isPlainObject(header)) return fail('header is not a JSON object');
  const refused = scanHeader(headerText, SAFETENSORS_MAX_HEADER_DEPTH);
  if (refused !== undefined) fail(refused);
  const bufferLength = bytes.length - 8 - n;
  const metadata: Record<string, string> = Object.create(null) as Record<string, string>;
  const rawMetadata = header.__metadata__;
  if (rawMetadata !== undefined) {
    if (!isPlainObject(rawMetadata)) fail('__metadata__ must be an object of strings');
    for (const [key, value] of Object.entries(rawMetadata as Record<string, unknown>)) {
      if (typeof value !== 'string') fail(`__metadata__.${key} must be a string, got ${typeof value}`);
      metadata[key] = value as string;
    }
  }
  const spans: { name: string; begin: number; end: number }[] = [];
  const tensors: Record<string, SafetensorsTensor> = Object.create(null) as Record<string, SafetensorsTensor>;
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const where = `tensor "${name}"`;
    if (!isPlainObject(entry)) return fail(`${where}: entry must be an object`);
    const extra = Object.keys(entry).filter((k) => !['dtype', 'shape', 'data_offsets'].includes(k));
    if (extra.length > 0) fail(`${where}: unknown field(s) ${extra.join(', ')}`);
    const dtype = entry.dtype;
    if (typeof dtype !== 'string' || !(dtype in DTYPES)) {
      fail(`${where}: dtype must be one of ${Object.keys(DTYPES).join(', ')}, got ${JSON.stringify(dtype)}`);
    }
    const info = DTYPES[dtype as SafetensorsDtype];
    const shape = entry.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
      return fail(`${where}: shape must be a list of non-negative integers, got ${JSON.stringify(shape)}`);
    }
    const offsets = entry.data_offsets;
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && (o as number) >= 0)
    ) {
      return fail(
        `${where}: data_offsets must be [begin, end] non-negative integers, got ${JSON.stringify(offsets)}`,
      );
    }
    const [begin, end] = offsets as [number, number];
    if (begin > end) fail(`${where}: data_offsets begin ${begin} > end ${end}`);
    if (end > bufferLength) fail(`${where}: data_offsets end ${end} is past the ${bufferLength}-byte buffer`);
    const count = (shape as number[]).reduce((p, d) => p * d, 1);
    if (!Number.isSafeInteger(count * info.bytes) || count * info.bytes !== end - begin) {
      fail(
        `${where}: shape [${(shape as number[]).join(', ')}] × ${info.bytes} bytes (${dtype}) = ${count * info.bytes} bytes, but data_offsets span ${end - begin}`,
      );
    }
    spans.push({ name, begin, end });
    const start = 8 + n + begin;
    const copy = bytes.buffer.slice(bytes.byteOffset + start, bytes.byteOffset + 8 + n + end);
    tensors[name] = {
      dtype: dtype as SafetensorsDtype,
      shape: [...(shape as number[])],
      data: info.make(copy as ArrayBuffer),
    };
  }
  spans.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  for (const span of spans) {
    if (span.begin < covered)
      fail(`tensor "${span.name}" overlaps the previous tensor (begins at ${span.begin} < ${covered})`);
    if (span.begin > covered) fail(`bytes ${covered}..${span.begin} of the buffer belong to no tensor`);
    covered = span.end;
  }
  if (covered !== bufferLength) fail(`bytes ${covered}..${bufferLength} of the buffer belong to no tensor`);
  return { tensors, metadata };
}

/**
 * Serialises tensors to safetensors bytes: tensors in name order, packed without gaps; the header
 * padded with spaces to a multiple of 8 bytes (as the reference implementation does). Throws when a
 * tensor's typed array does not match its dtype or its length does not match its shape.
 */
export function writeSafetensors(
  tensors: Readonly<Record<string, SafetensorsTensor>>,
  metadata: Readonly<Record<string, string>> = {},
): Uint8Array {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string')
        throw new SafetensorsError(`writeSafetensors: metadata.${k} must be a string`);
    }
    header.__metadata__ = { ...metadata };
  }
  let offset = 0;
  for (const name of names) {
    if (name === '__metadata__')
      throw new SafetensorsError('writeSafetensors: "__metadata__" cannot name a tensor');
    const t = tensors[name] as SafetensorsTensor;
    const info = DTYPES[t.dtype];
    if (info === undefined)
      throw new SafetensorsError(`writeSafetensors: tensor "${name}" has unknown dtype ${String(t.dtype)}`);
    if (t.data.constructor.name !== info.array) {
      throw new SafetensorsError(
        `writeSafetensors: tensor "${name}" is ${t.dtype} and needs a ${info.array}, got ${t.data.constructor.name}`,
      );
    }
    const count = t.shape.reduce((p, d) => p * d, 1);
    if (t.shape.some((d) => !Number.isSafeInteger(d) || d < 0) || t.data.length !== count) {
      throw new SafetensorsError(
        `writeSafetensors: tensor "${name}" has ${t.data.length} values but shape [${t.shape.join(', ')}] needs ${count}`,
      );
    }
    header[name] = {
      dtype: t.dtype,
      shape: [...t.shape],
      data_offsets: [offset, offset + t.data.byteLength],
    };
    offset += t.data.byteLength;
  }
  let headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(headerBytes.length / 8) * 8;
  if (padded !== headerBytes.length) {
    const withSpaces = new Uint8Array(padded).fill(0x20);
    withSpaces.set(headerBytes);
    headerBytes = withSpaces;
  }
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let position = 8 + headerBytes.length;
  for (const name of names) {
    const t = tensors[name] as SafetensorsTensor;
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), position);
    position += t.data.byteLength;
  }
  return out;
}

/** Per-call options of {@link loadSafetensors}. */
export interface LoadSafetensorsOptions {
  /** Largest file read, in bytes (default: the largest Node.js buffer); checked before reading. */
  readonly maxBytes?: number;
}

/**
 * Reads and validates a safetensors file from disk (errors name the path). The path must be a regular
 * file (a FIFO or device is refused before reading, never waited on) of at most `options.maxBytes`.
 */
export async function loadSafetensors(
  path: string,
  options: LoadSafetensorsOptions = {},
): Promise<SafetensorsContent> {
  let bytes: Uint8Array;
  try {
    bytes = readRegularFile(path, options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes });
  } catch (error) {
    throw new SafetensorsError((error as Error).message);
  }
  return readSafetensors(bytes, path);
}

/**
 * Writes a safetensors file atomically (see {@link atomicWriteFile}: a temporary file in the same folder,
 * flushed, then renamed over `path`; errors name `path`).
 */
export async function saveSafetensors(
  path: string,
  tensors: Readonly<Record<string, SafetensorsTensor>>,
  metadata: Readonly<Record<string, string>> = {},
): Promise<void> {
  atomicWriteFile(path, writeSafetensors(tensors, metadata));
}
