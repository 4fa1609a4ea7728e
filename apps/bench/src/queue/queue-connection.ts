import { Queue, type ConnectionOptions } from 'bullmq';

/** Name of the BullMQ queue of bench cells (Redis keys `bull:dfer-bench:*`). */
export const BENCH_QUEUE_NAME = 'dfer-bench';

/** How long `bench run --queue` and `bench status` wait for Redis before giving up. */
const CONNECT_TIMEOUT_MS = 10_000;

/** A parsed `--queue` URL. */
export interface QueueUrl {
  /** Connection options for BullMQ (ioredis): host, port, db, credentials, TLS for `rediss://`. */
  readonly connection: ConnectionOptions;
  /** The URL for messages, with the password replaced by `***`. */
  readonly display: string;
}

/**
 * Parse `redis://[[user]:password@]host[:port][/db]` (or `rediss://` for TLS) into connection options.
 * The password comes from the URL (percent-encoded as in any URL); the default port is 6379 and the default
 * database 0. Anything else (another scheme, a path that is not a database number, query options) is an
 * error that names the URL without its password.
 */
export function parseQueueUrl(text: string): QueueUrl {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    const shown = text.replace(/\/\/[^/]*@/, '//***@');
    throw new RangeError(`--queue "${shown}": not a URL; expected redis://[:password@]host[:port][/db]`);
  }
  const display = redactedUrl(url);
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    throw new RangeError(`--queue ${display}: expected a redis:// or rediss:// URL`);
  if (!url.hostname) throw new RangeError(`--queue ${display}: no host`);
  if (url.search || url.hash)
    throw new RangeError(`--queue ${display}: query options are not read; expected redis://host:port/db`);
  const dbText = url.pathname.replace(/^\//, '');
  if (dbText !== '' && !/^\d{1,5}$/.test(dbText))
    throw new RangeError(
      `--queue ${display}: the path must be a database number (e.g. /0), got "/${dbText}"`,
    );
  const port = url.port ? Number(url.port) : 6379;
  const connection: ConnectionOptions = {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port,
    db: dbText === '' ? 0 : Number(dbText),
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
    // Blocking commands of BullMQ workers need no per-command retry limit; the connect timeout bounds a dead host.
    maxRetriesPerRequest: null,
    connectTimeout: CONNECT_TIMEOUT_MS,
  };
  return { connection, display };
}

function redactedUrl(url: URL): string {
  const copy = new URL(url.href);
  if (copy.password) copy.password = '***';
  return copy.href.replace(/\/$/, '');
}

/** Reject with `message` when `promise` has not settled within `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, message: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message())), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Open the bench queue on a Redis server and wait until it answers (at most 10 s: an unreachable or refusing
 * server is an error naming the URL and Redis's last error, never a hang).
 */
export async function openBenchQueue(url: QueueUrl): Promise<Queue> {
  const queue = new Queue(BENCH_QUEUE_NAME, { connection: url.connection });
  let lastError: string | undefined;
  queue.on('error', (error: Error) => {
    lastError = error.message;
  });
  try {
    await withTimeout(
      queue.waitUntilReady().then(() => queue.getJobCounts('wait')),
      CONNECT_TIMEOUT_MS,
      () =>
        `cannot reach Redis at ${url.display} within ${CONNECT_TIMEOUT_MS / 1000} s${lastError ? ` (${lastError})` : ''}`,
    );
  } catch (error) {
    await closeQuietly(queue);
    throw error;
  }
  return queue;
}

/**
 * Close a BullMQ queue or worker, disconnecting at once after `ms` (default 5 s): a dead server must not keep
 * the process alive.
 */
export async function closeQuietly(
  closable: { close(): Promise<void>; disconnect?(): Promise<void> },
  ms = 5000,
): Promise<void> {
  try {
    await withTimeout(closable.close(), ms, () => 'close timed out');
  } catch {
    await closable.disconnect?.().catch(() => undefined);
  }
}
