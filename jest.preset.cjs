// Shared jest configuration for every workspace package (see CONTRIBUTING.md).
// - TypeScript is transpiled by SWC (type checking is `pnpm typecheck`'s job).
// - `@dfer/<name>` resolves to the package's public entry `src/index.ts` (and each subpath entry of its
//   `exports` map to the matching `src/` file), so tests import only public entry points and never need a
//   build first.
// - The environment hands the host realm's typed arrays to the sandbox, so onnxruntime-node accepts
//   tensors created inside tests (fixed once here, not in every test).
const { existsSync, readdirSync, readFileSync } = require('node:fs');
const { join } = require('node:path');

const root = __dirname;

function workspaceEntries() {
  const map = {};
  for (const group of ['packages', 'apps']) {
    const base = join(root, group);
    if (!existsSync(base)) continue;
    for (const dir of readdirSync(base)) {
      const pkgFile = join(base, dir, 'package.json');
      if (!existsSync(pkgFile)) continue;
      const { name, exports } = JSON.parse(readFileSync(pkgFile, 'utf8'));
      map[`^${name.replace('/', '\\/')}$`] = join(base, dir, 'src', 'index.ts');
      // Subpath entries (`@dfer/backbones/nn` → dist/nn/index.d.ts → src/nn/index.ts).
      for (const [subpath, target] of Object.entries(exports ?? {})) {
        const types = typeof target === 'object' && target !== null ? target.types : undefined;
        if (subpath === '.' || typeof types !== 'string') continue;
        const source = types.replace(/^\.\/dist\//, 'src/').replace(/\.d\.ts$/, '.ts');
        map[`^${name.replace('/', '\\/')}/${subpath.slice(2)}$`] = join(base, dir, source);
      }
    }
  }
  return map;
}

module.exports = function jestConfigFor(packageDir) {
  return {
    rootDir: packageDir,
    testEnvironment: join(root, 'packages', 'test-utils', 'jest', 'environment.cjs'),
    roots: ['<rootDir>/src', '<rootDir>/test'].filter((p) => existsSync(p.replace('<rootDir>', packageDir))),
    testMatch: ['**/*.test.ts'],
    transform: {
      '^.+\\.tsx?$': [
        '@swc/jest',
        { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } },
      ],
    },
    moduleNameMapper: workspaceEntries(),
    testTimeout: 120000,
    passWithNoTests: true,
  };
};
