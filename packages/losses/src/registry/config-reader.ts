import type { LossConfig, LossInputName, LossInputs } from './loss-types';

/**
 * Reads a loss config node with errors that name the loss type and the option:
 * `createLoss({ type: 'au_dfer' }): lambda must be a number in [0, 1], got 2`.
 * Unknown keys are rejected with the list of valid ones. Never changes the caller's object.
 * @internal
 */
export class ConfigReader {
  readonly where: string;
  private readonly config: LossConfig;

  constructor(config: LossConfig, allowed: readonly string[]) {
    this.config = config;
    this.where = `createLoss({ type: '${config.type}' })`;
    for (const key of Object.keys(config)) {
      if (key !== 'type' && !allowed.includes(key)) {
        throw new RangeError(
          `${this.where}: unknown option '${key}'; valid options: ${allowed.join(', ') || '(none)'}`,
        );
      }
    }
  }

  /** A number option in `[min, max]`, or its default. */
  number(key: string, fallback: number, min: number, max: number): number {
    const value = this.config[key] ?? fallback;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      throw new RangeError(
        `${this.where}: ${key} must be a number in [${min}, ${max}], got ${JSON.stringify(value)}`,
      );
    }
    return value;
  }

  /** One of the listed strings, or the default. */
  oneOf<T extends string>(key: string, values: readonly T[], fallback: T): T {
    const value = this.config[key] ?? fallback;
    if (typeof value !== 'string' || !values.includes(value as T)) {
      throw new RangeError(
        `${this.where}: ${key} must be one of ${values.map((v) => `'${v}'`).join(', ')}, got ${JSON.stringify(value)}`,
      );
    }
    return value as T;
  }

  /** An array of finite numbers, or `undefined` when absent. */
  numbers(key: string): number[] | undefined {
    const value = this.config[key];
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      throw new TypeError(
        `${this.where}: ${key} must be an array of finite numbers, got ${JSON.stringify(value)}`,
      );
    }
    return value as number[];
  }

  /** An array of numbers or strings, or `undefined` when absent. */
  namesOrIndices(key: string): (number | string)[] | undefined {
    const value = this.config[key];
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'number' || typeof v === 'string')) {
      throw new TypeError(
        `${this.where}: ${key} must be an array of class indices or label names, got ${JSON.stringify(value)}`,
      );
    }
    return value as (number | string)[];
  }

  /** The raw value (for options with their own validation). */
  raw(key: string): unknown {
    return this.config[key];
  }
}

/**
 * Picks the named inputs, throwing one error that lists every missing one.
 * @internal
 */
export function requireInputs<K extends LossInputName>(
  type: string,
  inputs: LossInputs,
  names: readonly K[],
): Required<Pick<LossInputs, K>> {
  if (inputs === null || typeof inputs !== 'object') {
    throw new TypeError(`loss '${type}': compute(inputs) needs an object with ${names.join(', ')}`);
  }
  const missing = names.filter((name) => inputs[name] === undefined);
  if (missing.length > 0) {
    throw new TypeError(
      `loss '${type}': compute(inputs) is missing ${missing.join(', ')} (it needs ${names.join(', ')})`,
    );
  }
  return inputs as Required<Pick<LossInputs, K>>;
}
