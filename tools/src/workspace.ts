import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

/** One workspace package as the repo tools see it. */
export interface WorkspacePackage {
  /** npm name, e.g. `@dfer/losses`. */
  name: string;
  /** Folder name, e.g. `losses`. */
  folder: string;
  /** Absolute directory. */
  dir: string;
  /** Directory relative to the repository root, e.g. `packages/losses`. */
  relDir: string;
  private: boolean;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
}

/** The repository root (two levels above this file). */
export const repoRoot = resolve(__dirname, '..', '..');

/** The workspace package in `dir` (a folder with a package.json) of the repository at `root`. */
export function readWorkspacePackage(root: string, dir: string): WorkspacePackage {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
  return {
    name: String(pkg.name),
    folder: relative(join(dir, '..'), dir),
    dir,
    relDir: relative(root, dir),
    private: pkg.private === true,
    dependencies: (pkg.dependencies as Record<string, string>) ?? {},
    devDependencies: (pkg.devDependencies as Record<string, string>) ?? {},
    peerDependencies: (pkg.peerDependencies as Record<string, string>) ?? {},
  };
}

/**
 * Every package under `packages/` and `apps/` of `root`, sorted by folder; with `includeTools`, also the
 * repository tooling package in `tools/` (last).
 */
export function listWorkspacePackages(
  root: string = repoRoot,
  options: { readonly includeTools?: boolean } = {},
): WorkspacePackage[] {
  const out: WorkspacePackage[] = [];
  for (const group of ['packages', 'apps']) {
    const base = join(root, group);
    if (!existsSync(base)) continue;
    for (const folder of readdirSync(base).sort()) {
      if (existsSync(join(base, folder, 'package.json')))
        out.push(readWorkspacePackage(root, join(base, folder)));
    }
  }
  const tools = join(root, 'tools');
  if (options.includeTools && existsSync(join(tools, 'package.json')))
    out.push(readWorkspacePackage(root, tools));
  return out;
}

/** All `.ts` files below `dir`, recursively, sorted, skipping `node_modules` and `dist`. */
export function listTypeScriptFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist') continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listTypeScriptFiles(full));
    else if (entry.name.endsWith('.ts')) out.push(full);
  }
  return out.sort();
}
