/** `advx queue status`: bad input is one line; an empty queue on a real (test) Redis lists nothing. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestRedis } from '../../queue/test-redis.js';
import { UsageError } from '../errors.js';
import { queueStatusAction } from './queue.js';

test('advx queue status: one-line errors; an empty queue lists no evaluation and no worker', async () => {
  await assert.rejects(
    queueStatusAction({}, () => undefined),
    (e) => e instanceof UsageError && e.message === '--queue: give the Redis URL (redis://HOST:PORT[/DB])',
  );
  await assert.rejects(
    queueStatusAction({ queue: 'redis://127.0.0.1:6379/x' }, () => undefined),
    (e) =>
      e instanceof UsageError && /^--queue: .*the database after the port must be a number$/.test(e.message),
  );
  const redis = await startTestRedis();
  try {
    const printed: string[] = [];
    const status = await queueStatusAction({ queue: redis.url }, (s) => printed.push(s));
    assert.deepEqual(status.evaluations, []);
    assert.deepEqual(status.workers, []);
    assert.equal(
      printed.join(''),
      'evaluations: none\nworkers: none\njobs: 0 waiting, 0 active, 0 delayed, 0 failed, 0 completed\n',
    );
    const json: string[] = [];
    await queueStatusAction({ queue: redis.url, json: true }, (s) => json.push(s));
    assert.deepEqual(JSON.parse(json.join('')), status);
  } finally {
    await redis.stop();
  }
});
