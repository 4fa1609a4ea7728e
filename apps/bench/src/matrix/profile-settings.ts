import { z } from 'zod';
import type { ProfileConfig } from './profiles';

/**
 * The command-line overrides of a profile that `bench run` applies (`--engine`, `--epochs`, `--seeds`,
 * `--train-workers`): plain JSON, so a queue job can carry them and a worker can rebuild the same cells from
 * its own copy of the profile.
 */
export interface ProfileSettings {
  /** tfjs backend instead of the profile's. */
  readonly engine?: ProfileConfig['engine'];
  /** Epochs instead of the profile's. */
  readonly epochs?: number;
  /** Seeds instead of the profile's. */
  readonly seeds?: readonly number[];
  /** Threads of each cell's training (`train.workers`) instead of the profile's. */
  readonly trainWorkers?: number;
}

/** Schema of {@link ProfileSettings} as read from outside (a queue job): bounded, no other fields. */
export const profileSettingsSchema = z
  .object({
    engine: z.enum(['auto', 'wasm', 'cpu', 'tensorflow']).optional(),
    epochs: z.number().int().min(1).max(100_000).optional(),
    seeds: z
      .array(
        z
          .number()
          .int()
          .min(0)
          .max(2 ** 31 - 1),
      )
      .min(1)
      .max(1000)
      .optional(),
    trainWorkers: z.number().int().min(1).max(1024).optional(),
  })
  .strict();

/** The profile with the given overrides applied (a new object; `base` is not changed). */
export function applyProfileSettings(base: ProfileConfig, settings: ProfileSettings): ProfileConfig {
  return {
    ...base,
    ...(settings.engine ? { engine: settings.engine } : {}),
    training: {
      ...base.training,
      ...(settings.epochs ? { epochs: settings.epochs } : {}),
      ...(settings.trainWorkers ? { workers: settings.trainWorkers } : {}),
    },
    seeds: settings.seeds ?? base.seeds,
  };
}
