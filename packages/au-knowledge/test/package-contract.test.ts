import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

// The package is browser-safe and dependency-free: src imports only its own files.
const root = join(__dirname, '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('package contract', () => {
  it('has zero runtime dependencies', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(pkg.dependencies ?? {}).toEqual({});
    expect(pkg.peerDependencies ?? {}).toEqual({});
  });

  it('imports nothing but its own modules in src (no fs, no node: modules)', () => {
    const files = sourceFiles(join(root, 'src'));
    expect(files.length).toBeGreaterThan(5);
    const bad: string[] = [];
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      const specifiers = [
        ...text.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+['"]([^'"]+)['"]/gm),
        ...text.matchAll(/^import\s+['"]([^'"]+)['"]/gm),
        ...text.matchAll(/\b(?:require|import)\(\s*['"]([^'"]+)['"]/g),
      ];
      for (const m of specifiers) {
        const specifier = m[1] ?? '';
        // Only relative imports that stay inside src/.
        const inside =
          /^\.\.?\//.test(specifier) && resolve(dirname(file), specifier).startsWith(join(root, 'src'));
        if (!inside) bad.push(`${file}: ${specifier}`);
      }
      if (/\bprocess\.|__dirname|\bBuffer\b/.test(text)) bad.push(`${file}: uses a Node global`);
    }
    expect(bad).toEqual([]);
  });
});
