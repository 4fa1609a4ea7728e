import { parseJsonText } from '@dfer/runtime';

describe('parseJsonText', () => {
  it('parses JSON', () => {
    expect(parseJsonText('{"a": [1, 2]}', 'x.json')).toEqual({ a: [1, 2] });
  });

  it('names the file, line and column of a syntax error (counted by hand), never the content', () => {
    // Line 4 is `  "train": { "epochs": 2, }`: the `}` after the trailing comma is column 27.
    const text = '{\n  "name": "x",\n  "seed": 1,\n  "train": { "epochs": 2, }\n}\n';
    expect(() => parseJsonText(text, 'config file a.json')).toThrow(
      /^config file a\.json: not valid JSON at line 4, column 27$/,
    );
    expect(() => parseJsonText('{"a": 1', 'b.json')).toThrow(/^b\.json: not valid JSON/);
    expect(() => parseJsonText('secret-token-123', 'c.json')).not.toThrow(/secret/);
  });
});
