/**
 * `advx queue status --queue redis://HOST:PORT[/DB] [--json]`: the queued evaluations Redis knows of (their
 * progress and the workers on them), the live workers, and the queue's job counts. `--json` prints the
 * same as one JSON document.
 */
import type { Command } from 'commander';
import { queueStatus, type QueueStatus } from '../../queue/status.js';
import { UsageError } from '../errors.js';
import { table } from '../tables.js';

export interface QueueStatusFlags {
  queue?: string;
  json?: boolean;
}

const ago = (ms: number, now: number) => `${Math.max(0, Math.round((now - ms) / 1000))} s ago`;

export function renderQueueStatus(status: QueueStatus, now = Date.now()): string {
  const { evaluations, workers, jobs } = status;
  const lines: string[] = [];
  lines.push(
    evaluations.length === 0
      ? 'evaluations: none'
      : table(
          [
            'evaluation',
            'status',
            'model',
            'data',
            'eps',
            'protocol',
            'progress',
            'jobs',
            'workers',
            'updated',
          ],
          evaluations.map((e) => [
            e.id,
            e.status,
            e.model,
            `${e.dataset} ${e.images}`,
            e.eps.map((x) => Number(x.toPrecision(6))).join(', '),
            e.protocol,
            `${((100 * e.workDone) / Math.max(1, e.work)).toFixed(1)}% (${e.workDone}/${e.work})`,
            `${e.jobsDone}/${e.jobs} done${e.jobsFailed > 0 ? `, ${e.jobsFailed} failed` : ''}`,
            e.workers.join(', ') || '-',
            ago(e.updated, now),
          ]),
        ),
  );
  lines.push(
    workers.length === 0
      ? 'workers: none'
      : table(
          ['worker', 'host', 'pid', 'jobs in hand', 'done', 'failed', 'seen'],
          workers.map((w) => [
            w.id,
            w.host,
            w.pid,
            `${w.active.length}/${w.concurrency}${w.active.length > 0 ? `: ${w.active.join(', ')}` : ''}`,
            w.jobsDone,
            w.jobsFailed,
            ago(w.updated, now),
          ]),
        ),
  );
  lines.push(
    `jobs: ${jobs.waiting} waiting, ${jobs.active} active, ${jobs.delayed} delayed, ${jobs.failed} failed, ${jobs.completed} completed`,
  );
  return lines.join('\n') + '\n';
}

export async function queueStatusAction(
  flags: QueueStatusFlags,
  out: (s: string) => void = (s) => process.stdout.write(s),
): Promise<QueueStatus> {
  if (flags.queue === undefined) throw new UsageError('--queue: give the Redis URL (redis://HOST:PORT[/DB])');
  const status = await queueStatus(flags.queue).catch((error: Error) => {
    throw new UsageError(`--queue: ${error.message}`);
  });
  out(flags.json ? JSON.stringify(status, null, 2) + '\n' : renderQueueStatus(status));
  return status;
}

export function registerQueueCommand(program: Command): void {
  const queue = program
    .command('queue')
    .description('queued evaluations (advx evaluate --queue, advx worker)');
  queue
    .command('status')
    .description('queued evaluations, their progress and their workers')
    .option('-q, --queue <URL>', 'the Redis of the queue: redis://HOST:PORT[/DB]')
    .option('--json', 'print one JSON document on stdout')
    .action(async (flags: QueueStatusFlags) => {
      await queueStatusAction(flags);
    });
  queue.commands.forEach((c) => c.exitOverride());
}
