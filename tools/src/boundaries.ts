/**
 * Package boundary check. Fails on:
 *  - a deep import into another package (`@dfer/x/src/...` — anything but an entry point of its `exports` map —,
 *    or a relative path leaving the package);
 *  - an import of a workspace package that is not declared in package.json;
 *  - a dependency cycle between workspace packages (devDependencies included);
 *  - an edge that ARCHITECTURE.md does not allow (see `ALLOWED_EDGES`), e.g. au-knowledge depending on
 *    anything at run time;
 *  - a package other than runtime importing onnxruntime-node.
 *
 * The repository tooling in `tools/` is checked like a package (it may use every package, none may use it).
 *
 *   pnpm boundaries                          # this repository
 *   tsx tools/src/boundaries.ts --root <dir> # another tree (used by the tests)
 */
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { listTypeScriptFiles, listWorkspacePackages, repoRoot, type WorkspacePackage } from './workspace';

/**
 * Which workspace packages each package may depend on (dependencies and devDependencies), from
 * ARCHITECTURE.md. `@dfer/test-utils` may additionally be a devDependency of any package.
 */
export const ALLOWED_EDGES: Readonly<Record<string, readonly string[]>> = {
  '@dfer/au-knowledge': [],
  '@dfer/test-utils': [],
  '@dfer/runtime': [],
  '@dfer/datasets': ['@dfer/au-knowledge'],
  '@dfer/losses': ['@dfer/au-knowledge', '@dfer/runtime'],
  '@dfer/backbones': ['@dfer/runtime'],
  '@dfer/faces': ['@dfer/runtime', '@dfer/datasets', '@dfer/au-knowledge'],
  '@dfer/trainer': [
    '@dfer/au-knowledge',
    '@dfer/runtime',
    '@dfer/losses',
    '@dfer/backbones',
    '@dfer/datasets',
    '@dfer/faces',
  ],
  // The repository tooling (API report, this check, the tarball check, the docs tests) may use every package;
  // no package may depend on it.
  '@dfer/tools': [
    '@dfer/au-knowledge',
    '@dfer/test-utils',
    '@dfer/runtime',
    '@dfer/datasets',
    '@dfer/losses',
    '@dfer/backbones',
    '@dfer/faces',
    '@dfer/trainer',
    '@dfer/bench',
  ],
  '@dfer/bench': [
    '@dfer/trainer',
    '@dfer/faces',
    '@dfer/au-knowledge',
    '@dfer/runtime',
    '@dfer/losses',
    '@dfer/backbones',
    '@dfer/datasets',
  ],
};

/** The private test helper package: every package may list it in devDependencies, none in dependencies. */
const TEST_UTILS = '@dfer/test-utils';
/** Packages allowed to have runtime (non-dev, non-peer) dependencies of any kind. */
const ZERO_RUNTIME_DEPENDENCIES = new Set(['@dfer/au-knowledge']);
/** The only package that may import onnxruntime-node. */
const ONNXRUNTIME_OWNER = '@dfer/runtime';

const IMPORT_PATTERN =
  /(?:import|export)\s+(?:type\s+)?(?:[^'"]*?\s+from\s+)?['"]([^'"]+)['"]|(?:require|import)\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Module specifiers imported by a TypeScript source text. */
export function importsOf(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT_PATTERN)) out.push((m[1] ?? m[2])!);
  return out;
}

function workspaceEdges(pkg: WorkspacePackage, names: Set<string>): string[] {
  return [...Object.keys(pkg.dependencies), ...Object.keys(pkg.devDependencies)].filter((d) => names.has(d));
}

function findCycles(packages: WorkspacePackage[]): string[][] {
  const names = new Set(packages.map((p) => p.name));
  const graph = new Map(packages.map((p) => [p.name, workspaceEdges(p, names)]));
  const cycles: string[][] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'visiting');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'visiting') cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const name of [...graph.keys()].sort()) if (!state.has(name)) visit(name);
  return cycles;
}

/** Every boundary violation in the tree at `root`, as human-readable lines (empty when clean). */
export function checkBoundaries(root: string): string[] {
  const packages = listWorkspacePackages(root, { includeTools: true });
  // The entry points of each package: its `exports` map keys (`.`, `./nn`, …).
  const entryPoints = new Map(
    packages.map((p) => {
      const json = JSON.parse(readFileSync(join(p.dir, 'package.json'), 'utf8')) as { exports?: object };
      return [p.name, new Set(Object.keys(json.exports ?? { '.': '' }))] as const;
    }),
  );
  const names = new Set(packages.map((p) => p.name));
  const problems: string[] = [];

  for (const pkg of packages) {
    const allowed = ALLOWED_EDGES[pkg.name];
    const edges = workspaceEdges(pkg, names);
    if (allowed === undefined) {
      problems.push(`${pkg.relDir}/package.json: ${pkg.name} is not in the architecture's table of packages`);
    } else {
      for (const dep of edges) {
        const testHelper = dep === TEST_UTILS && dep in pkg.devDependencies && !(dep in pkg.dependencies);
        if (!allowed.includes(dep) && !testHelper) {
          problems.push(
            `${pkg.relDir}/package.json: ${pkg.name} → ${dep} contradicts ARCHITECTURE.md (allowed: ${allowed.join(', ') || 'none'})`,
          );
        }
      }
    }
    if (ZERO_RUNTIME_DEPENDENCIES.has(pkg.name) && Object.keys(pkg.dependencies).length > 0) {
      problems.push(
        `${pkg.relDir}/package.json: ${pkg.name} must have no runtime dependencies, found ${Object.keys(pkg.dependencies).join(', ')}`,
      );
    }
    if (pkg.name !== ONNXRUNTIME_OWNER && 'onnxruntime-node' in pkg.dependencies) {
      problems.push(`${pkg.relDir}/package.json: only ${ONNXRUNTIME_OWNER} may depend on onnxruntime-node`);
    }

    const declared = new Set([
      ...Object.keys(pkg.dependencies),
      ...Object.keys(pkg.devDependencies),
      ...Object.keys(pkg.peerDependencies),
    ]);
    // tools/test holds this check's own fixtures of forbidden imports (as strings): only tools/src is scanned.
    const scanned = pkg.relDir === 'tools' ? ['src'] : ['src', 'test'];
    for (const file of scanned.flatMap((folder) => listTypeScriptFiles(join(pkg.dir, folder)))) {
      const rel = relative(root, file);
      const isSource = file.startsWith(join(pkg.dir, 'src') + sep);
      importsOf(readFileSync(file, 'utf8')).forEach((spec) => {
        if (spec.startsWith('.')) {
          const target = resolve(dirname(file), spec);
          if (!(target + sep).startsWith(pkg.dir + sep)) {
            problems.push(
              `${rel}: relative import "${spec}" leaves ${pkg.relDir}; import the package's public entry`,
            );
          }
          return;
        }
        if (spec === 'onnxruntime-node' && pkg.name !== ONNXRUNTIME_OWNER) {
          problems.push(
            `${rel}: imports onnxruntime-node; only ${ONNXRUNTIME_OWNER} may (use its inference API)`,
          );
        }
        const wsMatch = /^(@dfer\/[^/]+)(\/.*)?$/.exec(spec);
        if (!wsMatch) return;
        const [, target, subpath] = wsMatch;
        if (subpath !== undefined && !entryPoints.get(target!)?.has(`.${subpath}`)) {
          const entries = [...(entryPoints.get(target!) ?? [])].map((e) => `"${target}${e.slice(1)}"`);
          problems.push(
            `${rel}: deep import "${spec}"; import one of ${target}'s entry points (${entries.join(', ') || `"${target}"`}) instead`,
          );
        }
        if (target !== pkg.name && !declared.has(target!)) {
          problems.push(`${rel}: imports ${target} which ${pkg.relDir}/package.json does not declare`);
        }
        if (
          isSource &&
          target !== pkg.name &&
          target! in pkg.devDependencies &&
          !(target! in pkg.dependencies)
        ) {
          problems.push(`${rel}: source imports ${target}, which is only a devDependency`);
        }
      });
    }
  }

  for (const cycle of findCycles(packages)) problems.push(`dependency cycle: ${cycle.join(' → ')}`);
  return problems;
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const rootIndex = args.indexOf('--root');
  const root = rootIndex >= 0 ? resolve(args[rootIndex + 1]!) : repoRoot;
  const problems = checkBoundaries(root);
  if (problems.length > 0) {
    console.error(
      `boundary check failed (${problems.length} problem(s)):\n${problems.map((p) => `  ${p}`).join('\n')}`,
    );
    process.exit(1);
  }
  console.log(
    `boundary check passed (${listWorkspacePackages(root, { includeTools: true }).length} packages)`,
  );
}
