/**
 * Config inheritance and command-line overrides.
 *
 * `mergeConfigs(base, child)`: deep merge where plain objects merge key by key and everything else (arrays,
 * numbers, strings) in the child replaces the base. A component node whose `type` differs from the base's
 * replaces the base node whole (the other component's options would not apply), as in mmengine with
 * `_delete_`. Inputs are never mutated.
 *
 * `applyOverrides(config, ['optim.lr=1e-3', 'model.preset=tiny'])`: each `path=value` sets one field; the
 * value is parsed as JSON when it parses (numbers, booleans, null, arrays, objects), else taken as a string.
 * The path segments `__proto__`, `constructor` and `prototype` are refused (they would reach
 * `Object.prototype`), and so is a `__proto__` key in merged configs.
 */

/** Path segments an override may not name (see the module documentation). */
const FORBIDDEN_SEGMENTS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

type Plain = Record<string, unknown>;

function isPlainObject(value: unknown): value is Plain {
  // Compare by tag, not by prototype identity: objects from structuredClone or another realm count too.
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as object | null;
  return proto === null || Object.prototype.toString.call(value) === '[object Object]';
}

/** Deep merge of `child` over `base` (see the module documentation). */
export function mergeConfigs<T extends Plain>(base: T, child: Plain): T {
  const out: Plain = { ...base };
  for (const [key, value] of Object.entries(child)) {
    // JSON.parse makes "__proto__" an own key; assigning it would replace the merged object's prototype
    if (key === '__proto__') throw new Error('config: the key "__proto__" is not allowed');
    const prev = out[key];
    if (isPlainObject(prev) && isPlainObject(value)) {
      const typeChanged = 'type' in value && 'type' in prev && value.type !== prev.type;
      out[key] = typeChanged ? structuredClone(value) : mergeConfigs(prev, value);
    } else {
      out[key] = isPlainObject(value) || Array.isArray(value) ? structuredClone(value) : value;
    }
  }
  return out as T;
}

/** Parse one `path=value` override. */
export function parseOverride(text: string): { path: string[]; value: unknown } {
  const eq = text.indexOf('=');
  if (eq <= 0)
    throw new Error(`override "${text}": expected the form path.to.field=value (e.g. optim.lr=1e-3)`);
  const path = text.slice(0, eq).split('.');
  if (path.some((p) => p.length === 0)) throw new Error(`override "${text}": empty path segment`);
  const forbidden = path.find((p) => FORBIDDEN_SEGMENTS.has(p));
  if (forbidden !== undefined) {
    throw new Error(
      `override "${text}": the path segment ${JSON.stringify(forbidden)} is not allowed (it would reach Object.prototype)`,
    );
  }
  const rawValue = text.slice(eq + 1);
  let value: unknown = rawValue;
  try {
    value = JSON.parse(rawValue);
  } catch {
    value = rawValue;
  }
  return { path, value };
}

/** Apply `path=value` overrides to a copy of `config`. */
export function applyOverrides<T extends Plain>(config: T, overrides: readonly string[]): T {
  const out = structuredClone(config) as Plain;
  for (const text of overrides) {
    const { path, value } = parseOverride(text);
    let node: Plain = out;
    for (const [i, key] of path.slice(0, -1).entries()) {
      const next = Object.hasOwn(node, key) ? node[key] : undefined;
      if (next === undefined) node[key] = {};
      else if (!isPlainObject(next)) {
        throw new Error(`override "${text}": ${path.slice(0, i + 1).join('.')} is not an object`);
      }
      node = node[key] as Plain;
    }
    node[path[path.length - 1]!] = value;
  }
  return out as T;
}
