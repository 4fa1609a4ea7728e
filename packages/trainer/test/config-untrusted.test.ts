/**
 * Untrusted config files: `_base` stays inside the config's folder or the shipped configs,
 * non-regular and oversized files are refused before reading, file content is never echoed, deep
 * nesting is an error naming the file, and overrides cannot reach `Object.prototype`.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyOverrides, loadConfigFile, parseOverride, SHIPPED_CONFIG_DIR } from '../src';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dfer-cfg-untrusted-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, value: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
}

describe('_base stays inside the config folder or the shipped configs', () => {
  it('an absolute _base outside (/etc/passwd) is refused without reading it', () => {
    const file = write('a.json', { _base: '/etc/passwd' });
    expect(() => loadConfigFile(file)).toThrow(
      `config file ${file}: _base "/etc/passwd" resolves to /etc/passwd, outside the config folder ${dir} and the shipped configs ${SHIPPED_CONFIG_DIR}`,
    );
    expect(() => loadConfigFile(file)).not.toThrow(/root:/);
  });

  it('a ../ _base that leaves the folder is refused; /dev/zero and a FIFO are refused', () => {
    mkdirSync(join(dir, 'sub'));
    write('outside.json', { x: 1 });
    const file = write('sub/a.json', { _base: '../outside.json' });
    expect(() => loadConfigFile(file)).toThrow(
      /_base "..\/outside.json" resolves to .*outside the config folder/,
    );
    expect(() => loadConfigFile(write('z.json', { _base: '/dev/zero' }))).toThrow(
      /outside the config folder/,
    );
    execFileSync('mkfifo', [join(dir, 'fifo.json')]);
    expect(() => loadConfigFile(write('f.json', { _base: 'fifo.json' }))).toThrow(
      `config file ${join(dir, 'fifo.json')}: not a regular file (a _base of ${join(dir, 'f.json')})`,
    );
  });

  it('a base inside the folder that is a symlink to outside is refused', () => {
    const outside = mkdtempSync(join(tmpdir(), 'dfer-cfg-outside-'));
    try {
      writeFileSync(join(outside, 'x.json'), '{"x": 1}');
      symlinkSync(join(outside, 'x.json'), join(dir, 'link.json'));
      expect(() => loadConfigFile(write('a.json', { _base: 'link.json' }))).toThrow(
        /_base "link.json" resolves to .*link.json, a link to .*x.json, outside the config folder/,
      );
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('bases in subfolders, under options.root and in the shipped configs are allowed', () => {
    mkdirSync(join(dir, '_base'));
    mkdirSync(join(dir, 'exp'));
    write('_base/model.json', { model: { type: 'm' } });
    write('sub.json', { _base: '_base/model.json', y: 2 });
    expect(loadConfigFile(join(dir, 'sub.json'))).toEqual({ model: { type: 'm' }, y: 2 });
    // the mmengine layout: configs/exp/a.json names ../_base/… — allowed with root = configs
    const leaf = write('exp/a.json', { _base: '../_base/model.json', z: 3 });
    expect(() => loadConfigFile(leaf)).toThrow(/outside the config folder/);
    expect(loadConfigFile(leaf, { root: dir })).toEqual({ model: { type: 'm' }, z: 3 });
    const shippedBase = join(SHIPPED_CONFIG_DIR, 'synthetic', 'former_dfer_ce.json');
    const viaShipped = loadConfigFile(write('s.json', { _base: shippedBase }));
    expect(viaShipped).toEqual(loadConfigFile(shippedBase));
  });
});

describe('reading a config file', () => {
  it('a file larger than options.maxBytes is refused before reading', () => {
    const file = write('big.json', `{"a": "${'x'.repeat(2000)}"}`);
    expect(() => loadConfigFile(file, { maxBytes: 1000 })).toThrow(
      `config file ${file}: 2009 bytes, more than the 1000-byte limit (options.maxBytes)`,
    );
    expect(loadConfigFile(file).a).toHaveLength(2000);
  });

  it('a non-JSON file is not echoed beyond a short escaped snippet', () => {
    const secret = 'root:x:0:0:root:/root:/bin/bash\nuser:secretpassword';
    const file = write('passwd.json', secret);
    let message = '';
    try {
      loadConfigFile(file);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(new RegExp(`^config file ${file}: not valid JSON`));
    expect(message).not.toContain('root:x');
    expect(message).not.toContain('secretpassword');
  });

  it('nesting deeper than 64 levels is an error naming the file, not a stack overflow', () => {
    const deep = write('deep.json', `{"a": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`);
    expect(() => loadConfigFile(deep)).toThrow(
      `config file ${deep}: nesting deeper than 64 levels at line 1 (options.maxDepth)`,
    );
    const base = write('base.json', `${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}`);
    expect(() => loadConfigFile(write('leaf.json', { _base: 'base.json', a: { b: 1 } }))).toThrow(
      `config file ${base}: nesting deeper than 64 levels`,
    );
    const ok = write('ok.json', `${'{"a":'.repeat(60)}1${'}'.repeat(60)}`);
    expect(() => loadConfigFile(ok)).not.toThrow();
  });
});

describe('overrides cannot pollute prototypes', () => {
  afterEach(() => {
    delete (Object.prototype as Record<string, unknown>).polluted;
  });

  it.each(['__proto__.polluted=yes', 'a.__proto__.polluted=yes', 'constructor.prototype.polluted=yes'])(
    '%s is refused and ({}).polluted stays undefined',
    (override) => {
      expect(() => applyOverrides({ a: {} }, [override])).toThrow(
        /override ".*": the path segment "(__proto__|constructor)" is not allowed/,
      );
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    },
  );

  it('parseOverride refuses prototype as a segment; ordinary fields still work', () => {
    expect(() => parseOverride('a.prototype=1')).toThrow(/"prototype" is not allowed/);
    expect(applyOverrides({ optim: { lr: 1 } }, ['optim.lr=0.5'])).toEqual({ optim: { lr: 0.5 } });
  });
});
