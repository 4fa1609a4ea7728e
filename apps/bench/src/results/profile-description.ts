import type { ProfileConfig } from '../matrix/profiles';
import type { BenchResults, ProfileRecord } from './schema';

/**
 * The profile block of a results file (`profiles[name]`, see `profileRecordSchema`): the profile's description
 * and its settings (everything but `name` and `description`), as plain JSON. The run loop stores it under the
 * profile's name with {@link withProfileDescription} before writing `results.json`.
 */
export function describeProfileForResults(profile: ProfileConfig): ProfileRecord {
  const { name: _name, description, ...settings } = profile;
  return { description, settings: JSON.parse(JSON.stringify(settings)) as Record<string, unknown> };
}

/**
 * A copy of `results` whose `profiles` block holds the description of `profile` (replacing an older one of
 * the same name; other profiles' descriptions are kept). Does not change `results`.
 */
export function withProfileDescription(results: BenchResults, profile: ProfileConfig): BenchResults {
  return {
    ...results,
    profiles: { ...(results.profiles ?? {}), [profile.name]: describeProfileForResults(profile) },
  };
}
