/**
 * The native modules of this package, loaded on first use: sharp (libvips) decodes JPEG/PNG frames and
 * `@napi-rs/canvas` (Skia) draws the synthetic faces. Importing `@dfer/datasets` (or any of its entry
 * points) loads neither, so a consumer that only samples, loads or transforms clips never needs them.
 */
import type * as NapiCanvas from '@napi-rs/canvas';
import type Sharp from 'sharp';

let sharpModule: typeof Sharp | undefined;
let canvasModule: typeof NapiCanvas | undefined;

/**
 * sharp, required on the first call.
 *
 * @throws Error naming the package, what needs it and the loader's own message when it cannot be loaded.
 */
export function loadSharp(): typeof Sharp {
  if (sharpModule === undefined) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      sharpModule = require('sharp') as typeof Sharp;
    } catch (error) {
      throw nativeModuleError('sharp', 'decoding JPEG/PNG frames', error);
    }
  }
  return sharpModule;
}

/**
 * `@napi-rs/canvas`, required on the first call.
 *
 * @throws Error naming the package, what needs it and the loader's own message when it cannot be loaded.
 */
export function loadCanvas(): typeof NapiCanvas {
  if (canvasModule === undefined) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      canvasModule = require('@napi-rs/canvas') as typeof NapiCanvas;
    } catch (error) {
      throw nativeModuleError('@napi-rs/canvas', 'drawing the synthetic faces', error);
    }
  }
  return canvasModule;
}

function nativeModuleError(name: string, purpose: string, cause: unknown): Error {
  const reason = (cause as Error | undefined)?.message?.split('\n')[0] ?? String(cause);
  return new Error(
    `@dfer/datasets needs ${name} for ${purpose}, and it could not be loaded (${reason}). ` +
      `It is a dependency of @dfer/datasets with prebuilt binaries per platform: reinstall it for this ` +
      `platform (npm ≥ 11 runs its install script only once approved: npm install-scripts approve).`,
    { cause },
  );
}
