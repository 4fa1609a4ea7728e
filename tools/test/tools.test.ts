import { cpSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runApiReport } from '../src/api-report';
import { checkBoundaries, importsOf } from '../src/boundaries';

/** A small fake workspace: `@dfer/au-knowledge` and `@dfer/datasets → au-knowledge`, both clean. */
function makeTree(): string {
  const root = mkdtempSync(join(tmpdir(), 'dfer-tools-'));
  const pkg = (folder: string, json: object, files: Record<string, string>): void => {
    const dir = join(root, 'packages', folder);
    mkdirSync(join(dir, 'src'), { recursive: true });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `@dfer/${folder}`, ...json }));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, 'src', name), text);
  };
  pkg(
    'au-knowledge',
    {},
    {
      'index.ts': "export { scoreOf } from './score';\nexport const AU_IDS = [1, 2, 4] as const;\n",
      'score.ts':
        '/** doc */\nexport function scoreOf(x: number, scale = 2): number {\n  return x * scale;\n}\n',
    },
  );
  pkg(
    'datasets',
    { dependencies: { '@dfer/au-knowledge': 'workspace:*' } },
    {
      'index.ts':
        "import { scoreOf } from '@dfer/au-knowledge';\nexport const twice = (x: number): number => scoreOf(x);\n",
    },
  );
  return root;
}

describe('boundary check', () => {
  let root: string;
  beforeEach(() => {
    root = makeTree();
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('passes a clean tree', () => {
    expect(checkBoundaries(root)).toEqual([]);
  });

  it('fails on a deep import into another package', () => {
    writeFileSync(
      join(root, 'packages/datasets/src/deep.ts'),
      "export { scoreOf } from '@dfer/au-knowledge/src/score';\n",
    );
    expect(checkBoundaries(root).join('\n')).toMatch(/deep import "@dfer\/au-knowledge\/src\/score"/);
  });

  it('accepts an import of a subpath entry point that the target declares in its exports map', () => {
    writeFileSync(
      join(root, 'packages/datasets/src/extra.ts'),
      "export * from '@dfer/au-knowledge/score';\n",
    );
    expect(checkBoundaries(root).join('\n')).toMatch(/deep import "@dfer\/au-knowledge\/score"/);
    const pkgFile = join(root, 'packages/au-knowledge/package.json');
    const json = JSON.parse(readFileSync(pkgFile, 'utf8')) as Record<string, unknown>;
    writeFileSync(
      pkgFile,
      JSON.stringify({ ...json, exports: { '.': './dist/index.js', './score': './dist/score.js' } }),
    );
    expect(checkBoundaries(root)).toEqual([]);
  });

  it('fails on a relative import that leaves the package', () => {
    writeFileSync(
      join(root, 'packages/datasets/src/rel.ts'),
      "export * from '../../au-knowledge/src/score';\n",
    );
    expect(checkBoundaries(root).join('\n')).toMatch(/leaves packages\/datasets/);
  });

  it('fails on a dependency cycle through devDependencies', () => {
    const file = join(root, 'packages/au-knowledge/package.json');
    writeFileSync(
      file,
      JSON.stringify({ name: '@dfer/au-knowledge', devDependencies: { '@dfer/datasets': '*' } }),
    );
    const problems = checkBoundaries(root).join('\n');
    expect(problems).toMatch(/dependency cycle: @dfer\/au-knowledge → @dfer\/datasets → @dfer\/au-knowledge/);
    expect(problems).toMatch(/contradicts ARCHITECTURE.md/);
  });

  it('fails when au-knowledge gains a runtime dependency', () => {
    const file = join(root, 'packages/au-knowledge/package.json');
    writeFileSync(file, JSON.stringify({ name: '@dfer/au-knowledge', dependencies: { lodash: '^4' } }));
    expect(checkBoundaries(root).join('\n')).toMatch(/must have no runtime dependencies, found lodash/);
  });

  it('fails when a package other than runtime imports onnxruntime-node', () => {
    writeFileSync(
      join(root, 'packages/datasets/src/ort.ts'),
      "import * as ort from 'onnxruntime-node';\nexport { ort };\n",
    );
    expect(checkBoundaries(root).join('\n')).toMatch(/imports onnxruntime-node; only @dfer\/runtime may/);
  });

  it('fails on an import of an undeclared workspace package', () => {
    writeFileSync(join(root, 'packages/au-knowledge/src/x.ts'), "export * from '@dfer/datasets';\n");
    expect(checkBoundaries(root).join('\n')).toMatch(/imports @dfer\/datasets which packages\/au-knowledge/);
  });

  it('checks tools/ like a package: it may use every package, no package may depend on it', () => {
    mkdirSync(join(root, 'tools', 'src'), { recursive: true });
    writeFileSync(
      join(root, 'tools', 'package.json'),
      JSON.stringify({
        name: '@dfer/tools',
        private: true,
        dependencies: { '@dfer/datasets': 'workspace:*' },
      }),
    );
    writeFileSync(
      join(root, 'tools', 'src', 'check.ts'),
      "import { twice } from '@dfer/datasets';\nexport const y = twice(1);\n",
    );
    expect(checkBoundaries(root)).toEqual([]);
    writeFileSync(join(root, 'tools', 'src', 'deep.ts'), "export * from '@dfer/datasets/src/index';\n");
    expect(checkBoundaries(root).join('\n')).toMatch(
      /tools\/src\/deep\.ts: deep import "@dfer\/datasets\/src\/index"/,
    );
    const datasets = join(root, 'packages', 'datasets', 'package.json');
    const json = JSON.parse(readFileSync(datasets, 'utf8')) as Record<string, unknown>;
    writeFileSync(datasets, JSON.stringify({ ...json, devDependencies: { '@dfer/tools': 'workspace:*' } }));
    expect(checkBoundaries(root).join('\n')).toMatch(
      /@dfer\/datasets → @dfer\/tools contradicts ARCHITECTURE\.md/,
    );
  });

  it('reads static, type-only, dynamic and require imports', () => {
    const text = [
      "import a from 'a';",
      "import type { B } from 'b';",
      "export * from './c';",
      "const d = require('d');",
      "const e = await import('e');",
      "import 'f';",
    ].join('\n');
    expect(importsOf(text)).toEqual(['a', 'b', './c', 'd', 'e', 'f']);
  });
});

describe('API report', () => {
  let root: string;
  beforeEach(() => {
    root = makeTree();
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('lists every export with its signature', () => {
    runApiReport(root, 'write');
    const report = readFileSync(join(root, 'api/au-knowledge.api.md'), 'utf8');
    expect(report).toContain('function scoreOf(x: number, scale?: number): number');
    expect(report).toContain('const AU_IDS: readonly [1, 2, 4]');
    expect(runApiReport(root, 'check')).toEqual([]);
  });

  it('fails the check when an exported signature changes', () => {
    runApiReport(root, 'write');
    writeFileSync(
      join(root, 'packages/au-knowledge/src/score.ts'),
      'export function scoreOf(x: number, scale: string): number {\n  return x * Number(scale);\n}\n',
    );
    expect(runApiReport(root, 'check')).toEqual([join(root, 'api/au-knowledge.api.md')]);
  });

  it('fails the check when a new export is added without updating the report', () => {
    runApiReport(root, 'write');
    const copy = mkdtempSync(join(tmpdir(), 'dfer-tools-copy-'));
    cpSync(root, copy, { recursive: true });
    writeFileSync(join(copy, 'packages/datasets/src/index.ts'), 'export const added = 1;\n');
    expect(runApiReport(copy, 'check')).toEqual([join(copy, 'api/datasets.api.md')]);
    rmSync(copy, { recursive: true, force: true });
  });
});
