import { spawnSync } from 'node:child_process';

/** What a script required and loaded, from {@link inFreshNode}. */
export interface LoadReport {
  /** Every specifier passed to `require` (through `Module._load`), in order. */
  readonly requested: string[];
  /** Every native addon (`.node` file) opened through `process.dlopen`. */
  readonly addons: string[];
  /** The keys of `require.cache` at the end. */
  readonly cached: string[];
  /** What the script's body returned (through JSON). */
  readonly result: unknown;
}

/**
 * Runs `body` (the body of an async function, with `require` and `Module` in scope; its return value
 * must survive JSON) in a fresh Node process whose working directory is `cwd`, recording every module
 * request (`Module._load`), every native addon opened (`process.dlopen`) and the final `require.cache`.
 * Run inside a package folder, requiring the package by its own name resolves to its built `dist` through
 * its `exports` map, as a consumer's would.
 *
 * @throws Error with the child's stderr when it exits with a non-zero status (or times out).
 */
export function inFreshNode(cwd: string, body: string, timeoutMs = 60_000): LoadReport {
  const script = `
const Module = require('node:module');
const requested = [];
const load = Module._load;
Module._load = function (request, ...rest) { requested.push(request); return load.call(this, request, ...rest); };
const addons = [];
const dlopen = process.dlopen;
process.dlopen = function (module, file, ...rest) { addons.push(String(file)); return dlopen.call(this, module, file, ...rest); };
Promise.resolve().then(async () => { ${body} }).then((result) => {
  console.log(JSON.stringify({ requested, addons, cached: Object.keys(require.cache), result }));
}, (error) => { console.error(error); process.exit(1); });
`;
  const out = spawnSync(process.execPath, ['-e', script], { cwd, encoding: 'utf8', timeout: timeoutMs });
  if (out.status !== 0) {
    throw new Error(`node -e exited with ${out.status ?? out.signal}:\n${out.stderr}`);
  }
  return JSON.parse(out.stdout.trim().split('\n').pop() as string) as LoadReport;
}

/**
 * A prelude for an {@link inFreshNode} body in which `require` of each of `specifiers` fails with Node's
 * own message (`Cannot find module '<specifier>'`), as when the package is not installed.
 */
export function missingModulesPrelude(...specifiers: string[]): string {
  return `
const missing = new Set(${JSON.stringify(specifiers)});
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (missing.has(request)) throw new Error("Cannot find module '" + request + "'");
  return resolve.call(this, request, ...rest);
};
`;
}

/**
 * The native dependencies of the @dfer packages and their platform parts, by specifier or path:
 * onnxruntime-node, sharp (and its `@img/*` binaries), `@napi-rs/canvas`, `@ffmpeg-installer/*`,
 * `@vladmandic/human` (the face models) and the optional `@tensorflow/tfjs-node(-gpu)`.
 */
export const NATIVE_MODULE_PATTERN =
  /(^|[\\/])(onnxruntime-node|onnxruntime-common|sharp|@img|@napi-rs|@ffmpeg-installer|@vladmandic|tfjs-node|tfjs-node-gpu)([\\/]|$)/;

/**
 * The native modules a report shows loaded: requests and cached files matching `pattern`, cached `.node`
 * files and opened addons. Empty when nothing native was loaded.
 */
export function nativeModulesLoaded(report: LoadReport, pattern = NATIVE_MODULE_PATTERN): string[] {
  return [
    ...report.requested.filter((r) => pattern.test(r)),
    ...report.cached.filter((k) => pattern.test(k) || k.endsWith('.node')),
    ...report.addons,
  ];
}
