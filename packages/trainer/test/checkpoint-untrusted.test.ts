/** Checkpoint files are read only as regular files inside the fold folder. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadLatestCheckpoint, loadWeights } from '../src/checkpoint/checkpoint';

const dir = mkdtempSync(join(tmpdir(), 'dfer-checkpoint-untrusted-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('latest.json may only name a checkpoints/epoch-NNNN folder of the fold', () => {
  const fold = join(dir, 'fold-1');
  mkdirSync(fold);
  writeFileSync(join(fold, 'latest.json'), JSON.stringify({ epoch: 1, dir: '../../etc' }));
  expect(() => loadLatestCheckpoint(fold)).toThrow(
    `${join(fold, 'latest.json')}: expected {"epoch": <integer>, "dir": "checkpoints/epoch-NNNN"}, got dir "../../etc"`,
  );
  writeFileSync(join(fold, 'latest.json'), '{"epoch": 1, "dir": ');
  expect(() => loadLatestCheckpoint(fold)).toThrow(`${join(fold, 'latest.json')}: not valid JSON`);
});

it('a FIFO in place of a checkpoint file is refused without waiting for a writer', () => {
  const fold = join(dir, 'fold-2');
  mkdirSync(join(fold, 'checkpoints', 'epoch-0001'), { recursive: true });
  writeFileSync(join(fold, 'latest.json'), JSON.stringify({ epoch: 1, dir: 'checkpoints/epoch-0001' }));
  const fifo = join(fold, 'checkpoints', 'epoch-0001', 'model.safetensors');
  execFileSync('mkfifo', [fifo]);
  expect(() => loadLatestCheckpoint(fold)).toThrow(`${fifo}: not a regular file (a FIFO)`);
  expect(() => loadWeights(fifo)).toThrow(`${fifo}: not a regular file (a FIFO)`);
  expect(() => loadWeights('/dev/zero')).toThrow('/dev/zero: not a regular file (a device)');
});
