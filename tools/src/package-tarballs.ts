/**
 * Builds the npm tarballs of every publishable workspace package (`pnpm pack`, which turns `workspace:*`
 * ranges into real versions) and checks what a consumer would receive:
 *
 * - publint (packaging errors, warnings and suggestions; `strict`),
 * - are-the-types-wrong (types resolve, and match the JavaScript, under `import` and `require` for Node 10,
 *   Node 16 CJS, Node 16 ESM and bundlers),
 * - the file list: no TypeScript build info, no declaration maps (they point at `src/` files that are not
 *   shipped), and every JavaScript source map self-contained (`sourcesContent` for each source).
 *
 * Usage: `tsx tools/src/package-tarballs.ts [--out <dir>] [--no-check]` (the packages must be built), or
 * `tsx tools/src/package-tarballs.ts --check <file.tgz>…` to check tarballs only (one JSON line each).
 * Prints, for each package, the `npm install` line that installs it from the tarballs with the `@dfer`
 * packages it depends on.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join, resolve } from 'node:path';
import { listWorkspacePackages, repoRoot, type WorkspacePackage } from './workspace';

/** One packed package. */
export interface PackedPackage {
  /** npm name, e.g. `@dfer/losses`. */
  name: string;
  /** Absolute path of the `.tgz`. */
  tarball: string;
  /** Names of the `@dfer` packages it depends on at run time, directly or indirectly (sorted). */
  workspaceClosure: string[];
}

/** One file of a tarball. */
export interface TarballEntry {
  /** Path inside the package (without the leading `package/`). */
  path: string;
  content: Buffer;
}

/** The publishable (non-private) packages of the workspace, sorted by folder. */
export function publishablePackages(root: string = repoRoot): WorkspacePackage[] {
  return listWorkspacePackages(root).filter((p) => !p.private);
}

/** Every `@dfer` package that `pkg` needs at run time, directly or through other `@dfer` packages. */
export function workspaceClosure(pkg: WorkspacePackage, all: readonly WorkspacePackage[]): string[] {
  const byName = new Map(all.map((p) => [p.name, p]));
  const seen = new Set<string>();
  const visit = (p: WorkspacePackage): void => {
    for (const dep of Object.keys(p.dependencies)) {
      const target = byName.get(dep);
      if (target === undefined || seen.has(dep)) continue;
      seen.add(dep);
      visit(target);
    }
  };
  visit(pkg);
  return [...seen].sort();
}

/**
 * Packs every publishable package into `outDir` (emptied first) with `pnpm pack`.
 * @throws when a package is not built or `pnpm pack` fails.
 */
export function packWorkspacePackages(outDir: string, root: string = repoRoot): PackedPackage[] {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const all = listWorkspacePackages(root);
  const out: PackedPackage[] = [];
  for (const pkg of publishablePackages(root)) {
    const result = spawnSync('pnpm', ['pack', '--pack-destination', outDir], {
      cwd: pkg.dir,
      encoding: 'utf8',
      timeout: 120_000,
    });
    if (result.error) throw new Error(`pnpm pack in ${pkg.relDir}: ${result.error.message}`);
    if (result.status !== 0) {
      throw new Error(`pnpm pack in ${pkg.relDir} exited with ${result.status}:\n${result.stderr}`);
    }
    const fileName = `${pkg.name.replace(/^@/, '').replace('/', '-')}-${packageVersion(pkg)}.tgz`;
    const tarball = join(outDir, fileName);
    if (!readdirSync(outDir).includes(fileName)) {
      throw new Error(`pnpm pack in ${pkg.relDir} did not write ${fileName} to ${outDir}`);
    }
    out.push({ name: pkg.name, tarball, workspaceClosure: workspaceClosure(pkg, all) });
  }
  return out;
}

function packageVersion(pkg: WorkspacePackage): string {
  const json = JSON.parse(readFileSync(join(pkg.dir, 'package.json'), 'utf8')) as { version: string };
  return json.version;
}

/** The files of a gzipped npm tarball (regular files only), without the leading `package/` folder. */
export function readTarball(tarball: string): TarballEntry[] {
  const data = gunzipSync(readFileSync(tarball));
  const entries: TarballEntry[] = [];
  let offset = 0;
  let longName: string | undefined;
  while (offset + 512 <= data.length) {
    const header = data.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const field = (start: number, length: number): string =>
      header
        .subarray(start, start + length)
        .toString('utf8')
        .replace(/\0.*$/s, '');
    const size = Number.parseInt(field(124, 12).trim() || '0', 8);
    const type = field(156, 1);
    const prefix = field(345, 155);
    const name = longName ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100));
    longName = undefined;
    const body = data.subarray(offset + 512, offset + 512 + size);
    if (type === 'L') longName = body.toString('utf8').replace(/\0.*$/s, '');
    else if (type === '0' || type === '')
      entries.push({ path: name.replace(/^package\//, ''), content: body });
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return entries;
}

/**
 * Problems with the file list of a tarball: build info, declaration maps, and JavaScript source maps that
 * are not self-contained. Empty when the files are fine.
 */
export function fileListProblems(entries: readonly TarballEntry[]): string[] {
  const problems: string[] = [];
  for (const entry of entries) {
    if (entry.path.endsWith('.tsbuildinfo')) problems.push(`${entry.path}: TypeScript build info`);
    else if (entry.path.endsWith('.d.ts.map')) {
      problems.push(`${entry.path}: declaration map (points at src/ files that are not shipped)`);
    } else if (entry.path.endsWith('.js.map')) {
      const map = JSON.parse(entry.content.toString('utf8')) as {
        sources?: string[];
        sourcesContent?: (string | null)[];
      };
      const sources = map.sources ?? [];
      const contents = map.sourcesContent ?? [];
      if (sources.some((_, i) => typeof contents[i] !== 'string')) {
        problems.push(`${entry.path}: source map without sourcesContent (points at unshipped sources)`);
      }
    }
  }
  return problems;
}

/** Problems publint reports for a tarball (every level, strict), as readable lines. */
export async function publintProblems(tarball: string): Promise<string[]> {
  const { publint } = await import('publint');
  const { formatMessage } = await import('publint/utils');
  const buffer = readFileSync(tarball);
  const arrayBuffer = buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength);
  const result = await publint({ pack: { tarball: arrayBuffer }, level: 'suggestion', strict: true });
  return result.messages.map((m) => `${m.type}: ${formatMessage(m, result.pkg) ?? m.code}`);
}

/** Problems are-the-types-wrong reports for a tarball (types under import/require per resolution mode). */
export async function typeResolutionProblems(tarball: string): Promise<string[]> {
  const attw = await import('@arethetypeswrong/core');
  const pkg = attw.createPackageFromTarballData(new Uint8Array(readFileSync(tarball)));
  const result = await attw.checkPackage(pkg);
  if (!result.types) return ['the package ships no types'];
  return result.problems.map((p) => {
    const where = [
      'entrypoint' in p ? p.entrypoint : undefined,
      'resolutionKind' in p ? p.resolutionKind : undefined,
    ]
      .filter((x) => x !== undefined)
      .join(' ');
    return `${p.kind}${where ? ` (${where})` : ''}`;
  });
}

/** All problems of one tarball: file list, publint and type resolution. */
export async function tarballProblems(tarball: string): Promise<string[]> {
  return [
    ...fileListProblems(readTarball(tarball)),
    ...(await publintProblems(tarball)),
    ...(await typeResolutionProblems(tarball)),
  ];
}

/** The `npm install` line that installs `pkg` from the tarballs in `dir` with its `@dfer` dependencies. */
export function npmInstallLine(pkg: PackedPackage, packed: readonly PackedPackage[], dir: string): string {
  const byName = new Map(packed.map((p) => [p.name, p]));
  const files = [...pkg.workspaceClosure, pkg.name].map((name) => {
    const entry = byName.get(name);
    if (entry === undefined) throw new Error(`${pkg.name} depends on ${name}, which was not packed`);
    return join(dir, entry.tarball.split('/').pop()!);
  });
  return `npm install ${files.join(' ')}`;
}

async function main(argv: readonly string[]): Promise<void> {
  if (argv[0] === '--check') {
    // Check the given tarballs only; one JSON line per tarball: { tarball, problems }.
    let failed = 0;
    for (const tarball of argv.slice(1)) {
      const problems = await tarballProblems(tarball);
      failed += problems.length;
      console.log(JSON.stringify({ tarball, problems }));
    }
    if (failed > 0) process.exit(1);
    return;
  }
  const outIndex = argv.indexOf('--out');
  const outDir = resolve(outIndex >= 0 && argv[outIndex + 1] ? argv[outIndex + 1]! : 'dist-packages');
  const packed = packWorkspacePackages(outDir);
  let failed = 0;
  for (const pkg of packed) {
    const problems = argv.includes('--no-check') ? [] : await tarballProblems(pkg.tarball);
    failed += problems.length;
    console.log(
      `${pkg.name}: ${pkg.tarball}${problems.length === 0 ? '' : ` — ${problems.length} problem(s)`}`,
    );
    for (const problem of problems) console.log(`  ${problem}`);
  }
  console.log(`\nInstall one package from these tarballs (its @dfer dependencies included):`);
  for (const pkg of packed) console.log(`  ${npmInstallLine(pkg, packed, outDir)}`);
  if (failed > 0) process.exit(1);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
