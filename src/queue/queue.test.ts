/**
 * Queued evaluations end to end, on a redis-server of the test's own (loopback, free port, no
 * persistence) and `advx worker` processes: every run must end with exactly the single-process result
 * (same seeds), every image once, through
 * - a worker SIGKILLed while it holds a job (the job goes to the other worker after the lease);
 * - a coordinator SIGKILLed mid-run, then attached to again by id (and resumed by its --out);
 * - Redis killed mid-run and started again empty on the same port (the work pauses; what Redis lost is
 *   enqueued again from the coordinator's state file);
 * - a model the workers do not have (its files changed after the job was made): the jobs fail with the
 *   reason, and the evaluation says which images have no result instead of waiting for ever.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Queue } from 'bullmq';
import { evaluateAction, EVALUATE_DEFAULTS, type EvaluateFlags } from '../cli/commands/evaluate.js';
import { queueStatusAction } from '../cli/commands/queue.js';
import { embeddedModelsDir, packageRoot } from '../data/locations.js';
import { initEngine } from '../engine/backend.js';
import { evaluate } from '../evaluation/evaluate.js';
import type { EvaluationResult } from '../evaluation/evaluation-result.js';
import { RESULT_FILE } from '../evaluation/evaluation-state.js';
import { loadModel } from '../models/load.js';
import { prepareQueuedEvaluation, type QueuedEvaluationEvent } from './coordinator.js';
import { QUEUE_STATE_FILE, readQueueState } from './coordinator-state.js';
import { QUEUE_NAME } from './job-schema.js';
import { closeRedis, connectRedis, parseQueueUrl } from './redis-connection.js';
import { startTestRedis, type TestRedis } from './test-redis.js';

const MODEL = 'fashion-mnist-cnn-robust';
const IMAGES = 24;
const SETTINGS = { norm: 'linf' as const, eps: 0.3, seed: 5, batchSize: 4 };
const ATTACKS = 'linf-uniform-noise,linf-pgd';
/** Seconds a job's lock lasts: how soon the job of a killed worker goes to another. */
const LEASE = '4';

let redis: TestRedis;
let reference: EvaluationResult;
const work = mkdtempSync(join(tmpdir(), 'advx-queue-'));
const workers: ChildProcess[] = [];

function advxArgs(args: string[]): string[] {
  return [join(packageRoot, 'dist', 'cli', 'main.js'), ...args];
}
process.env.ADVX_PROGRESS = '0';
const env = { ...process.env };

/** Starts `advx worker` and resolves once it waits for jobs. */
function startWorker(name: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    advxArgs(['worker', '--queue', redis.url, '--lease', LEASE, '--name', name]),
    { cwd: packageRoot, env },
  );
  workers.push(child);
  let output = '';
  return new Promise((resolve, reject) => {
    const seen = (d: Buffer) => {
      output += d.toString();
      if (output.includes('waiting for jobs')) resolve(child);
    };
    child.stdout.on('data', seen);
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('exit', (code) =>
      reject(new Error(`worker ${name} exited (${code}) before it was ready: ${output}`)),
    );
  });
}

function stopWorker(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

const flags = (extra: Partial<EvaluateFlags>): EvaluateFlags => ({
  ...EVALUATE_DEFAULTS,
  model: MODEL,
  dataset: 'fashion-mnist',
  images: String(IMAGES),
  batchSize: String(SETTINGS.batchSize),
  eps: String(SETTINGS.eps),
  seed: String(SETTINGS.seed),
  protocol: 'custom',
  attacks: ATTACKS,
  queue: redis.url,
  shardSize: '8',
  json: true,
  ...extra,
});
const quiet = () => undefined;
const withoutTimes = (r: EvaluationResult) => ({
  ...r,
  attacks: r.attacks.map((a) => ({ ...a, seconds: 0 })),
});

function assertSameAsSingleProcess(result: EvaluationResult) {
  assert.deepEqual(
    result.perImage.map((p) => p.index),
    Array.from({ length: IMAGES }, (_, i) => i),
    'every image once, in order',
  );
  assert.deepEqual(withoutTimes(result), withoutTimes(reference));
}

/** Polls `check` every 50 ms until it returns true (fails after `seconds`). */
async function waitFor(what: string, check: () => boolean | Promise<boolean>, seconds = 120): Promise<void> {
  const until = Date.now() + seconds * 1000;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

before(async () => {
  redis = await startTestRedis();
  await initEngine();
  const model = await loadModel(MODEL);
  try {
    reference = await evaluate(
      model,
      { dataset: 'fashion-mnist', images: IMAGES },
      { name: 'custom', attacks: ATTACKS.split(',') },
      SETTINGS,
    );
  } finally {
    model.dispose();
  }
  assert.ok(
    reference.perImage.some((p) => p.fooledBy === 'linf-uniform-noise'),
    'the noise fools some images: the seeds of each batch matter',
  );
});

after(async () => {
  await Promise.all(workers.map((w) => stopWorker(w, 'SIGKILL')));
  await redis.stop();
  rmSync(work, { recursive: true, force: true });
});

test('two workers, one SIGKILLed while it holds a job: the other takes it; the result is the single-process one', async () => {
  const [a, b] = await Promise.all([startWorker('worker-a'), startWorker('worker-b')]);
  const out = join(work, 'killed-worker');
  const connection = connectRedis(parseQueueUrl(redis.url));
  const queue = new Queue(QUEUE_NAME, { connection });
  let killedJob: string | undefined;
  const killed = { at: 0 };
  try {
    const running = evaluateAction(flags({ out }), quiet, quiet);
    await waitFor('worker-a to hold a job', async () => {
      const active = await queue.getActive();
      killedJob = active.find((job) => job.processedBy === 'worker-a')?.id;
      return killedJob !== undefined;
    });
    await stopWorker(a, 'SIGKILL');
    killed.at = Date.now();
    const { evaluations } = await running;
    assertSameAsSingleProcess(evaluations[0]);
  } finally {
    await queue.close();
    closeRedis(connection);
  }
  const state = readQueueState(out);
  const byShard = Object.entries(state.results);
  assert.equal(byShard.length, 3, 'one result per shard');
  const [, shard] = /-s(\d+)$/.exec(killedJob as string) ?? [];
  assert.equal(state.results[`0/${shard}`].worker, 'worker-b', 'the killed job was done again by worker-b');
  assert.deepEqual(
    withoutTimes(JSON.parse(readFileSync(join(out, RESULT_FILE), 'utf8')) as EvaluationResult),
    withoutTimes(reference),
    'evaluation.json as a single-process run writes it',
  );

  const lines: string[] = [];
  const status = await queueStatusAction({ queue: redis.url }, (s) => lines.push(s));
  const listed = status.evaluations.find((e) => e.id === state.spec.id);
  assert.ok(
    listed !== undefined && listed.status === 'done' && listed.jobsDone === 3 && listed.workDone === IMAGES,
  );
  assert.ok(status.workers.some((w) => w.id === 'worker-b' && w.jobsDone >= 2 && w.active.length === 0));
  const dead = status.workers.find((w) => w.id === 'worker-a');
  assert.ok(
    dead === undefined || dead.updated < killed.at,
    'the killed worker beats no more (its record expires)',
  );
  assert.match(lines.join(''), new RegExp(`${state.spec.id} .* done .*100\\.0% \\(${IMAGES}/${IMAGES}\\)`));
  await stopWorker(b);
  assert.equal(b.exitCode, 0, 'SIGTERM: the worker stops cleanly');
});

test('a coordinator SIGKILLed mid-run is attached to again by id (and resumed by its --out): same result', async () => {
  await startWorker('worker-c');
  const out = join(work, 'killed-coordinator');
  const args = ['evaluate', '--model', MODEL, '--dataset', 'fashion-mnist', '--images', String(IMAGES)];
  args.push('--batch-size', '4', '--eps', '0.3', '--seed', '5', '--protocol', 'custom', '--attacks', ATTACKS);
  const coordinator = spawn(
    process.execPath,
    advxArgs([...args, '--queue', redis.url, '--shard-size', '4', '--out', out]),
    { cwd: packageRoot, env },
  );
  const results = () =>
    existsSync(join(out, QUEUE_STATE_FILE)) ? Object.keys(readQueueState(out).results).length : 0;
  await waitFor('a first shard result', () => results() >= 1);
  coordinator.kill('SIGKILL');
  await new Promise((resolve) => coordinator.once('exit', resolve));
  const id = readQueueState(out).spec.id;
  assert.ok(results() < 6, 'killed before the end');
  assert.ok(!existsSync(join(out, RESULT_FILE)));

  const printed: string[] = [];
  const attached = await evaluateAction(
    { ...EVALUATE_DEFAULTS, model: MODEL, queue: redis.url, attach: id, json: true },
    (s) => printed.push(s),
    quiet,
  );
  assertSameAsSingleProcess(attached.evaluations[0]);
  assert.deepEqual(withoutTimes(JSON.parse(printed.join('')) as EvaluationResult), withoutTimes(reference));

  const resumed = await evaluateAction(flags({ out, resume: true, shardSize: '4' }), quiet, quiet);
  assertSameAsSingleProcess(resumed.evaluations[0]);
});

test('Redis killed mid-run and started again empty: the work pauses, lost jobs are enqueued again, same result', async () => {
  const events: QueuedEvaluationEvent[] = [];
  const model = await loadModel(MODEL);
  let prepared;
  try {
    prepared = await prepareQueuedEvaluation({
      queue: redis.url,
      model,
      modelRef: { spec: MODEL, engine: 'onnx' },
      data: { dataset: 'fashion-mnist', images: IMAGES },
      protocol: { name: 'custom', attacks: ATTACKS.split(',') },
      ...SETTINGS,
      eps: [SETTINGS.eps],
      shardSize: 4,
      pollMs: 200,
      onEvent: (e) => events.push(e),
    });
  } finally {
    model.dispose();
  }
  const running = prepared.run();
  await waitFor('a first shard result', () => events.some((e) => e.kind === 'progress' && e.jobsDone >= 1));
  await redis.kill();
  await waitFor('the coordinator to see Redis away', () => events.some((e) => e.kind === 'redis' && !e.up));
  await new Promise((resolve) => setTimeout(resolve, 1000));
  await redis.restart();
  const { evaluations } = await running;
  assertSameAsSingleProcess(evaluations[0]);
  assert.ok(
    events.some((e) => e.kind === 'redis' && e.up),
    'Redis came back',
  );
  const requeued = events.filter((e) => e.kind === 'requeued');
  assert.ok(requeued.length > 0, 'the jobs Redis lost were enqueued again');
});

test('a model the workers do not have: its jobs fail with the reason; the evaluation names the images without result', async () => {
  const copy = join(work, 'model-copy');
  cpSync(join(embeddedModelsDir(), MODEL), copy, { recursive: true });
  const events: QueuedEvaluationEvent[] = [];
  const model = await loadModel(copy);
  let prepared;
  try {
    prepared = await prepareQueuedEvaluation({
      queue: redis.url,
      model,
      modelRef: { spec: copy, engine: 'onnx' },
      data: { dataset: 'fashion-mnist', images: 8 },
      protocol: { name: 'pgd' },
      ...SETTINGS,
      eps: [SETTINGS.eps],
      shardSize: 4,
      attempts: 2,
      pollMs: 200,
      onEvent: (e) => events.push(e),
    });
  } finally {
    model.dispose();
  }
  // The workers' copy is not the coordinator's any more.
  const weights = join(copy, 'weights.bin');
  const bytes = readFileSync(weights);
  bytes[0] ^= 0xff;
  writeFileSync(weights, bytes);
  await assert.rejects(prepared.run(), (e: Error) => {
    assert.match(
      e.message,
      new RegExp(
        `^8 of 8 images have no result: 2 job\\(s\\) failed \\(e\\.g\\. images 0\\.\\.3 at eps 0\\.3: model '.*model-copy': ` +
          `this worker's files have content hash [0-9a-f]{12}, the job's [0-9a-f]{12}: not the same model\\); ` +
          `fix that, then retry them with advx evaluate --queue ${redis.url} --attach ${prepared.id}$`,
      ),
    );
    return true;
  });
  const failed = events.filter((e) => e.kind === 'job-failed');
  assert.deepEqual(failed.map((e) => e.kind === 'job-failed' && [e.images, e.attempts]).sort(), [
    ['0..3', 2],
    ['4..7', 2],
  ]);
});
