import { sep } from 'node:path';
import { z } from 'zod';
import { pretrainedDir } from '../matrix/pretrained';
import {
  applyProfileSettings,
  profileSettingsSchema,
  type ProfileSettings,
} from '../matrix/profile-settings';
import { expandProfile, getProfile, listProfiles, type BenchCell } from '../matrix/profiles';
import type { RunRecord } from '../results/schema';

/** Version of {@link BenchQueueJobData}; a worker refuses other versions. */
export const BENCH_QUEUE_JOB_VERSION = 1;

/**
 * What a queue job holds: which cell of which built-in profile, with which command-line overrides. The job id
 * is the run id. `config` is the trainer config the enqueuing `bench run` expanded, for comparison only: the
 * worker rebuilds the cell from its own copy of the profile and runs that, refusing the job when the two differ
 * (e.g. machines on different versions of the bench). No config from the queue is ever run.
 */
export interface BenchQueueJobData {
  readonly version: typeof BENCH_QUEUE_JOB_VERSION;
  /** Name of a built-in profile (`bench run --help` lists them). */
  readonly profile: string;
  readonly settings: ProfileSettings;
  /** The cell's trainer config as the enqueuing machine expanded it. */
  readonly config: unknown;
}

/** What a worker stores in Redis as the job's result (its return value, written when the job completes). */
export interface BenchQueueJobResult {
  readonly record: RunRecord;
  /** `<host>:<pid>` of the worker that ran it. */
  readonly worker: string;
}

const jobDataSchema = z
  .object({
    version: z.literal(BENCH_QUEUE_JOB_VERSION),
    profile: z.string().max(200),
    settings: profileSettingsSchema,
    config: z.unknown(),
  })
  .strict();

/** JSON with object keys sorted, so that two equal configs compare equal whatever their key order. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

/** Placeholder of the shipped pre-trained backbones' folder in a job's config (each machine has its own path). */
const PRETRAINED_PLACEHOLDER = '<bench>/pretrained';

/**
 * A cell's trainer config without this machine's paths: the folder of the shipped pre-trained backbones
 * (`model.pretrained.path`) becomes `<bench>/pretrained`, so machines with the repository in different places
 * expand the same profile to the same config.
 */
export function portableConfig(config: unknown, dir: string = pretrainedDir()): unknown {
  return JSON.parse(JSON.stringify(config), (_key, v: unknown) =>
    typeof v === 'string' && (v === dir || v.startsWith(dir + sep))
      ? PRETRAINED_PLACEHOLDER + v.slice(dir.length).split(sep).join('/')
      : v,
  ) as unknown;
}

/** The job data of a cell of `profile` run with `settings`. */
export function createJobData(
  profile: string,
  settings: ProfileSettings,
  cell: BenchCell,
): BenchQueueJobData {
  return { version: BENCH_QUEUE_JOB_VERSION, profile, settings, config: portableConfig(cell.config) };
}

/** Whether a job already in the queue is the same cell run the same way (same profile, settings and config). */
export function sameJobData(a: unknown, b: BenchQueueJobData): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/**
 * What a worker does with a job before running anything: check the job's data against the schema (a known
 * version, a built-in profile, bounded overrides, nothing else), rebuild the profile from this worker's own
 * copy with those overrides, find the cell whose run id is the job id, and check that its trainer config is
 * the one the job was enqueued with. Returns this worker's cell (the one to run); throws an error saying what
 * does not match otherwise.
 */
export function resolveQueueJob(
  jobId: string,
  data: unknown,
): { cell: BenchCell; engine: ReturnType<typeof getProfile>['engine']; profile: string } {
  const parsed = jobDataSchema.safeParse(data);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
    throw new Error(
      `job ${jobId}: not a bench cell job of version ${BENCH_QUEUE_JOB_VERSION} (${issues.join('; ')})`,
    );
  }
  const job = parsed.data;
  if (!listProfiles().includes(job.profile))
    throw new Error(
      `job ${jobId}: profile "${job.profile}" is not a profile of this worker (${listProfiles().join(', ')})`,
    );
  const profile = applyProfileSettings(getProfile(job.profile), job.settings);
  const cell = expandProfile(profile).find((c) => c.id === jobId);
  if (!cell) throw new Error(`job ${jobId}: no run of that id in profile "${job.profile}" on this worker`);
  if (canonicalJson(portableConfig(cell.config)) !== canonicalJson(job.config))
    throw new Error(
      `job ${jobId}: its trainer config differs from this worker's expansion of profile "${job.profile}" (machines on different versions of the bench?); not run`,
    );
  return { cell, engine: profile.engine, profile: profile.name };
}
