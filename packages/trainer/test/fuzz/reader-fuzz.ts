/**
 * A seeded mutation fuzzer over every reader of untrusted files: split lists, DFEW label CSVs, BP4D AU
 * labels, OpenFace CSVs, safetensors, `loadWeights`, ONNX sessions, images, videos and config files.
 *
 * Each target has valid seed inputs; each fuzz input is a seed with 1–3 seeded mutations (byte flips,
 * insertions, deletions, truncations, zeroed ranges, splices; for text formats also number tokens
 * replaced by out-of-contract values such as `-5`, `1.5`, `0x10`, `1e400`, duplicated / swapped / deleted
 * lines, control characters, invalid UTF-8 and CR line ends). The mutated bytes are written to a file
 * and the reader is run on it. Every outcome is classified:
 *
 * - clean error: an error of the reader's documented class whose message names the file;
 * - accepted: the reader returned a value and the target's independent oracle does not call the input
 *   corrupt (valid input, or corruption the format cannot reveal, e.g. changed pixel values);
 * - silent acceptance: accepted although the oracle, an independent check written from the format's
 *   specification, finds the input corrupt (or the value read differs from the oracle's);
 * - crash: any other exception (TypeError, stack overflow, an error without the file name, …), or, in
 *   the long run's child processes, the process dying;
 * - hang: no result within the time limit.
 *
 * Same seed → same inputs → same counts.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync, inflateSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { loadWeights, createRng } from '@dfer/backbones';
import { Linear } from '@dfer/backbones/nn';
import {
  readBp4dAuLabels,
  readDfewLabelCsv,
  readOpenFaceCsv,
  readSplitList,
} from '@dfer/datasets/annotations';
import { decodeImage, decodeVideo, probeVideo, resolveFfmpeg } from '@dfer/datasets/media';
import { createSession, OnnxGraph, readSafetensors, runSession, writeSafetensors } from '@dfer/runtime';
import { loadConfigFile } from '../../src/config/config-file';
import { ConfigError, validateConfig } from '../../src/config/schema';

/** Outcome of one fuzz input. */
export type FuzzOutcome = 'cleanError' | 'accepted' | 'silentAcceptance' | 'crash' | 'hang';

/** Counts of one target's run. */
export interface FuzzCounts {
  inputs: number;
  cleanError: number;
  accepted: number;
  silentAcceptance: number;
  crash: number;
  hang: number;
  /** Up to 5 inputs per bad outcome (silent acceptance, crash, hang): index, mutations and message. */
  examples: { index: number; outcome: FuzzOutcome; mutations: string[]; detail: string }[];
}

/** A seeded 32-bit generator (mulberry32); `next()` is uniform in [0, 1). */
export class FuzzRng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }
}

/** What a target reader's oracle says about an input: corrupt (detectably), or not known to be. */
export type OracleVerdict = { corrupt: true; why: string } | { corrupt: false; expected?: unknown };

/** One reader under fuzzing. */
export interface FuzzTarget {
  readonly name: string;
  /** File name of the mutated input (its extension matters to some readers). */
  readonly fileName: string;
  /** `text` targets get text mutations as well as byte mutations. */
  readonly kind: 'text' | 'binary';
  /** Time limit of one input in milliseconds. */
  readonly timeLimitMs: number;
  /** Valid inputs (the reader accepts each; checked by the test). */
  seeds(dir: string): Promise<Uint8Array[]>;
  /** Runs the reader on `file`; resolves with what it read (compared with the oracle's `expected`). */
  run(file: string): Promise<unknown>;
  /** Independent check of the bytes. */
  oracle(bytes: Uint8Array, file: string): OracleVerdict | Promise<OracleVerdict>;
  /** Whether an error is a clean one (documented class, names the file). */
  clean(error: unknown, file: string): boolean;
  /** Whether `read` agrees with the oracle's `expected` (default: not compared). */
  agrees?(read: unknown, expected: unknown): boolean;
}

// ---------------------------------------------------------------------------------------------
// Mutations

const NUMBER_VALUES = [
  '-5',
  '1.5',
  '0x10',
  '1e400',
  'NaN',
  '',
  '7',
  '-0',
  '1e30',
  '99999999999',
  '2',
  '0',
  '1',
];

/** Applies 1–3 seeded mutations; returns the bytes and a description of each mutation. */
export function mutate(
  seed: Uint8Array,
  rng: FuzzRng,
  kind: 'text' | 'binary',
  others: readonly Uint8Array[],
): { bytes: Uint8Array; mutations: string[] } {
  let bytes: Buffer = Buffer.from(seed);
  const mutations: string[] = [];
  const count = 1 + rng.int(3);
  for (let m = 0; m < count; m++) {
    const textual = kind === 'text' && rng.next() < 0.6;
    const result = textual ? mutateText(bytes, rng) : mutateBytes(bytes, rng, others);
    bytes = result.bytes;
    mutations.push(result.what);
  }
  return { bytes, mutations };
}

function mutateBytes(
  bytes: Buffer,
  rng: FuzzRng,
  others: readonly Uint8Array[],
): { bytes: Buffer; what: string } {
  const n = bytes.length;
  const at = n === 0 ? 0 : rng.int(n);
  switch (rng.int(10)) {
    case 9: {
      // a special float32 (NaN, ±Inf, largest finite) over 4 bytes aligned from the end, where tensor data lies
      const out = Buffer.from(bytes);
      const value = rng.pick([0x7fc00000, 0x7f800000, 0xff800000, 0x7f7fffff]);
      const back = 4 * (1 + rng.int(Math.max(1, Math.floor(n / 4))));
      if (n >= back) out.writeUInt32LE(value, n - back);
      return { bytes: out, what: `float32 bits ${value.toString(16)} at ${n - back}` };
    }
    case 0: {
      const out = Buffer.from(bytes);
      if (n > 0) out[at] = (out[at] as number) ^ (1 << rng.int(8));
      return { bytes: out, what: `flip a bit at ${at}` };
    }
    case 1: {
      const out = Buffer.from(bytes);
      const value = rng.pick([0, 0xff, 0x7f, 0x80, 0x20, 0x0a, 0x22, 0x2c, rng.int(256)]);
      if (n > 0) out[at] = value;
      return { bytes: out, what: `byte ${at} = ${value}` };
    }
    case 2: {
      const len = 1 + rng.int(16);
      const insert = Buffer.from(Array.from({ length: len }, () => rng.int(256)));
      return {
        bytes: Buffer.concat([bytes.subarray(0, at), insert, bytes.subarray(at)]),
        what: `insert ${len} bytes at ${at}`,
      };
    }
    case 3: {
      const len = 1 + rng.int(Math.max(1, Math.min(64, n - at)));
      return {
        bytes: Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + len)]),
        what: `delete ${len} bytes at ${at}`,
      };
    }
    case 4: {
      const to = rng.int(n + 1);
      return { bytes: Buffer.from(bytes.subarray(0, to)), what: `truncate to ${to}` };
    }
    case 5: {
      const len = 1 + rng.int(64);
      const out = Buffer.from(bytes);
      out.fill(0, at, Math.min(n, at + len));
      return { bytes: out, what: `zero ${len} bytes at ${at}` };
    }
    case 6: {
      const len = 1 + rng.int(Math.max(1, Math.min(32, n - at)));
      const copy = bytes.subarray(at, at + len);
      const where = rng.int(n + 1);
      return {
        bytes: Buffer.concat([bytes.subarray(0, where), copy, bytes.subarray(where)]),
        what: `duplicate ${len} bytes of ${at} at ${where}`,
      };
    }
    case 7: {
      const other = Buffer.from(rng.pick(others));
      const cut = rng.int(other.length + 1);
      return {
        bytes: Buffer.concat([bytes.subarray(0, at), other.subarray(cut)]),
        what: `splice another seed from ${cut} at ${at}`,
      };
    }
    default: {
      const out = Buffer.from(bytes);
      const len = 1 + rng.int(8);
      for (let i = at; i < Math.min(n, at + len); i++) out[i] = 0x30 + rng.int(10);
      return { bytes: out, what: `digits over ${len} bytes at ${at}` };
    }
  }
}

function mutateText(bytes: Buffer, rng: FuzzRng): { bytes: Buffer; what: string } {
  const text = bytes.toString('latin1');
  const lines = text.split('\n');
  const li = rng.int(lines.length);
  switch (rng.int(8)) {
    case 0:
    case 1: {
      const tokens = [...text.matchAll(/-?\d+(?:\.\d+)?(?:e[+-]?\d+)?/gi)];
      if (tokens.length === 0) return { bytes, what: 'no number to replace' };
      const token = rng.pick(tokens);
      const value = rng.pick(NUMBER_VALUES);
      const start = token.index;
      const out = text.slice(0, start) + value + text.slice(start + token[0].length);
      return {
        bytes: Buffer.from(out, 'latin1'),
        what: `number ${JSON.stringify(token[0])} at ${start} → ${JSON.stringify(value)}`,
      };
    }
    case 2: {
      const copy = [...lines];
      copy.splice(li, 0, lines[li] as string);
      return { bytes: Buffer.from(copy.join('\n'), 'latin1'), what: `duplicate line ${li + 1}` };
    }
    case 3: {
      const copy = [...lines];
      const lj = rng.int(lines.length);
      [copy[li], copy[lj]] = [copy[lj] as string, copy[li] as string];
      return { bytes: Buffer.from(copy.join('\n'), 'latin1'), what: `swap lines ${li + 1} and ${lj + 1}` };
    }
    case 4: {
      const copy = [...lines];
      copy.splice(li, 1);
      return { bytes: Buffer.from(copy.join('\n'), 'latin1'), what: `delete line ${li + 1}` };
    }
    case 5: {
      const at = rng.int(bytes.length + 1);
      const c = rng.pick([0x00, 0x01, 0x07, 0x08, 0x0b, 0x0c, 0x1b, 0x7f, 0x85, 0xc3, 0xff, 0xe2]);
      return {
        bytes: Buffer.concat([bytes.subarray(0, at), Buffer.from([c]), bytes.subarray(at)]),
        what: `insert byte ${c} at ${at}`,
      };
    }
    case 6:
      return { bytes: Buffer.from(text.replace(/\r?\n/g, '\r'), 'latin1'), what: 'CR line ends' };
    default: {
      const at = rng.int(bytes.length + 1);
      const s = rng.pick([',', ' ', '"', '\t', '..', '/', '\n', '\n\n']);
      return {
        bytes: Buffer.concat([bytes.subarray(0, at), Buffer.from(s, 'latin1'), bytes.subarray(at)]),
        what: `insert ${JSON.stringify(s)} at ${at}`,
      };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Running

/** Runs `count` seeded inputs (from `start`) of one target; each input in its own file under `dir`. */
export async function fuzzTarget(
  target: FuzzTarget,
  options: {
    seed: number;
    count: number;
    start?: number;
    dir: string;
    onInput?: (index: number, outcome: FuzzOutcome) => void;
  },
): Promise<FuzzCounts> {
  mkdirSync(options.dir, { recursive: true });
  const seeds = await target.seeds(options.dir);
  const counts: FuzzCounts = {
    inputs: 0,
    cleanError: 0,
    accepted: 0,
    silentAcceptance: 0,
    crash: 0,
    hang: 0,
    examples: [],
  };
  const start = options.start ?? 0;
  for (let index = start; index < start + options.count; index++) {
    const { bytes, mutations } = fuzzInput(target, seeds, options.seed, index);
    const file = join(options.dir, `${index}-${target.fileName}`);
    writeFileSync(file, bytes);
    const { outcome, detail } = await classify(target, file, bytes);
    counts.inputs++;
    counts[outcome]++;
    if (
      outcome !== 'cleanError' &&
      outcome !== 'accepted' &&
      counts.examples.filter((e) => e.outcome === outcome).length < 5
    ) {
      counts.examples.push({ index, outcome, mutations, detail: detail.slice(0, 400) });
    }
    rmSync(file, { force: true });
    options.onInput?.(index, outcome);
  }
  return counts;
}

/** Input `index` of a target's run: the same seed and index give the same bytes. */
export function fuzzInput(
  target: FuzzTarget,
  seeds: readonly Uint8Array[],
  seed: number,
  index: number,
): { bytes: Uint8Array; mutations: string[] } {
  const rng = new FuzzRng((seed * 1_000_003 + index * 7919 + hashName(target.name)) >>> 0);
  return mutate(rng.pick(seeds), rng, target.kind, seeds);
}

function hashName(name: string): number {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  return h >>> 0;
}

async function classify(
  target: FuzzTarget,
  file: string,
  bytes: Uint8Array,
): Promise<{ outcome: FuzzOutcome; detail: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'hang'>((resolve) => {
    timer = setTimeout(() => resolve('hang'), target.timeLimitMs);
  });
  try {
    const read = await Promise.race([target.run(file), timeout]);
    if (read === 'hang') return { outcome: 'hang', detail: `no result within ${target.timeLimitMs} ms` };
    const verdict = await target.oracle(bytes, file);
    if (verdict.corrupt) return { outcome: 'silentAcceptance', detail: verdict.why };
    if (
      verdict.expected !== undefined &&
      target.agrees !== undefined &&
      !target.agrees(read, verdict.expected)
    ) {
      return { outcome: 'silentAcceptance', detail: 'the value read differs from the oracle' };
    }
    return { outcome: 'accepted', detail: '' };
  } catch (error) {
    if (target.clean(error, file)) return { outcome: 'cleanError', detail: '' };
    const e = error as Error;
    return { outcome: 'crash', detail: `${e?.name ?? typeof error}: ${e?.message ?? String(error)}` };
  } finally {
    clearTimeout(timer);
  }
}

/** A clean error: one of `names` (error class names) whose message names the file. */
function cleanOf(...names: string[]): (error: unknown, file: string) => boolean {
  return (error, file) =>
    error instanceof Error && names.includes(error.name) && error.message.includes(file);
}

// ---------------------------------------------------------------------------------------------
// Oracles for the text formats, written from their specifications (not from the readers' code).

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Lines of a strict UTF-8 text without control characters, or why not; trailing empty lines dropped. */
function textLines(bytes: Uint8Array): { lines: string[] } | { why: string } {
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    return { why: 'invalid UTF-8' };
  }
  if (text.startsWith('\ufeff')) text = text.slice(1);
  for (const ch of text) {
    const c = ch.codePointAt(0) as number;
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || (c >= 0x7f && c <= 0x9f)) {
      return { why: `control character ${c}` };
    }
  }
  const lines = text.split(/\r\n|\n|\r/);
  while (lines.length > 0 && (lines[lines.length - 1] as string).trim() === '') lines.pop();
  if (lines.some((l) => l.trim() === '')) return { why: 'blank line inside' };
  return { lines };
}

const INT = /^[+-]?[0-9]+$/;
const DECIMAL = /^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$/;

/** DFER-CLIP split list, DFEW layout (7 labels, clip id = last path component), root `/r`. */
function splitListOracle(bytes: Uint8Array): OracleVerdict {
  const t = textLines(bytes);
  if ('why' in t) return { corrupt: true, why: t.why };
  const ids = new Set<string>();
  const expected: string[] = [];
  for (const line of t.lines) {
    const f = line.trim().split(/[ \t]+/);
    if (f.length !== 3) return { corrupt: true, why: 'not 3 fields' };
    const [path, frames, label] = f as [string, string, string];
    if (!INT.test(frames) || Number(frames) < 1) return { corrupt: true, why: `frames ${frames}` };
    if (!INT.test(label) || Number(label) < 0 || Number(label) > 6)
      return { corrupt: true, why: `label ${label}` };
    const parts = path.split(/[\\/]+/).filter((p) => p !== '');
    const id = parts[parts.length - 1];
    if (id === undefined || id === '.' || id === '..') return { corrupt: true, why: `clip dir ${path}` };
    if (ids.has(id)) return { corrupt: true, why: `duplicate ${id}` };
    ids.add(id);
    expected.push(`${id}|${Number(frames)}|${Number(label)}`);
  }
  return { corrupt: false, expected };
}

/** DFEW label CSV: header with video_name and label; names are clip numbers, labels 1–7, ids unique after padding. */
function dfewCsvOracle(bytes: Uint8Array): OracleVerdict {
  const t = textLines(bytes);
  if ('why' in t) return { corrupt: true, why: t.why };
  if (t.lines.some((l) => l.includes('"'))) return { corrupt: true, why: 'quote' };
  const header = (t.lines[0] ?? '').split(',').map((s) => s.trim());
  const nameCol = header.indexOf('video_name');
  const labelCol = header.indexOf('label');
  if (nameCol < 0 || labelCol < 0) return { corrupt: true, why: 'header' };
  const seen = new Set<string>();
  const expected: string[] = [];
  for (const line of t.lines.slice(1)) {
    const f = line.split(',').map((s) => s.trim());
    if (f.length !== header.length) return { corrupt: true, why: 'field count' };
    const name = f[nameCol] as string;
    const label = f[labelCol] as string;
    if (!/^[0-9]+$/.test(name)) return { corrupt: true, why: `name ${name}` };
    if (!INT.test(label) || Number(label) < 1 || Number(label) > 7)
      return { corrupt: true, why: `label ${label}` };
    const id = name.padStart(5, '0');
    if (seen.has(id)) return { corrupt: true, why: `duplicate ${id}` };
    seen.add(id);
    expected.push(`${id}|${Number(label) - 1}`);
  }
  return { corrupt: false, expected };
}

/** BP4D AU occurrence list: 12 space-separated 0/1 per line. */
function bp4dOracle(bytes: Uint8Array): OracleVerdict {
  const t = textLines(bytes);
  if ('why' in t) return { corrupt: true, why: t.why };
  const expected: string[] = [];
  for (const line of t.lines) {
    const f = line.trim().split(/[ \t]+/);
    if (f.length !== 12 || f.some((v) => v !== '0' && v !== '1')) return { corrupt: true, why: 'row' };
    expected.push(f.join(''));
  }
  return { corrupt: false, expected };
}

/** OpenFace FeatureExtraction CSV (OpenFace 2.x output contract). */
function openFaceOracle(bytes: Uint8Array): OracleVerdict {
  const t = textLines(bytes);
  if ('why' in t) return { corrupt: true, why: t.why };
  if (t.lines.some((l) => l.includes('"'))) return { corrupt: true, why: 'quote' };
  const header = (t.lines[0] ?? '').split(',').map((s) => s.trim());
  for (const c of ['frame', 'timestamp', 'confidence', 'success'])
    if (!header.includes(c)) return { corrupt: true, why: `no ${c}` };
  if (new Set(header).size !== header.length) return { corrupt: true, why: 'repeated column' };
  const auCols = header.filter((c) => /^AU[0-9]+_[rc]$/.test(c));
  if (auCols.length === 0) return { corrupt: true, why: 'no AU column' };
  const last = new Map<number, number>();
  const expected: string[] = [];
  for (const line of t.lines.slice(1)) {
    const f = line.split(',').map((s) => s.trim());
    if (f.length !== header.length) return { corrupt: true, why: 'field count' };
    const v = (c: string): number => {
      const s = f[header.indexOf(c)] as string;
      return DECIMAL.test(s) ? Number(s) : Number.NaN;
    };
    for (const [i, c] of header.entries()) {
      const relevant =
        ['frame', 'face_id', 'timestamp', 'confidence', 'success'].includes(c) || auCols.includes(c);
      if (relevant && !Number.isFinite(v(c))) return { corrupt: true, why: `${c} ${f[i]}` };
    }
    const frame = v('frame');
    const face = header.includes('face_id') ? v('face_id') : 0;
    if (!Number.isInteger(frame) || frame < 1 || frame > 2 ** 31 - 1)
      return { corrupt: true, why: `frame ${frame}` };
    if (!Number.isInteger(face) || face < 0 || face > 2 ** 31 - 1)
      return { corrupt: true, why: `face ${face}` };
    if (v('timestamp') < 0) return { corrupt: true, why: 'timestamp' };
    if (v('confidence') < 0 || v('confidence') > 1) return { corrupt: true, why: 'confidence' };
    if (v('success') !== 0 && v('success') !== 1) return { corrupt: true, why: 'success' };
    for (const c of auCols) {
      const x = v(c);
      if (c.endsWith('_r') ? x < 0 || x > 5 : x !== 0 && x !== 1) return { corrupt: true, why: `${c} ${x}` };
    }
    const previous = last.get(face);
    if (previous !== undefined && frame <= previous) return { corrupt: true, why: 'frame order' };
    last.set(face, frame);
    const rs = auCols.filter((c) => c.endsWith('_r')).map((c) => Math.fround(v(c)));
    const cs = auCols.filter((c) => c.endsWith('_c')).map(v);
    expected.push(`${frame}|${face}|${[...rs, ...cs].join(',')}`);
  }
  return { corrupt: false, expected };
}

// ---------------------------------------------------------------------------------------------
// Oracles for the binary formats

const ST_SIZES: Record<string, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
};

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** CRC-32 as PNG defines it (zlib's `crc32` needs Node ≥ 20.15). */
function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = (CRC_TABLE[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** The safetensors specification: header length, UTF-8 JSON object without repeated keys, entries, exact packing. */
function safetensorsOracle(bytes: Uint8Array): OracleVerdict {
  if (bytes.length < 8) return { corrupt: true, why: 'short' };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(bytes.length - 8)) return { corrupt: true, why: 'header length' };
  let text: string;
  try {
    text = UTF8.decode(bytes.subarray(8, 8 + Number(n)));
  } catch {
    return { corrupt: true, why: 'header UTF-8' };
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch {
    return { corrupt: true, why: 'header JSON' };
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header))
    return { corrupt: true, why: 'header object' };
  if (hasRepeatedKey(text)) return { corrupt: true, why: 'repeated key' };
  const data = bytes.length - 8 - Number(n);
  const spans: [number, number][] = [];
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (entry === null || typeof entry !== 'object' || Array.isArray(entry))
        return { corrupt: true, why: 'metadata' };
      if (Object.values(entry).some((v) => typeof v !== 'string'))
        return { corrupt: true, why: 'metadata value' };
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (e === null || typeof e !== 'object' || Array.isArray(e)) return { corrupt: true, why: 'entry' };
    if (Object.keys(e).some((k) => !['dtype', 'shape', 'data_offsets'].includes(k)))
      return { corrupt: true, why: 'entry key' };
    const size = typeof e.dtype === 'string' ? ST_SIZES[e.dtype] : undefined;
    if (size === undefined) return { corrupt: true, why: 'dtype' };
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isSafeInteger(d) && d >= 0))
      return { corrupt: true, why: 'shape' };
    const o = e.data_offsets;
    if (!Array.isArray(o) || o.length !== 2 || !o.every((x) => Number.isSafeInteger(x) && x >= 0))
      return { corrupt: true, why: 'offsets' };
    const [b, end] = o as [number, number];
    const count = (e.shape as number[]).reduce((p, d) => p * d, 1);
    if (b > end || end > data || end - b !== count * size) return { corrupt: true, why: 'span' };
    spans.push([b, end]);
  }
  spans.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let covered = 0;
  for (const [b, end] of spans) {
    if (b !== covered) return { corrupt: true, why: 'gap or overlap' };
    covered = end;
  }
  if (covered !== data) return { corrupt: true, why: 'unused bytes' };
  return { corrupt: false, expected: header };
}

/** Whether a JSON text repeats a key inside one object (JSON.parse keeps the last silently). */
function hasRepeatedKey(text: string): boolean {
  const stack: (Set<string> | null)[] = [];
  const re = /"(?:[^"\\]|\\.)*"|[{}[\]:]/g;
  let previous: string | undefined;
  for (const m of text.matchAll(re)) {
    const token = m[0];
    if (token === '{') stack.push(new Set());
    else if (token === '[') stack.push(null);
    else if (token === '}' || token === ']') stack.pop();
    else if (token === ':' && previous !== undefined && previous.startsWith('"')) {
      const keys = stack[stack.length - 1];
      const key = JSON.parse(previous) as string;
      if (keys) {
        if (keys.has(key)) return true;
        keys.add(key);
      }
    }
    previous = token;
  }
  return false;
}

/** PNG: signature, chunks with valid lengths and CRC-32s, IHDR first, IEND last, IDAT inflating with its Adler-32. */
function pngOracle(bytes: Uint8Array): OracleVerdict {
  const b = Buffer.from(bytes);
  if (b.length < 8 || !b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10])))
    return { corrupt: true, why: 'signature' };
  let at = 8;
  const idat: Buffer[] = [];
  const types: string[] = [];
  while (at < b.length) {
    if (at + 12 > b.length) return { corrupt: true, why: 'chunk header' };
    const len = b.readUInt32BE(at);
    if (at + 12 + len > b.length) return { corrupt: true, why: 'chunk length' };
    const type = b.toString('latin1', at + 4, at + 8);
    if (crc32(b.subarray(at + 4, at + 8 + len)) !== b.readUInt32BE(at + 8 + len))
      return { corrupt: true, why: `CRC of ${type}` };
    if (type === 'IDAT') idat.push(b.subarray(at + 8, at + 8 + len));
    types.push(type);
    at += 12 + len;
    if (type === 'IEND') break;
  }
  if (at !== b.length) return { corrupt: true, why: 'bytes after IEND' };
  if (types[0] !== 'IHDR' || types[types.length - 1] !== 'IEND' || idat.length === 0)
    return { corrupt: true, why: 'chunk order' };
  try {
    const raw = inflateSync(Buffer.concat(idat));
    const w = b.readUInt32BE(16);
    const h = b.readUInt32BE(20);
    if (raw.length !== h * (1 + w * 3) || b[24] !== 8 || b[25] !== 2)
      return { corrupt: true, why: 'image data size' };
    for (let y = 0; y < h; y++)
      if ((raw[y * (1 + w * 3)] as number) > 4) return { corrupt: true, why: 'filter type' };
  } catch {
    return { corrupt: true, why: 'zlib' };
  }
  return { corrupt: false };
}

/**
 * JPEG marker structure (T.81 Annex B): SOI; marker segments (0xFF, marker, 2-byte length ≥ 2 inside the
 * file), fill bytes 0xFF allowed before a marker; a frame header (SOFn) before the first scan; after each
 * SOS, entropy-coded data where 0xFF is followed only by 0x00 (stuffing) or RST0–7 until the next marker;
 * the file ends with EOI, after which anything may follow.
 */
function jpegOracle(bytes: Uint8Array): OracleVerdict {
  const b = bytes;
  if (b[0] !== 0xff || b[1] !== 0xd8) return { corrupt: true, why: 'SOI' };
  let at = 2;
  let sof = false;
  for (;;) {
    if (at + 1 >= b.length) return { corrupt: true, why: 'no EOI' };
    if (b[at] !== 0xff) return { corrupt: true, why: `no marker at ${at}` };
    const marker = b[at + 1] as number;
    if (marker === 0xff) {
      at++;
      continue;
    }
    if (marker === 0xd9) return { corrupt: false };
    const standalone = marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8);
    if (standalone || marker < 0xc0) return { corrupt: true, why: `marker ${marker}` };
    if (at + 4 > b.length) return { corrupt: true, why: 'segment header' };
    const len = ((b[at + 2] as number) << 8) | (b[at + 3] as number);
    if (len < 2 || at + 2 + len > b.length) return { corrupt: true, why: 'segment length' };
    if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) sof = true;
    at += 2 + len;
    if (marker === 0xda) {
      if (!sof) return { corrupt: true, why: 'scan before frame' };
      let i = at;
      for (; i < b.length - 1; i++) {
        if (b[i] !== 0xff) continue;
        const next = b[i + 1] as number;
        if (next !== 0x00 && !(next >= 0xd0 && next <= 0xd7)) break;
      }
      at = i;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Seeds

function rng32(seed: number): () => number {
  const r = new FuzzRng(seed);
  return () => r.next();
}

function splitListSeed(seed: number): Uint8Array {
  const r = rng32(seed);
  const lines = Array.from({ length: 12 }, (_, i) => {
    const id = String(1000 + i * 37 + Math.floor(r() * 30)).padStart(5, '0');
    return `/data/DFEW/Clip/clip_224x224/${id} ${10 + Math.floor(r() * 90)} ${Math.floor(r() * 7)}`;
  });
  return Buffer.from(`${lines.join('\n')}\n`);
}

function dfewCsvSeed(seed: number): Uint8Array {
  const r = rng32(seed);
  const rows = Array.from(
    { length: 12 },
    (_, i) => `${100 + i * 13 + Math.floor(r() * 10)},${1 + Math.floor(r() * 7)}`,
  );
  return Buffer.from(`video_name,label\n${rows.join('\n')}\n`);
}

function bp4dSeed(seed: number): Uint8Array {
  const r = rng32(seed);
  const rows = Array.from({ length: 12 }, () =>
    Array.from({ length: 12 }, () => (r() < 0.3 ? '1' : '0')).join(' '),
  );
  return Buffer.from(`${rows.join('\n')}\n`);
}

function openFaceSeed(seed: number): Uint8Array {
  const r = rng32(seed);
  const header =
    'frame, face_id, timestamp, confidence, success, AU01_r, AU04_r, AU12_r, AU01_c, AU04_c, AU12_c';
  const rows = Array.from({ length: 12 }, (_, i) => {
    const ints = [0, 1, 2].map(() => (r() * 5).toFixed(2));
    const pres = [0, 1, 2].map(() => (r() < 0.4 ? '1' : '0'));
    return [
      i + 1,
      0,
      (i * 0.04).toFixed(2),
      (0.8 + r() * 0.2).toFixed(2),
      r() < 0.9 ? 1 : 0,
      ...ints,
      ...pres,
    ].join(', ');
  });
  return Buffer.from(`${header}\n${rows.join('\n')}\n`);
}

/** Tensors of the fuzzed `loadWeights` model: `Linear(4, 3)`, PyTorch layout (weight [3, 4], bias [3]). */
function weightsSeed(seed: number): Uint8Array {
  const r = rng32(seed);
  const values = (n: number): Float32Array => Float32Array.from({ length: n }, () => r() * 2 - 1);
  return writeSafetensors({
    weight: { dtype: 'F32', shape: [3, 4], data: values(12) },
    bias: { dtype: 'F32', shape: [3], data: values(3) },
  });
}

function safetensorsSeed(seed: number): Uint8Array {
  const r = rng32(seed);
  return writeSafetensors(
    {
      a: { dtype: 'F32', shape: [2, 3], data: Float32Array.from({ length: 6 }, () => r()) },
      b: { dtype: 'I64', shape: [2], data: BigInt64Array.from([1n, BigInt(Math.floor(r() * 100))]) },
      c: { dtype: 'U8', shape: [4], data: Uint8Array.from([1, 2, 3, Math.floor(r() * 255)]) },
    },
    { format: 'pt', seed: String(seed) },
  );
}

/** Y = X · W + B (X [1, 4], W [4, 2] and B [2] as initializers), written with the runtime's ONNX builder. */
function onnxSeed(seed: number): Uint8Array {
  const r = rng32(seed);
  const g = new OnnxGraph('fuzz');
  const x = g.addInput('X', [1, 4]);
  const w = g.addInitializer(
    'W',
    Float32Array.from({ length: 8 }, () => r() * 2 - 1),
    [4, 2],
  );
  const b = g.addInitializer(
    'B',
    Float32Array.from({ length: 2 }, () => r() * 2 - 1),
    [2],
  );
  g.addOutput(g.addNode('Add', [g.addNode('MatMul', [x, w]), b]), 'Y');
  return g.toBytes();
}

/** A 12×8 RGB PNG written here (filter 0 rows, zlib), so the fuzz seeds do not depend on an encoder. */
function pngSeed(seed: number): Uint8Array {
  const r = rng32(seed);
  const w = 12;
  const h = 8;
  const raw = Buffer.alloc(h * (1 + w * 3));
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w * 3; x++) raw[y * (1 + w * 3) + 1 + x] = Math.floor(r() * 256);
  const chunk = (type: string, data: Buffer): Buffer => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function ffmpegSeed(dir: string, name: string, args: string[]): Uint8Array {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, name);
  execFileSync(resolveFfmpeg().path, ['-hide_banner', '-v', 'error', '-f', 'lavfi', ...args, '-y', file]);
  return readFileSync(file);
}

const CONFIG_SEED = {
  name: 'fuzz_config',
  seed: 1,
  engine: { backend: 'cpu' },
  data: { type: 'synthetic_dfer', numClips: 24, numIdentities: 6, size: [16, 16], numFrames: [16, 16] },
  model: { type: 'former_dfer', preset: 'tiny', auHead: false },
  loss: { type: 'cross_entropy' },
  optim: { type: 'adamw', lr: 0.001, weightDecay: 0.05 },
  schedule: { type: 'cosine', warmupEpochs: 1 },
  train: { epochs: 2, batchSize: 4, augment: { flip: 0.5, scale: [0.8, 1], ratio: [0.75, 1.33] } },
  evaluation: { selection: 'validation', validationFraction: 0.1 },
  protocol: { type: 'kfold', folds: 3, only: [1] },
};

// ---------------------------------------------------------------------------------------------
// Targets

const ARRAYS_EQUAL = (read: unknown, expected: unknown): boolean =>
  JSON.stringify(read) === JSON.stringify(expected);

/** The fuzzed readers. `registries` checks config type names (the trainer's registries by default). */
export function fuzzTargets(registries: Parameters<typeof validateConfig>[1] = {}): FuzzTarget[] {
  const text = (
    name: string,
    fileName: string,
    seed: (s: number) => Uint8Array,
    run: (file: string) => unknown,
    oracle: (b: Uint8Array) => OracleVerdict,
  ): FuzzTarget => ({
    name,
    fileName,
    kind: 'text',
    timeLimitMs: 10_000,
    seeds: async () => [1, 2, 3].map(seed),
    run: async (file) => run(file),
    oracle,
    clean: cleanOf('DatasetInputError'),
    agrees: ARRAYS_EQUAL,
  });
  let model: Linear | undefined;
  return [
    text(
      'split list',
      'list.txt',
      splitListSeed,
      (file) =>
        readSplitList(file, { format: 'dfew', root: '/r' }).entries.map(
          (e) => `${e.id}|${e.numFrames}|${e.label}`,
        ),
      splitListOracle,
    ),
    text(
      'DFEW CSV',
      'set_1.csv',
      dfewCsvSeed,
      (file) => readDfewLabelCsv(file).entries.map((e) => `${e.id}|${e.label}`),
      dfewCsvOracle,
    ),
    text(
      'BP4D labels',
      'AUOccur.txt',
      bp4dSeed,
      (file) => {
        const l = readBp4dAuLabels(file);
        return Array.from({ length: l.numFrames }, (_, t) =>
          Array.from(l.labels.subarray(t * 12, t * 12 + 12)).join(''),
        );
      },
      bp4dOracle,
    ),
    text(
      'OpenFace CSV',
      'openface.csv',
      openFaceSeed,
      (file) => {
        const o = readOpenFaceCsv(file);
        const w = o.intensityAus.length;
        const p = o.presenceAus.length;
        return Array.from({ length: o.numFrames }, (_, t) => {
          const values = [
            ...Array.from(o.intensities.subarray(t * w, t * w + w)),
            ...Array.from(o.presences.subarray(t * p, t * p + p)),
          ];
          return `${o.frame[t]}|${o.faceId?.[t] ?? 0}|${values.join(',')}`;
        });
      },
      openFaceOracle,
    ),
    {
      name: 'safetensors',
      fileName: 'weights.safetensors',
      kind: 'binary',
      timeLimitMs: 10_000,
      seeds: async () => [1, 2, 3].map(safetensorsSeed),
      run: async (file) => readSafetensors(readFileSync(file), file),
      oracle: safetensorsOracle,
      clean: cleanOf('SafetensorsError'),
    },
    {
      name: 'loadWeights',
      fileName: 'linear.safetensors',
      kind: 'binary',
      timeLimitMs: 10_000,
      seeds: async () => [1, 2, 3].map(weightsSeed),
      run: async (file) => {
        model ??= new Linear(4, 3, { rng: createRng(0) });
        const before = tf.memory().numTensors;
        await loadWeights(model, file);
        if (tf.memory().numTensors !== before) throw new Error(`${file}: loadWeights leaked tensors`);
        return true;
      },
      oracle: (bytes) => {
        const st = safetensorsOracle(bytes);
        if (st.corrupt) return st;
        const header = st.expected as Record<
          string,
          { dtype: string; shape: number[]; data_offsets: [number, number] }
        >;
        const names = Object.keys(header)
          .filter((k) => k !== '__metadata__')
          .sort();
        if (names.join() !== 'bias,weight') return { corrupt: true, why: `names ${names.join()}` };
        if (header.weight!.shape.join() !== '3,4' || header.bias!.shape.join() !== '3')
          return { corrupt: true, why: 'shapes' };
        if (header.weight!.dtype !== 'F32' || header.bias!.dtype !== 'F32')
          return { corrupt: true, why: 'dtype' };
        const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
        for (const name of names) {
          const [b, e] = header[name]!.data_offsets;
          const data = Buffer.from(bytes.subarray(8 + n + b, 8 + n + e));
          for (let i = 0; i < data.length; i += 4)
            if (!Number.isFinite(data.readFloatLE(i))) return { corrupt: true, why: 'non-finite' };
        }
        return { corrupt: false };
      },
      clean: cleanOf('SafetensorsError', 'Error'),
    },
    {
      name: 'ONNX session',
      fileName: 'model.onnx',
      kind: 'binary',
      timeLimitMs: 15_000,
      seeds: async () => [1, 2, 3].map(onnxSeed),
      run: async (file) => {
        const session = await createSession(file);
        try {
          const out = await runSession(session, {
            X: { data: Float32Array.from([1, -1, 0.5, 2]), dims: [1, 4] },
          });
          return Object.keys(out);
        } finally {
          await session.release();
        }
      },
      // No independent ONNX checker runs in Node: the protobuf wire format admits many byte changes, and
      // what onnxruntime accepts is a valid model. Accepted models must run without crashing.
      oracle: () => ({ corrupt: false }),
      clean: (error, file) =>
        error instanceof Error && (error.message.includes(file) || error.message.startsWith('runSession(')),
    },
    {
      name: 'PNG image',
      fileName: 'frame.png',
      kind: 'binary',
      timeLimitMs: 10_000,
      seeds: async () => [1, 2, 3].map(pngSeed),
      run: async (file) => (await decodeImage(file)).width,
      oracle: pngOracle,
      clean: cleanOf('DatasetInputError'),
    },
    {
      name: 'JPEG image',
      fileName: 'frame.jpg',
      kind: 'binary',
      timeLimitMs: 10_000,
      seeds: async (dir) =>
        [1, 2, 3].map((s) =>
          ffmpegSeed(dir, `seed-${s}.jpg`, [
            '-i',
            `testsrc=size=${16 * s}x16:rate=1`,
            '-frames:v',
            '1',
            '-pix_fmt',
            'yuvj420p',
            '-c:v',
            'mjpeg',
            '-f',
            'image2',
          ]),
        ),
      run: async (file) => (await decodeImage(file)).width,
      oracle: jpegOracle,
      clean: cleanOf('DatasetInputError'),
    },
    {
      name: 'video',
      fileName: 'clip.mp4',
      kind: 'binary',
      timeLimitMs: 30_000,
      seeds: async (dir) =>
        [
          ['mpeg4', 'mp4'],
          ['mpeg2video', 'mpegts'],
          ['mjpeg', 'avi'],
        ].map(([codec, format], s) =>
          ffmpegSeed(dir, `seed-${s}.${format}`, [
            '-i',
            'testsrc=size=32x24:rate=10',
            '-frames:v',
            '8',
            '-c:v',
            codec!,
            '-f',
            format!,
          ]),
        ),
      run: async (file) => {
        const info = await probeVideo(file, { timeoutMs: 20_000 });
        const video = await decodeVideo(file, { size: [12, 16], timeoutMs: 20_000 });
        return [info.numFrames, video.numFrames];
      },
      // Video containers carry no checksums over the coded frames; what ffmpeg reports as damage is an error
      // (tested separately), other changes to coded bytes are not detectable.
      oracle: () => ({ corrupt: false }),
      clean: cleanOf('DatasetInputError'),
    },
    {
      name: 'config file',
      fileName: 'config.json',
      kind: 'text',
      timeLimitMs: 10_000,
      seeds: async () => [
        Buffer.from(`${JSON.stringify(CONFIG_SEED, null, 2)}\n`),
        Buffer.from(JSON.stringify(CONFIG_SEED)),
        Buffer.from(`${JSON.stringify({ ...CONFIG_SEED, protocol: { type: 'fixed' } }, null, 1)}\n`),
      ],
      run: async (file) => {
        const loaded = loadConfigFile(file);
        validateConfig(loaded, registries, file);
        return loaded;
      },
      oracle: (bytes) => {
        let text: string;
        try {
          text = UTF8.decode(bytes);
        } catch {
          return { corrupt: true, why: 'invalid UTF-8' };
        }
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          return { corrupt: true, why: 'not JSON' };
        }
        if (hasRepeatedKey(text)) return { corrupt: true, why: 'repeated key' };
        return { corrupt: false, expected: parsed };
      },
      clean: (error, file) =>
        error instanceof Error &&
        (error instanceof ConfigError
          ? error.message.includes(file)
          : error.name === 'Error' && error.message.includes(file)),
      agrees: ARRAYS_EQUAL,
    },
  ];
}
