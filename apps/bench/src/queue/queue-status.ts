import type { Job } from 'bullmq';
import { closeQuietly, openBenchQueue, type QueueUrl } from './queue-connection';

/** Jobs of one profile in the queue, by state. */
export interface QueueProfileCounts {
  readonly profile: string;
  /** Waiting for a worker (including delayed and prioritized jobs). */
  readonly waiting: number;
  /** Held by a worker now. */
  readonly active: number;
  /** Completed: the record is stored in Redis. */
  readonly done: number;
  /** Failed on every attempt (or refused by a worker). */
  readonly failed: number;
}

/** What `bench status --queue` shows. */
export interface QueueStatus {
  /** Per profile (the job's `profile`; `(unknown)` for a job that is not a bench cell), sorted by name. */
  readonly profiles: readonly QueueProfileCounts[];
  /** The failed jobs: run id, attempts made and the last error. */
  readonly failedJobs: readonly { readonly id: string; readonly attempts: number; readonly error: string }[];
  /** Workers connected to the queue now. */
  readonly workers: number;
}

const STATES = {
  waiting: ['waiting', 'delayed', 'prioritized', 'waiting-children'],
  active: ['active'],
  done: ['completed'],
  failed: ['failed'],
} as const;

/** Read the bench queue of a Redis server: the jobs per profile and state, the failed jobs' errors, the workers. */
export async function getQueueStatus(url: QueueUrl): Promise<QueueStatus> {
  const queue = await openBenchQueue(url);
  try {
    const counts = new Map<string, { waiting: number; active: number; done: number; failed: number }>();
    const failedJobs: { id: string; attempts: number; error: string }[] = [];
    for (const [column, states] of Object.entries(STATES) as [keyof typeof STATES, readonly string[]][]) {
      const jobs = (await queue.getJobs([...states] as Parameters<typeof queue.getJobs>[0])) as Job[];
      for (const job of jobs) {
        if (!job) continue;
        const data = job.data as { profile?: unknown } | undefined;
        const profile = typeof data?.profile === 'string' ? data.profile : '(unknown)';
        const row = counts.get(profile) ?? { waiting: 0, active: 0, done: 0, failed: 0 };
        row[column] += 1;
        counts.set(profile, row);
        if (column === 'failed')
          failedJobs.push({ id: job.id ?? '(no id)', attempts: job.attemptsMade, error: job.failedReason });
      }
    }
    const profiles = [...counts.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([profile, c]) => ({ profile, ...c }));
    return { profiles, failedJobs, workers: await queue.getWorkersCount() };
  } finally {
    await closeQuietly(queue);
  }
}

/** The status as a small text table, then the failed jobs with their errors and the number of workers. */
export function formatQueueStatus(status: QueueStatus, display: string): string {
  const header = ['profile', 'waiting', 'active', 'done', 'failed'];
  const rows = status.profiles.map((p) => [p.profile, p.waiting, p.active, p.done, p.failed].map(String));
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]): string =>
    cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  const out = [`queue ${display}: ${status.workers} worker(s) connected`];
  if (rows.length === 0) out.push('no jobs');
  else out.push(line(header), ...rows.map(line));
  if (status.failedJobs.length) {
    out.push('failed:');
    for (const f of status.failedJobs)
      out.push(`  ${f.id} (${f.attempts} attempt(s)): ${f.error.replace(/\s*\n\s*/g, ' ')}`);
  }
  return `${out.join('\n')}\n`;
}
