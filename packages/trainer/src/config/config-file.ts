import {
  closeSync,
  constants,
  existsSync,
  fstatSync,
  openSync,
  readSync,
  realpathSync,
  statSync,
} from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { isPathInside } from '@dfer/datasets/annotations';
import { parseJsonText } from '@dfer/runtime';
import { mergeConfigs } from './merge';

/** Folder of the configs shipped with this package (`configs/`). */
export const SHIPPED_CONFIG_DIR = resolve(__dirname, '..', '..', 'configs');

/** Per-call options of {@link loadConfigFile}. */
export interface LoadConfigFileOptions {
  /**
   * Folder every `_base` must lie inside (after following symbolic links), besides
   * {@link SHIPPED_CONFIG_DIR}. Default: the folder of the file given to `loadConfigFile`. Give the
   * configs' top folder for the mmengine layout (`configs/exp/a.json` naming `../_base/model.json`).
   */
  readonly root?: string;
  /** Largest config file read, in bytes (default 1 MiB); a larger file is refused before reading. */
  readonly maxBytes?: number;
  /** Deepest nesting of objects and arrays in one file (default 64). */
  readonly maxDepth?: number;
}

/** Default {@link LoadConfigFileOptions.maxBytes}: 1 MiB. */
export const CONFIG_FILE_MAX_BYTES = 1_048_576;
/** Default {@link LoadConfigFileOptions.maxDepth}. */
export const CONFIG_FILE_MAX_DEPTH = 64;

interface Limits {
  readonly roots: readonly { readonly name: string; readonly path: string }[];
  readonly maxBytes: number;
  readonly maxDepth: number;
}

/**
 * Config files: JSON objects that may inherit from base files with `"_base": "path"` or
 * `"_base": ["a.json", "b.json"]` (paths relative to the file). Bases are merged in order, then the file
 * itself on top (`mergeConfigs` semantics), mmengine-style. Cycles are an error naming the chain. Relative
 * data paths ({@link CONFIG_PATH_FIELDS}: `data.root`, `data.listDir`, `data.aus.dir`, `data.aus.file`) are
 * resolved against the folder of the file that writes them, like `_base`.
 *
 * Config files are treated as untrusted input:
 * - every `_base` must resolve, after following symbolic links, inside `options.root` (default: the
 *   folder of `path`, subfolders included) or inside {@link SHIPPED_CONFIG_DIR}; any other path
 *   (`/etc/passwd`, `../../x.json`, a link out of the folder) is an error and is never opened;
 * - a file that is not a regular file (FIFO, device, folder) or is larger than `options.maxBytes`
 *   (default 1 MiB) is refused before it is read;
 * - nesting deeper than `options.maxDepth` (default 64) is an error naming the file and line;
 * - a key repeated in one object is an error naming the file, key and line (JSON.parse keeps the last);
 * - an error about invalid JSON names the file and the place but never repeats its content.
 *
 * @throws Error naming the file (and the config that names it as a `_base`) and what was expected.
 */
export function loadConfigFile(path: string, options: LoadConfigFileOptions = {}): Record<string, unknown> {
  const maxBytes = options.maxBytes ?? CONFIG_FILE_MAX_BYTES;
  const maxDepth = options.maxDepth ?? CONFIG_FILE_MAX_DEPTH;
  if (!(Number.isSafeInteger(maxBytes) && maxBytes > 0))
    throw new RangeError(`loadConfigFile: options.maxBytes must be a positive integer, got ${maxBytes}`);
  if (!(Number.isSafeInteger(maxDepth) && maxDepth > 0))
    throw new RangeError(`loadConfigFile: options.maxDepth must be a positive integer, got ${maxDepth}`);
  const full = resolve(path);
  const roots = [
    { name: 'the config folder', path: resolve(options.root ?? dirname(full)) },
    { name: 'the shipped configs', path: SHIPPED_CONFIG_DIR },
  ];
  return loadTree(full, [], { roots, maxBytes, maxDepth });
}

function loadTree(full: string, chain: readonly string[], limits: Limits): Record<string, unknown> {
  if (chain.includes(full)) throw new Error(`config inheritance cycle: ${[...chain, full].join(' → ')}`);
  const parent = chain[chain.length - 1];
  const namedBy = parent === undefined ? '' : ` (a _base of ${parent})`;
  if (!existsSync(full)) throw new Error(`config file not found: ${full}${namedBy}`);
  const text = readConfigText(full, namedBy, limits.maxBytes);
  checkDepth(text, full, limits.maxDepth);
  const parsed = parseJsonText(text, `config file ${full}`);
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error(`config file ${full}: expected a JSON object at the top level`);
  }
  checkRepeatedKeys(text, full);
  const { _base, ...own } = resolveConfigPaths(parsed as Record<string, unknown>, dirname(full));
  const bases = _base === undefined ? [] : Array.isArray(_base) ? _base : [_base];
  let merged: Record<string, unknown> = {};
  for (const [i, base] of bases.entries()) {
    if (typeof base !== 'string') throw new Error(`config file ${full}: _base[${i}] must be a path string`);
    const target = resolve(dirname(full), base);
    checkBaseInside(full, base, target, limits);
    merged = mergeConfigs(merged, loadTree(target, [...chain, full], limits));
  }
  return mergeConfigs(merged, own);
}

/**
 * Fields of a config that hold file or folder paths. A relative path written in a config file is relative
 * to that file's folder (as `_base` is), so a config works from any working directory; `--set` values are
 * relative to the working directory.
 */
export const CONFIG_PATH_FIELDS: readonly string[] = [
  'data.root',
  'data.listDir',
  'data.aus.dir',
  'data.aus.file',
];

/** A copy of `config` with the relative {@link CONFIG_PATH_FIELDS} made absolute against `folder`. */
function resolveConfigPaths(config: Record<string, unknown>, folder: string): Record<string, unknown> {
  const copy = (node: Record<string, unknown>, path: readonly string[]): Record<string, unknown> => {
    const [head, ...rest] = path as [string, ...string[]];
    const value = node[head];
    if (rest.length === 0) {
      return typeof value === 'string' && value !== '' && !isAbsolute(value)
        ? { ...node, [head]: resolve(folder, value) }
        : node;
    }
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? { ...node, [head]: copy(value as Record<string, unknown>, rest) }
      : node;
  };
  return CONFIG_PATH_FIELDS.reduce((c, field) => copy(c, field.split('.')), config);
}

function realOrSelf(path: string): string {
  try {
    return realpathSync.native(path);
  } catch {
    return path;
  }
}

/** A `_base` must lie inside one of the allowed roots, both as written and after following links. */
function checkBaseInside(file: string, written: string, target: string, limits: Limits): void {
  const allowed = limits.roots.map((r) => `${r.name} ${r.path}`).join(' and ');
  const refuse = (resolved: string): never => {
    throw new Error(
      `config file ${file}: _base ${JSON.stringify(written)} resolves to ${resolved}, outside ${allowed}; a _base must lie inside one of them (options.root)`,
    );
  };
  if (!limits.roots.some((r) => isPathInside(target, r.path))) refuse(target);
  if (!existsSync(target)) return; // reported as "not found" by the caller
  const real = realpathSync.native(target);
  if (!limits.roots.some((r) => isPathInside(real, realOrSelf(r.path))))
    refuse(`${target}, a link to ${real}`);
}

/** Reads a regular file of at most `maxBytes` bytes without blocking on FIFOs or devices. */
function readConfigText(full: string, namedBy: string, maxBytes: number): string {
  if (!statSync(full).isFile()) throw new Error(`config file ${full}: not a regular file${namedBy}`);
  // O_NONBLOCK: should the file be swapped for a FIFO after the check, opening it does not wait for a writer
  const fd = openSync(full, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new Error(`config file ${full}: not a regular file${namedBy}`);
    if (stat.size > maxBytes) {
      throw new Error(
        `config file ${full}: ${stat.size} bytes, more than the ${maxBytes}-byte limit (options.maxBytes)${namedBy}`,
      );
    }
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > maxBytes) {
        throw new Error(
          `config file ${full}: more than the ${maxBytes}-byte limit (options.maxBytes)${namedBy}`,
        );
      }
    }
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(buffer.subarray(0, length));
    } catch {
      throw new Error(`config file ${full}: not valid UTF-8 text${namedBy}`);
    }
  } finally {
    closeSync(fd);
  }
}

/** Throws when objects/arrays nest deeper than `maxDepth` (checked on the text, before parsing). */
function checkDepth(text: string, file: string, maxDepth: number): void {
  let depth = 0;
  let line = 1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) line++;
    if (inString) {
      if (c === 92)
        i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > maxDepth) {
        throw new Error(
          `config file ${file}: nesting deeper than ${maxDepth} levels at line ${line} (options.maxDepth)`,
        );
      }
    } else if (c === 125 || c === 93) depth--;
  }
}

/**
 * Throws when a key appears twice in one object (JSON.parse would keep the last one silently). `text` is
 * valid JSON, so strings, brackets and colons can be told apart by a tokenizer.
 */
function checkRepeatedKeys(text: string, file: string): void {
  const objects: (Set<string> | undefined)[] = [];
  let previous: string | undefined;
  for (const match of text.matchAll(/"(?:[^"\\]|\\.)*"|[{}[\]:]/g)) {
    const token = match[0];
    if (token === '{') objects.push(new Set());
    else if (token === '[') objects.push(undefined);
    else if (token === '}' || token === ']') objects.pop();
    else if (token === ':' && previous?.startsWith('"')) {
      const keys = objects[objects.length - 1];
      const key = JSON.parse(previous) as string;
      if (keys?.has(key)) {
        const line = text.slice(0, match.index).split('\n').length;
        throw new Error(
          `config file ${file}: key ${JSON.stringify(key)} appears twice in one object (line ${line})`,
        );
      }
      keys?.add(key);
    }
    previous = token;
  }
}
