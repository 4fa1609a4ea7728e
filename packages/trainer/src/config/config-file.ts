import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { mergeConfigs } from './merge';

/**
 * Config files: JSON objects that may inherit from base files with `"_base": "path"` or
 * `"_base": ["a.json", "b.json"]` (paths relative to the file). Bases are merged in order, then the file
 * itself on top (`mergeConfigs` semantics), mmengine-style. Cycles are an error naming the chain.
 */
export function loadConfigFile(path: string, chain: readonly string[] = []): Record<string, unknown> {
  const full = resolve(path);
  if (chain.includes(full)) throw new Error(`config inheritance cycle: ${[...chain, full].join(' → ')}`);
  if (!existsSync(full)) {
    throw new Error(
      `config file not found: ${full}${chain.length ? ` (a _base of ${chain[chain.length - 1]})` : ''}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(full, 'utf8'));
  } catch (e) {
    throw new Error(`config file ${full}: not valid JSON (${(e as Error).message})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error(`config file ${full}: expected a JSON object at the top level`);
  }
  const { _base, ...own } = parsed as Record<string, unknown>;
  const bases = _base === undefined ? [] : Array.isArray(_base) ? _base : [_base];
  let merged: Record<string, unknown> = {};
  for (const [i, base] of bases.entries()) {
    if (typeof base !== 'string') throw new Error(`config file ${full}: _base[${i}] must be a path string`);
    merged = mergeConfigs(merged, loadConfigFile(resolve(dirname(full), base), [...chain, full]));
  }
  return mergeConfigs(merged, own);
}

/** Folder of the configs shipped with this package (`configs/`). */
export const SHIPPED_CONFIG_DIR = resolve(__dirname, '..', '..', 'configs');
