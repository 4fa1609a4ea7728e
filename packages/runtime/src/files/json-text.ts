/**
 * `JSON.parse` whose errors name the file and the place: `"<label>: not valid JSON at line 4, column 27"`
 * (or `: the text ends early`), without repeating the file's content (V8's messages quote the start of the
 * text, which may be anything).
 *
 * @param label - names the file in errors (e.g. its path).
 * @throws Error `<label>: not valid JSON …`.
 */
export function parseJsonText(text: string, label: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new Error(`${label}: not valid JSON${describeJsonError(text, (error as Error).message)}`);
  }
}

/** Where JSON.parse failed, as line and column (1-based), from V8's message. */
function describeJsonError(text: string, message: string): string {
  const position = /at position (\d+)/.exec(message);
  if (position !== null) {
    const offset = Number(position[1]);
    const before = text.slice(0, offset);
    const line = before.split('\n').length;
    const column = offset - before.lastIndexOf('\n');
    return ` at line ${line}, column ${column}`;
  }
  if (/Unexpected end of JSON input/.test(message)) return ': the text ends early';
  const token = /^Unexpected token '(.)'/su.exec(message);
  return token === null ? '' : `: unexpected character ${JSON.stringify(token[1])}`;
}
