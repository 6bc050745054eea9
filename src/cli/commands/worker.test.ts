/**
 * `advx worker` and `advx evaluate --queue`: bad input is one line and exit code 2, before any work: no
 * --queue, a URL that is not redis://, a Redis that does not answer, bad counts, a model service (no
 * files to hash), --attach or --shard-size without --queue.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { test } from 'node:test';
import { packageRoot } from '../../data/locations.js';
import { UsageError } from '../errors.js';
import { evaluateAction, EVALUATE_DEFAULTS, type EvaluateFlags } from './evaluate.js';
import { workerAction, WORKER_DEFAULTS, type WorkerFlags } from './worker.js';

function advx(...args: string[]) {
  const argv = ['dist/cli/main.js', ...args];
  const r = spawnSync(process.execPath, argv, { cwd: packageRoot, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const quiet = () => undefined;
const io = { out: quiet, err: quiet, until: Promise.resolve() };

test('advx worker: bad input is one line naming the option', async () => {
  const port = await closedPort();
  const cases: [Partial<WorkerFlags>, RegExp][] = [
    [{ queue: undefined }, /^--queue: give the Redis URL \(redis:\/\/HOST:PORT\[\/DB\]\)$/],
    [{ queue: 'http://127.0.0.1:6379' }, /^--queue: 'http:\/\/127\.0\.0\.1:6379' is not a redis:\/\/ URL/],
    [
      { queue: `redis://127.0.0.1:${port}` },
      new RegExp(
        `^--queue: redis://127\\.0\\.0\\.1:${port}: no Redis server answers there \\(connect ECONNREFUSED`,
      ),
    ],
    [{ concurrency: '0' }, /^--concurrency: must be an integer >= 1 \(got 0\)$/],
    [{ lease: '0.5' }, /^--lease: give at least 1 second \(got 0\.5\)$/],
    [{ threads: 'many' }, /^--threads: 'many' is not a number/],
  ];
  for (const [extra, message] of cases)
    await assert.rejects(
      workerAction({ ...WORKER_DEFAULTS, queue: `redis://127.0.0.1:${port}`, ...extra }, io),
      (e) => e instanceof UsageError && message.test(e.message),
      `${JSON.stringify(extra)} should fail with ${message}`,
    );
});

test('advx evaluate --queue: bad input is one line, exit code 2', async () => {
  const port = await closedPort();
  const queue = `redis://127.0.0.1:${port}`;
  const flags = (extra: Partial<EvaluateFlags>): EvaluateFlags => ({
    ...EVALUATE_DEFAULTS,
    model: 'fashion-mnist-cnn-robust',
    dataset: 'fashion-mnist',
    eps: '0.1',
    protocol: 'pgd',
    images: '8',
    queue,
    ...extra,
  });
  const cases: [Partial<EvaluateFlags>, RegExp][] = [
    [{ queue: undefined, attach: 'ev-1' }, /^--attach: only with --queue$/],
    [{ queue: undefined, shardSize: '8' }, /^--shard-size: only with --queue$/],
    [{ shardSize: '0' }, /^--shard-size: must be an integer >= 1 \(got 0\)$/],
    [{ attach: 'ev-1', out: 'x' }, /^--attach: the evaluation has its settings and folder/],
    [{ queue: 'localhost:6379' }, /^'localhost:6379' is not a redis:\/\/ URL/],
    [{ resume: true }, /^--resume: give --out/],
    [
      {},
      new RegExp(`^redis://127\\.0\\.0\\.1:${port}: no Redis server answers there \\(connect ECONNREFUSED`),
    ],
  ];
  for (const [extra, message] of cases)
    await assert.rejects(
      evaluateAction(flags(extra), quiet, quiet),
      (e) => e instanceof UsageError && message.test(e.message),
      `${JSON.stringify(extra)} should fail with ${message}`,
    );

  const r = advx(
    'evaluate',
    '--dataset',
    'fashion-mnist',
    '--eps',
    '0.1',
    '--protocol',
    'pgd',
    '--queue',
    queue,
  );
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.match(
    r.stderr,
    new RegExp(`^advx: redis://127\\.0\\.0\\.1:${port}: no Redis server answers there \\(.+\\)\\n$`),
  );
  const w = advx('worker', '--queue', 'http://127.0.0.1:6379');
  assert.equal(w.code, 2);
  assert.equal(
    w.stderr,
    "advx: --queue: 'http://127.0.0.1:6379' is not a redis:// URL (give redis://HOST:PORT[/DB])\n",
  );
});
