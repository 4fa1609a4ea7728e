/**
 * Child-process entry of `bench perf`: `node perf-child.js <task.json> <result.json>` runs one
 * {@link PerfTask} and writes `{ result, peakRssMiB }` to `<result.json>`, where `peakRssMiB` is this
 * process's resident-set high-water mark (`process.resourceUsage().maxRSS`, KiB → MiB) after the task: the
 * peak memory of the task plus Node's and tfjs's own baseline. Not part of the public API.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { runPerfTask, type PerfTask } from './measure';

async function main(): Promise<void> {
  const [taskPath, resultPath] = process.argv.slice(2);
  if (!taskPath || !resultPath) throw new Error('usage: perf-child.js <task.json> <result.json>');
  const task = JSON.parse(readFileSync(taskPath, 'utf8')) as PerfTask;
  const result = await runPerfTask(task);
  const peakRssMiB = process.resourceUsage().maxRSS / 1024;
  writeFileSync(resultPath, JSON.stringify({ result, peakRssMiB }));
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench perf (child): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
