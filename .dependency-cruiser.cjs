/**
 * Import rules checked by `pnpm cycles` (dependency-cruiser) over every package's and app's `src/` and the
 * repo tools: no import cycle between modules, type-only imports included (a type cycle still ties the files
 * together). The package-level direction of dependencies is `tools/src/boundaries.ts`.
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Modules must not import each other in a cycle (type-only imports count).',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|node_modules|test|fixtures)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.base.json' },
    combinedDependencies: false,
    reporterOptions: { text: { highlightFocused: true } },
  },
};
