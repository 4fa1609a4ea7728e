import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseBenchResults, type BenchResults } from '../src';

/** Path of the hand-made results fixture (made by fixtures/make-results-fixture.mjs; its numbers are not results). */
export const FIXTURE_PATH = join(__dirname, 'fixtures', 'results-fixture.json');

/** The hand-made results fixture, parsed. */
export function loadFixture(): BenchResults {
  return parseBenchResults(readFileSync(FIXTURE_PATH, 'utf8'), FIXTURE_PATH);
}

/** A fresh temporary folder. */
export function tempDir(prefix = 'dfer-bench-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Path of the hand-made schema-2 fixture with RDFER and AU-detection runs (same script; not results). */
export const EXPERIMENTS_FIXTURE_PATH = join(__dirname, 'fixtures', 'results-fixture-experiments.json');

/** The RDFER / AU-detection fixture, parsed. */
export function loadExperimentsFixture(): BenchResults {
  return parseBenchResults(readFileSync(EXPERIMENTS_FIXTURE_PATH, 'utf8'), EXPERIMENTS_FIXTURE_PATH);
}

/** Path of the hand-made schema-2 fixture with several seeds per arm, for paired effects and verdicts (same script). */
export const CLAIMS_FIXTURE_PATH = join(__dirname, 'fixtures', 'results-fixture-claims.json');

/** The claims fixture, parsed. */
export function loadClaimsFixture(): BenchResults {
  return parseBenchResults(readFileSync(CLAIMS_FIXTURE_PATH, 'utf8'), CLAIMS_FIXTURE_PATH);
}
