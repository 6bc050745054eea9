/**
 * `advx worker --queue redis://HOST:PORT[/DB] [--concurrency N] [--lease S] [--name NAME] [--threads N]`
 *
 * Works on queued evaluations (`advx evaluate --queue ...`) of anyone using that Redis, until SIGINT or
 * SIGTERM: then it takes no new job and finishes the ones in hand (a second signal ends it at once; its
 * jobs go to other workers after the lease). One line per job on stdout. Start any number, anywhere.
 */
import type { Command } from 'commander';
import { DEFAULT_LEASE_SECONDS, startWorker, type WorkerEvent } from '../../queue/worker.js';
import { UsageError } from '../errors.js';
import { parseInteger, parseNumber } from '../options.js';
import { stopSignal } from '../stop-signal.js';

export interface WorkerFlags {
  queue?: string;
  concurrency: string;
  lease: string;
  name?: string;
  threads?: string;
}

export const WORKER_DEFAULTS = { concurrency: '1', lease: String(DEFAULT_LEASE_SECONDS) };

export interface WorkerIo {
  out: (s: string) => void;
  err: (s: string) => void;
  /** Resolves when the worker is to stop (default: SIGINT or SIGTERM). */
  until?: Promise<unknown>;
}

function describe(event: WorkerEvent): { text: string; error?: boolean } {
  switch (event.kind) {
    case 'ready':
      return { text: `worker ${event.id}: waiting for jobs (${event.concurrency} at a time)` };
    case 'job-start':
      return {
        text: `${event.job}: images ${event.images} at eps ${event.eps} on ${event.model} (evaluation ${event.evaluation})`,
      };
    case 'job-done':
      return { text: `${event.job}: done in ${event.seconds.toFixed(1)} s` };
    case 'job-failed':
      return {
        text: `${event.job}: failed (attempt ${event.attempt} of ${event.attempts}): ${event.reason}`,
        error: true,
      };
    case 'redis':
      return event.up
        ? { text: 'Redis is back: working on', error: true }
        : { text: `Redis is away (${event.reason}): waiting for it`, error: true };
  }
}

export async function workerAction(
  flags: WorkerFlags,
  io: WorkerIo = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) },
): Promise<void> {
  if (flags.queue === undefined) throw new UsageError('--queue: give the Redis URL (redis://HOST:PORT[/DB])');
  const concurrency = parseInteger(flags.concurrency, '--concurrency', 1);
  const leaseSeconds = parseNumber(flags.lease, '--lease');
  if (!(leaseSeconds >= 1)) throw new UsageError(`--lease: give at least 1 second (got ${flags.lease})`);
  const threads = flags.threads === undefined ? undefined : parseInteger(flags.threads, '--threads', 1);
  const until = io.until ?? stopSignal();
  // What fails here is the queue option: not a redis:// URL, or no Redis answering there.
  const worker = await startWorker({
    queue: flags.queue as string,
    concurrency,
    leaseSeconds,
    name: flags.name,
    threads,
    onEvent: (event) => {
      const { text, error } = describe(event);
      if (error) io.err(`advx: ${text}\n`);
      else io.out(`${text}\n`);
    },
  }).catch((error: Error) => {
    throw new UsageError(`--queue: ${error.message}`);
  });
  await until;
  io.out(`worker ${worker.id}: stopping (finishing the jobs in hand)\n`);
  await worker.close();
}

export function registerWorkerCommand(program: Command): void {
  const d = WORKER_DEFAULTS;
  program
    .command('worker')
    .description('work on queued evaluations (advx evaluate --queue) until SIGINT/SIGTERM')
    .option('-q, --queue <URL>', 'the Redis of the queue: redis://HOST:PORT[/DB]')
    .option('-c, --concurrency <N>', 'jobs at a time in this process', d.concurrency)
    .option(
      '--lease <S>',
      "seconds a job's lock lasts unrenewed: a dead worker's job is retried after it",
      d.lease,
    )
    .option('--name <NAME>', 'how this worker shows in advx queue status (default HOST-PID)')
    .option('--threads <N>', 'ONNX Runtime threads (default: all cores)')
    .action(async (flags: WorkerFlags) => {
      await workerAction(flags);
    });
}
