/**
 * Stand-alone parity check of the paper-size MAE-DFER cases (see ../mae-dfer-parity.test.ts for why it
 * is not in the default jest suite). Run from packages/backbones:
 *
 *     npx tsx test/mae-dfer-fixtures/check-paper-parity.ts [case …]     (default: paper_4x160 paper)
 *
 * Prints the largest relative error per output and exits with status 1 on any mismatch beyond 1e-3.
 */
import { initEngine } from '@dfer/runtime';

import { compareParityCase } from '../mae-dfer-parity';

async function main(): Promise<void> {
  const info = await initEngine({ backend: 'wasm' });
  const cases = process.argv.length > 2 ? process.argv.slice(2) : ['paper_4x160', 'paper'];
  let failed = 0;
  for (const name of cases) {
    const start = Date.now();
    try {
      const errors = compareParityCase(name);
      console.log(
        `${name}: OK on ${info.backend} in ${((Date.now() - start) / 1000).toFixed(1)} s, max rel errors ${JSON.stringify(errors)}`,
      );
    } catch (error) {
      failed++;
      console.log(`${name}: FAILED: ${(error as Error).message}`);
    }
  }
  process.exitCode = failed > 0 ? 1 : 0;
}

void main();
