import { BUILTIN_LOSSES } from './builtin-losses';
import type { Loss, LossConfig, LossContext, LossFactory } from './loss-types';

export type {
  Loss,
  LossComputeOptions,
  LossConfig,
  LossContext,
  LossFactory,
  LossInputName,
  LossInputs,
} from './loss-types';

const factories = new Map<string, LossFactory>(Object.entries(BUILTIN_LOSSES));

/**
 * Registers a loss factory under a stable config name.
 *
 * @throws when `type` is not a non-empty string or is already registered (names are never replaced).
 */
export function registerLoss(type: string, factory: LossFactory): void {
  if (typeof type !== 'string' || type.length === 0) {
    throw new TypeError(`registerLoss: type must be a non-empty string, got ${JSON.stringify(type)}`);
  }
  if (typeof factory !== 'function') {
    throw new TypeError(`registerLoss('${type}'): factory must be a function (config, context) => Loss`);
  }
  if (factories.has(type)) {
    throw new Error(`registerLoss: a loss named '${type}' is already registered in the loss registry`);
  }
  factories.set(type, factory);
}

/** The registered loss names, sorted. */
export function listLosses(): string[] {
  return [...factories.keys()].sort();
}

/**
 * Builds a loss from its config node, e.g. `createLoss({ type: 'au_dfer', lambda: 0.25, posWeight:
 * 'global' }, { labels: 'dfew', aus: 'openface18', training })`.
 *
 * @throws on a config that is not an object with a string `type`, on an unknown `type` (the error
 *   lists the registered names), and on any invalid option (the loss's own error).
 */
export function createLoss(config: LossConfig, context: LossContext = {}): Loss {
  if (config === null || typeof config !== 'object' || typeof config.type !== 'string') {
    throw new TypeError(
      `createLoss: config must be an object with a string 'type' (one of ${listLosses().join(', ')})`,
    );
  }
  const factory = factories.get(config.type);
  if (factory === undefined) {
    throw new RangeError(
      `createLoss: unknown loss type '${config.type}' in the loss registry; registered: ${listLosses().join(', ')}`,
    );
  }
  return factory({ ...config }, context);
}
