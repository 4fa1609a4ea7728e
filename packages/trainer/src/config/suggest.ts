import type { z } from 'zod';

/**
 * Optimal-string-alignment edit distance (Levenshtein plus adjacent transpositions), case-insensitive:
 * the number of single-character insertions, deletions, substitutions and swaps turning `a` into `b`.
 */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  const rows = Array.from({ length: s.length + 1 }, (_, i) =>
    Array.from({ length: t.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= s.length; i++) {
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1])
        d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = d;
    }
  }
  return rows[s.length]![t.length]!;
}

/**
 * The message for an unknown key: `unknown key "epochz"; did you mean "epochs"?` when a known key is
 * within edit distance max(1, ⌊length/3⌋) (the closest, first in `known` on ties), else the known keys.
 */
export function unknownKeyMessage(key: string, known: readonly string[], what = 'key'): string {
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(key.length / 3)) + 1;
  for (const candidate of known) {
    const d = editDistance(key, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  if (best !== undefined) return `unknown ${what} "${key}"; did you mean "${best}"?`;
  return `unknown ${what} "${key}"; known: ${known.length === 0 ? 'none' : known.join(', ')}`;
}

interface SchemaDef {
  readonly type: string;
  readonly innerType?: z.ZodType;
  readonly shape?: Record<string, z.ZodType>;
  readonly options?: readonly z.ZodType[];
  readonly element?: z.ZodType;
  readonly values?: readonly unknown[];
}

function defOf(schema: z.ZodType): SchemaDef {
  return (schema as unknown as { _zod: { def: SchemaDef } })._zod.def;
}

/** Unwraps defaults/optionals and picks the union member whose literal `type` matches `value.type`. */
function objectSchema(schema: z.ZodType, value: unknown): SchemaDef | undefined {
  let def = defOf(schema);
  while (def.innerType !== undefined) def = defOf(def.innerType);
  if (def.type === 'object') return def;
  if (def.type === 'union') {
    const type = (value as { type?: unknown } | undefined)?.type;
    for (const option of def.options ?? []) {
      const candidate = objectSchema(option, value);
      const literal = candidate?.shape?.type === undefined ? undefined : defOf(candidate.shape.type);
      if (literal?.type === 'literal' && literal.values?.includes(type)) return candidate;
    }
  }
  return undefined;
}

/**
 * The keys an object schema declares at `path` of `input` (following object fields and, for
 * discriminated unions, the member named by the value's `type`), or `undefined` when not found.
 */
export function schemaKeysAt(
  schema: z.ZodType,
  input: unknown,
  path: readonly PropertyKey[],
): string[] | undefined {
  let current: z.ZodType | undefined = schema;
  let value = input;
  for (const segment of path) {
    const def: SchemaDef | undefined = current === undefined ? undefined : objectSchema(current, value);
    current = def?.shape?.[String(segment)];
    value = (value as Record<string, unknown> | undefined)?.[String(segment)];
    if (current === undefined) return undefined;
  }
  const def = current === undefined ? undefined : objectSchema(current, value);
  return def?.shape === undefined ? undefined : Object.keys(def.shape);
}
