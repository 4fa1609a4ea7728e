import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { sharedDataPath } from '@dfer/test-utils';
import {
  fileListProblems,
  packWorkspacePackages,
  readTarball,
  type PackedPackage,
} from '../src/package-tarballs';

/**
 * What an npm consumer receives: the tarballs of every publishable package are built with `pnpm pack`,
 * checked (publint, are-the-types-wrong, no build info or dangling maps), installed with plain `npm` into an
 * empty project (as `docs/install.md` says), and the examples of `docs/use-one-package.md` run there both
 * as CommonJS (`.ts`) and as ES modules (`.mts`), and type-check under `module: node16` in both forms.
 */

const root = resolve(__dirname, '..', '..');
const tsx = join(root, 'node_modules', '.bin', 'tsx');
const tsc = join(root, 'node_modules', '.bin', 'tsc');
const npmEnv = { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip', npm_config_fund: 'false' };

/** The registry must be reachable for the consumer install (third-party dependencies come from npm). */
const registryReachable =
  spawnSync('npm', ['ping'], { encoding: 'utf8', timeout: 20_000, env: npmEnv }).status === 0;

let outDir = '';
let packed: PackedPackage[] = [];

beforeAll(() => {
  outDir = mkdtempSync(join(tmpdir(), 'dfer-tarballs-'));
  packed = packWorkspacePackages(outDir);
}, 180_000);

afterAll(() => {
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

describe('package tarballs', () => {
  it('packs every publishable package, including the trainer with its configs', () => {
    const names = packed.map((p) => p.name);
    expect(names).toEqual(
      expect.arrayContaining([
        '@dfer/au-knowledge',
        '@dfer/backbones',
        '@dfer/datasets',
        '@dfer/losses',
        '@dfer/runtime',
        '@dfer/trainer',
      ]),
    );
    const trainer = readTarball(packed.find((p) => p.name === '@dfer/trainer')!.tarball).map((e) => e.path);
    expect(trainer).toContain('dist/cli.js');
    expect(trainer).toContain('bin/dfer.cjs');
    expect(trainer.some((p) => p.startsWith('configs/'))).toBe(true);
    expect(trainer).not.toContain('dist/.tsbuildinfo');
    // Subpath entries ship with their node10 stub folders (`"main"`/`"types"` into dist/).
    const datasets = readTarball(packed.find((p) => p.name === '@dfer/datasets')!.tarball).map((e) => e.path);
    for (const entry of ['synthetic', 'media', 'annotations']) {
      expect(datasets).toContain(`${entry}/package.json`);
      expect(datasets).toContain(`dist/${entry}/index.js`);
      expect(datasets).toContain(`dist/${entry}/index.d.ts`);
    }
  });

  it('has no packaging, type-resolution or file-list problems', () => {
    // publint and are-the-types-wrong are ES modules, which jest cannot load here: check in a child process.
    const result = spawnSync(
      tsx,
      [join(root, 'tools', 'src', 'package-tarballs.ts'), '--check', ...packed.map((p) => p.tarball)],
      { encoding: 'utf8', timeout: 120_000 },
    );
    const reports = result.stdout
      .trim()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { tarball: string; problems: string[] });
    expect(reports).toHaveLength(packed.length);
    expect(reports.flatMap((r) => r.problems.map((p) => `${r.tarball}: ${p}`))).toEqual([]);
    expect(result.status).toBe(0);
  }, 120_000);

  it('the file-list check catches build info, declaration maps and maps without sources', () => {
    const map = (body: object) => Buffer.from(JSON.stringify(body));
    expect(
      fileListProblems([
        { path: 'dist/.tsbuildinfo', content: Buffer.from('{}') },
        { path: 'dist/index.d.ts.map', content: Buffer.from('{}') },
        { path: 'dist/a.js.map', content: map({ sources: ['../src/a.ts'] }) },
        { path: 'dist/b.js.map', content: map({ sources: ['../src/b.ts'], sourcesContent: ['x'] }) },
      ]),
    ).toEqual([
      'dist/.tsbuildinfo: TypeScript build info',
      'dist/index.d.ts.map: declaration map (points at src/ files that are not shipped)',
      'dist/a.js.map: source map without sourcesContent (points at unshipped sources)',
    ]);
  });
});

const openFaceCsv = sharedDataPath('media', 'OpenFace_Test.csv');
const examples = ['au-knowledge-priors', 'au-dfer-loss-loop', 'onnx-inference', 'score-openface-csv'];

(registryReachable ? describe : describe.skip)(
  `an empty npm project with the tarballs installed${registryReachable ? '' : ' (skipped: the npm registry is not reachable for third-party dependencies)'}`,
  () => {
    let consumer = '';

    beforeAll(() => {
      consumer = mkdtempSync(join(tmpdir(), 'dfer-consumer-'));
      writeFileSync(join(consumer, 'package.json'), '{ "name": "consumer", "private": true }\n');
      const tarball = (name: string) => packed.find((p) => p.name === name)!.tarball;
      // The line of docs/install.md for the use-one-package examples.
      const install = spawnSync(
        'npm',
        [
          'install',
          '--no-audit',
          '--no-fund',
          tarball('@dfer/au-knowledge'),
          tarball('@dfer/datasets'),
          tarball('@dfer/losses'),
          tarball('@dfer/runtime'),
          '@tensorflow/tfjs-core@^4.22.0',
        ],
        { cwd: consumer, encoding: 'utf8', timeout: 300_000, env: npmEnv },
      );
      if (install.status !== 0) {
        throw new Error(`npm install in ${consumer} exited with ${install.status}:\n${install.stderr}`);
      }
      for (const name of examples) {
        copyFileSync(join(root, 'docs', 'examples', `${name}.ts`), join(consumer, `${name}.ts`));
        copyFileSync(join(root, 'docs', 'examples', `${name}.ts`), join(consumer, `${name}.mts`));
      }
    }, 330_000);

    afterAll(() => {
      if (consumer) rmSync(consumer, { recursive: true, force: true });
    });

    function runInConsumer(file: string, args: readonly string[] = []): string {
      const result = spawnSync(tsx, [file, ...args], {
        cwd: consumer,
        encoding: 'utf8',
        timeout: 60_000,
        // Nothing of the monorepo may leak in: the packages must resolve from the consumer's node_modules.
        env: { ...process.env, NODE_PATH: '' },
      });
      if (result.status !== 0) {
        throw new Error(`${file} in the consumer project exited with ${result.status}:\n${result.stderr}`);
      }
      return result.stdout;
    }

    it.each(['ts', 'mts'])(
      'the use-one-package examples run as .%s',
      (extension) => {
        expect(runInConsumer(`au-knowledge-priors.${extension}`)).toContain('P(AU12 | happy) = 0.8883');
        expect(runInConsumer(`au-dfer-loss-loop.${extension}`)).toContain(
          'tensors created by the loop besides optimizer state: 0',
        );
        expect(runInConsumer(`onnx-inference.${extension}`)).toContain('sample 0: smile (0.9991)');
        if (openFaceCsv) {
          expect(runInConsumer(`score-openface-csv.${extension}`, [openFaceCsv])).toContain('top: neutral');
        }
      },
      120_000,
    );

    it('@dfer/datasets and its subpath entries load no native module when required', () => {
      // sharp and @napi-rs/canvas (and the ffmpeg binary package) are required on first use only.
      const script = [
        "for (const entry of ['', '/synthetic', '/media', '/annotations']) require('@dfer/datasets' + entry);",
        'console.log(JSON.stringify(Object.keys(require.cache)));',
      ].join('\n');
      const result = spawnSync(process.execPath, ['-e', script], {
        cwd: consumer,
        encoding: 'utf8',
        timeout: 30_000,
        env: { ...process.env, NODE_PATH: '' },
      });
      expect(result.stderr).toBe('');
      const loaded = JSON.parse(result.stdout) as string[];
      expect(loaded.some((file) => file.includes(join('node_modules', '@dfer', 'datasets', 'dist')))).toBe(
        true,
      );
      expect(
        loaded.filter((file) => /[\\/](sharp|@img|@napi-rs|@ffmpeg-installer)[\\/]|\.node$/.test(file)),
      ).toEqual([]);
    });

    it('the examples type-check against the installed packages as CommonJS and as ES modules', () => {
      writeFileSync(
        join(consumer, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            target: 'ES2022',
            module: 'Node16',
            moduleResolution: 'Node16',
            strict: true,
            noEmit: true,
            skipLibCheck: true,
            types: ['node'],
            typeRoots: [join(root, 'node_modules', '@types')],
          },
          files: examples.flatMap((name) => [`${name}.ts`, `${name}.mts`]),
        }),
      );
      const result = spawnSync(tsc, ['-p', 'tsconfig.json'], {
        cwd: consumer,
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(`${result.stdout}${result.stderr}`).toBe('');
      expect(result.status).toBe(0);
    }, 130_000);
  },
);
