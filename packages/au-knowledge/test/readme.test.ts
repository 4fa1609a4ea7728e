import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as auKnowledge from '@dfer/au-knowledge';
import ts from 'typescript';

// Every ```ts block of README.md runs as written against the public entry, and the values its
// comments promise for `topLabel` hold.
const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');

function run(code: string): unknown[] {
  const js = ts.transpileModule(code, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  const results: unknown[] = [];
  // Record every `x.topLabel; // 'label'` line's value to check the comment.
  const instrumented = js.replace(/^(.*\.topLabel);.*$/gm, '__results.push($1);');
  const requireStub = (name: string): unknown => {
    if (name !== '@dfer/au-knowledge') throw new Error(`README imports ${name}`);
    return auKnowledge;
  };
  new Function('require', 'exports', '__results', instrumented)(requireStub, {}, results);
  return results;
}

describe('README examples', () => {
  it('has the examples', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(5);
  });

  it.each(blocks.map((code, i) => [i, code] as const))('block %d runs as written', (_i, code) => {
    const promised = [...code.matchAll(/\.topLabel;? \/\/ '([a-z]+)'/g)].map((m) => m[1]);
    expect(run(code)).toEqual(promised);
  });
});
