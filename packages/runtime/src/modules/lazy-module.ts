/**
 * Native (and other heavy) dependencies loaded on first use, so that importing a package's entry point
 * loads none of them: a consumer that never calls the function needing one never pays for it and never
 * needs it installed.
 */

/** What {@link lazyModule} loads and why, for the error thrown when it cannot be loaded. */
export interface LazyModuleSpec {
  /** The package required, e.g. `'sharp'`. */
  readonly name: string;
  /** The package whose function needs it, e.g. `'@dfer/faces'`. */
  readonly neededBy: string;
  /** What it is needed for, e.g. `'encoding face crops as JPEG'`. */
  readonly purpose: string;
  /**
   * How to repair the installation. Default: it is a dependency of `neededBy` with prebuilt binaries per
   * platform, to reinstall for this platform.
   */
  readonly remedy?: string;
}

/**
 * Returns a function that runs `load` on its first call and returns the same module on every later
 * call. `load` is the caller's own `() => require('name')`, so the package resolves from the caller's
 * folder (its own dependency) and stays visible to bundlers. A failed load is not cached: the next call
 * tries again.
 *
 * @example
 * ```ts
 * import type Sharp from 'sharp';
 * const loadSharp = lazyModule(() => require('sharp') as typeof Sharp, {
 *   name: 'sharp', neededBy: '@dfer/faces', purpose: 'encoding face crops as JPEG',
 * });
 * const jpeg = await loadSharp()(pixels, { raw: { width, height, channels: 3 } }).jpeg().toBuffer();
 * ```
 *
 * @throws Error (from the returned function) `"<neededBy> needs <name> for <purpose>, and it could not be
 * loaded (<the loader's first message line>). <remedy>"`, with the loader's error as `cause`.
 */
export function lazyModule<T>(load: () => T, spec: LazyModuleSpec): () => T {
  let loaded: { readonly module: T } | undefined;
  return () => {
    if (loaded === undefined) {
      try {
        loaded = { module: load() };
      } catch (error) {
        throw lazyModuleError(spec, error);
      }
    }
    return loaded.module;
  };
}

function lazyModuleError(spec: LazyModuleSpec, cause: unknown): Error {
  const reason = (cause as Error | undefined)?.message?.split('\n')[0] ?? String(cause);
  const remedy =
    spec.remedy ??
    `It is a dependency of ${spec.neededBy} with prebuilt binaries per platform: reinstall it for this platform.`;
  return new Error(
    `${spec.neededBy} needs ${spec.name} for ${spec.purpose}, and it could not be loaded (${reason}). ${remedy}`,
    { cause },
  );
}
