import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { atomicWriteFile } from '@dfer/runtime';
import { JsonlLog } from '../src/io/jsonl-log';

describe('atomicWriteFile', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dfer-atomic-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes several chunks in order and replaces the old content', () => {
    const file = join(dir, 'a.bin');
    writeFileSync(file, 'old');
    atomicWriteFile(file, ['ab', new Uint8Array([99, 100])]);
    expect(readFileSync(file, 'utf8')).toBe('abcd');
    expect(readdirSync(dir)).toEqual(['a.bin']);
  });

  it('a failure mid-write leaves the previous file intact and no temporary file', () => {
    const file = join(dir, 'ckpt.json');
    writeFileSync(file, '{"epoch":1}');
    const poisoned = {
      get length(): number {
        throw new Error('disk full (simulated)');
      },
    } as unknown as Uint8Array;
    expect(() => atomicWriteFile(file, [new Uint8Array(1000), poisoned])).toThrow(/disk full/);
    expect(readFileSync(file, 'utf8')).toBe('{"epoch":1}');
    expect(readdirSync(dir)).toEqual(['ckpt.json']);
  });

  it('a process killed mid-write leaves the previous file intact', () => {
    const file = join(dir, 'weights.bin');
    writeFileSync(file, 'previous');
    // The child starts an atomic write of 64 MiB in 1 KiB chunks and is killed (SIGKILL) from inside the
    // write loop, which is as abrupt as a crash gets.
    const script = `
      const fs = require('node:fs');
      const realWrite = fs.writeSync;
      let calls = 0;
      fs.writeSync = (...a) => { if (++calls === 100) process.kill(process.pid, 'SIGKILL'); return realWrite(...a); };
      const { atomicWriteFile } = require(${JSON.stringify(require.resolve('../src/io/atomic-write.ts'))});
      const chunks = Array.from({ length: 65536 }, () => new Uint8Array(1024).fill(7));
      atomicWriteFile(${JSON.stringify(file)}, chunks);
    `;
    const tsx = require.resolve('tsx/cjs');
    const result = spawnSync(process.execPath, ['-r', tsx, '-e', script], { encoding: 'utf8' });
    expect(result.signal).toBe('SIGKILL');
    expect(readFileSync(file, 'utf8')).toBe('previous');
  });
});

describe('JsonlLog', () => {
  it('appends one JSON object per line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dfer-log-'));
    const log = new JsonlLog(join(dir, 'sub', 'log.jsonl'));
    log.write({ event: 'step', step: 1, loss: 0.5 });
    log.write({ event: 'epoch', epoch: 0 });
    const lines = readFileSync(log.path, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.event)).toEqual(['step', 'epoch']);
    expect(lines[0].loss).toBe(0.5);
    rmSync(dir, { recursive: true, force: true });
  });
});
