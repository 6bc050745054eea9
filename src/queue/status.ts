/**
 * `queueStatus(url)`: what `advx queue status` shows, as plain data: the queued evaluations Redis knows
 * of (their progress, as their coordinators last recorded it), the live workers (their heartbeats) and
 * the queue's job counts.
 */
import { Queue } from 'bullmq';
import { QUEUE_NAME } from './job-schema.js';
import { checkRedis, closeRedis, connectRedis, parseQueueUrl } from './redis-connection.js';
import { listEvaluations, listWorkers, type EvaluationRecord, type WorkerRecord } from './registry.js';

export interface EvaluationStatusRow extends EvaluationRecord {
  /** Workers with a job of this evaluation in hand. */
  workers: string[];
}

export interface QueueStatus {
  evaluations: EvaluationStatusRow[];
  workers: WorkerRecord[];
  /** Jobs on the queue by state (all evaluations). */
  jobs: { waiting: number; active: number; delayed: number; failed: number; completed: number };
}

export async function queueStatus(queue: string): Promise<QueueStatus> {
  const url = parseQueueUrl(queue);
  await checkRedis(url);
  const redis = connectRedis(url);
  const bull = new Queue(QUEUE_NAME, { connection: redis });
  bull.on('error', () => undefined);
  try {
    const [evaluations, workers, counts] = await Promise.all([
      listEvaluations(redis),
      listWorkers(redis),
      bull.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed'),
    ]);
    workers.sort((a, b) => a.id.localeCompare(b.id));
    return {
      evaluations: evaluations
        .sort((a, b) => b.updated - a.updated)
        .map((e) => ({
          ...e,
          workers: workers.filter((w) => w.active.some((job) => job.startsWith(`${e.id}-`))).map((w) => w.id),
        })),
      workers,
      jobs: {
        waiting: counts.waiting ?? 0,
        active: counts.active ?? 0,
        delayed: counts.delayed ?? 0,
        failed: counts.failed ?? 0,
        completed: counts.completed ?? 0,
      },
    };
  } finally {
    await bull.close().catch(() => undefined);
    closeRedis(redis);
  }
}
