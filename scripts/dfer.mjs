#!/usr/bin/env node
// The two-command entry point: `npm test` and `npm run bench` from a fresh clone with only Node 20 + npm.
// Each command does its own set-up on first run (pinned pnpm in .tools/, `pnpm install --frozen-lockfile`,
// turbo build) and skips what is already done on later runs.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const pnpmVersion = rootPkg.packageManager.replace(/^pnpm@/, '');
const toolsDir = join(root, '.tools');
const pnpmBin = join(toolsDir, 'node_modules', '.bin', 'pnpm');

const env = {
  ...process.env,
  PATH: [join(toolsDir, 'node_modules', '.bin'), join(root, 'node_modules', '.bin'), process.env.PATH].join(
    delimiter,
  ),
  TURBO_TELEMETRY_DISABLED: '1',
  TURBO_NO_UPDATE_NOTIFIER: '1',
  DO_NOT_TRACK: '1',
  ONNXRUNTIME_NODE_INSTALL: 'skip',
  npm_config_update_notifier: 'false',
};

function log(message) {
  process.stderr.write(`[dfer] ${message}\n`);
}

function run(cmd, args, { allowFailure = false } = {}) {
  const result = spawnSync(cmd, args, { cwd: root, env, stdio: 'inherit' });
  if (result.error) throw result.error;
  if (result.status !== 0 && !allowFailure) {
    log(`command failed (${result.status}): ${cmd} ${args.join(' ')}`);
    process.exit(result.status ?? 1);
  }
  return result.status ?? 1;
}

function ensurePnpm() {
  if (existsSync(pnpmBin)) {
    const out = spawnSync(pnpmBin, ['--version'], { env, encoding: 'utf8' });
    if (out.status === 0 && out.stdout.trim() === pnpmVersion) return;
  }
  log(`installing pinned pnpm ${pnpmVersion} into .tools/ (first run only)`);
  mkdirSync(toolsDir, { recursive: true });
  writeFileSync(join(toolsDir, 'package.json'), '{ "private": true }\n');
  run('npm', ['install', '--prefix', toolsDir, '--no-audit', '--no-fund', `pnpm@${pnpmVersion}`]);
}

function workspacePackageDirs() {
  const dirs = [];
  for (const group of ['packages', 'apps']) {
    const base = join(root, group);
    if (!existsSync(base)) continue;
    for (const name of readdirSync(base).sort()) {
      if (existsSync(join(base, name, 'package.json'))) dirs.push(join(base, name));
    }
  }
  dirs.push(join(root, 'tools'));
  return dirs;
}

function installStamp() {
  const hash = createHash('sha256');
  hash.update(readFileSync(join(root, 'pnpm-lock.yaml')));
  for (const dir of workspacePackageDirs()) hash.update(readFileSync(join(dir, 'package.json')));
  hash.update(readFileSync(join(root, 'package.json')));
  return hash.digest('hex');
}

function ensureInstall() {
  const stampFile = join(root, 'node_modules', '.dfer-install-stamp');
  const stamp = installStamp();
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) return;
  log('pnpm install --frozen-lockfile');
  run(pnpmBin, ['install', '--frozen-lockfile']);
  writeFileSync(stampFile, stamp);
}

function setup() {
  ensurePnpm();
  ensureInstall();
  log('turbo run build (cached after the first run)');
  run(pnpmBin, ['exec', 'turbo', 'run', 'build', '--output-logs=errors-only']);
}

/** Sum jest's JSON reports of every workspace package into one line `tests: N passed, N failed[, N skipped]`. */
function summariseTests() {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const problems = [];
  for (const dir of workspacePackageDirs()) {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    if (!pkg.scripts?.test) continue;
    const file = join(dir, '.jest-results.json');
    if (!existsSync(file)) {
      problems.push(`${pkg.name}: no test report was written`);
      failed += 1;
      continue;
    }
    const report = JSON.parse(readFileSync(file, 'utf8'));
    passed += report.numPassedTests;
    failed += report.numFailedTests;
    skipped += report.numPendingTests + report.numTodoTests;
    // A suite that fails to load runs no test; count it as a failure so it cannot hide.
    const brokenSuites = report.testResults.filter(
      (r) => r.status === 'failed' && r.assertionResults.length === 0,
    );
    for (const suite of brokenSuites) problems.push(`${pkg.name}: suite failed to run: ${suite.name}`);
    failed += brokenSuites.length;
  }
  for (const p of problems) log(p);
  const line = `tests: ${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`;
  writeFileSync(join(root, '.test-summary'), `${line}\n`);
  return { line, failed };
}

function test(extraArgs) {
  setup();
  // Stale results must never be counted.
  for (const dir of workspacePackageDirs()) rmSync(join(dir, '.jest-results.json'), { force: true });
  const status = run(
    pnpmBin,
    ['exec', 'turbo', 'run', 'test', '--continue', '--concurrency=1', '--output-logs=full', ...extraArgs],
    { allowFailure: true },
  );
  const { line, failed } = summariseTests();
  console.log(line);
  process.exit(status !== 0 || failed > 0 ? 1 : 0);
}

function bench(extraArgs) {
  setup();
  const cli = join(root, 'apps', 'bench', 'dist', 'cli.js');
  if (existsSync(cli)) {
    process.exit(
      // `npm run bench` and `npm run bench -- --profile claims` mean `bench run …`; a named command goes as is.
      run(
        process.execPath,
        [
          cli,
          ...(extraArgs.length === 0 || extraArgs[0].startsWith('-') ? ['run', ...extraArgs] : extraArgs),
        ],
        { allowFailure: true },
      ),
    );
  }
  log('apps/bench/dist/cli.js is missing after the build; nothing to run.');
  process.exit(1);
}

/** `npm run dfer -- <command> …`: the trainer's `dfer` CLI from a clone, after set-up. */
function dfer(extraArgs) {
  setup();
  process.exit(
    run(process.execPath, [join(root, 'packages', 'trainer', 'dist', 'cli.js'), ...extraArgs], {
      allowFailure: true,
    }),
  );
}

/** `npm run pack-packages [-- --out <dir>]`: npm tarballs of every publishable package, checked. */
function packPackages(extraArgs) {
  setup();
  const args = extraArgs.includes('--out') ? extraArgs : ['--out', join(root, 'dist-packages'), ...extraArgs];
  process.exit(
    run(
      join(root, 'node_modules', '.bin', 'tsx'),
      [join(root, 'tools', 'src', 'package-tarballs.ts'), ...args],
      {
        allowFailure: true,
      },
    ),
  );
}

const [command = 'test', ...rest] = process.argv.slice(2);
if (command === 'setup') setup();
else if (command === 'test') test(rest);
else if (command === 'bench') bench(rest);
else if (command === 'dfer') dfer(rest);
else if (command === 'pack') packPackages(rest);
else {
  log(`unknown command "${command}"; expected one of: setup, test, bench, dfer, pack`);
  process.exit(2);
}
