/**
 * `node dist/bench/queue-throughput.js [IMAGES]`: images per minute of one evaluation (the embedded robust
 * CNN, Fashion-MNIST, the PGD-20 protocol at Linf eps 0.1, batches and shards of 16) run three ways in
 * one go: in this process, on the queue with 1 worker, and on the queue with 2 workers (worker processes
 * of this file, each on one ONNX Runtime thread, warmed up first: model loaded). A loopback
 * redis-server of its own carries the queue. The queue's overhead per job is (1-worker time - in-process
 * time) / jobs: enqueueing, the worker's pick-up, loading the shard's images, returning the result and
 * the coordinator's look every 500 ms. Prints a markdown table and the load average before and after
 * (timings on a shared machine are noisy: compare the ratios, measured side by side). Not a test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { initEngine } from '../engine/backend.js';
import { evaluate } from '../evaluation/evaluate.js';
import type { EvaluationResult } from '../evaluation/evaluation-result.js';
import { loadModel } from '../models/load.js';
import type { Model } from '../models/model.js';
import { prepareQueuedEvaluation } from '../queue/coordinator.js';
import { startTestRedis } from '../queue/test-redis.js';
import { startWorker } from '../queue/worker.js';
import { os } from './os-info.js';

const MODEL = 'fashion-mnist-cnn-robust';
const BATCH = 16;
const SETTINGS = { norm: 'linf' as const, eps: 0.1, seed: 0, batchSize: BATCH };

/** This file as a worker process: `--worker URL NAME`. */
async function runAsWorker(url: string, name: string): Promise<void> {
  const worker = await startWorker({ queue: url, name, threads: 1, leaseSeconds: 60 });
  process.stdout.write('ready\n');
  process.once('SIGTERM', () => void worker.close(true).then(() => process.exit(0)));
}

function spawnWorker(url: string, name: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--worker', url, name], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve(child));
    child.once('exit', (code) => reject(new Error(`worker ${name} exited with ${code}`)));
  });
}

async function onQueue(url: string, model: Model, images: number, offset = 0): Promise<EvaluationResult> {
  const prepared = await prepareQueuedEvaluation({
    queue: url,
    model,
    modelRef: { spec: MODEL, engine: 'onnx' },
    data: { dataset: 'fashion-mnist', images, offset },
    protocol: { name: 'pgd' },
    ...SETTINGS,
    eps: [SETTINGS.eps],
    shardSize: BATCH,
  });
  return (await prepared.run()).evaluations[0];
}

async function timed<T>(run: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const start = performance.now();
  const value = await run();
  return { seconds: (performance.now() - start) / 1000, value };
}

async function main(): Promise<void> {
  const images = Number(process.argv[2] ?? 192);
  const jobs = Math.ceil(images / BATCH);
  await initEngine();
  const before = loadavg();
  const redis = await startTestRedis();
  const workers: ChildProcess[] = [];
  const model = await loadModel(MODEL, { threads: 1 });
  try {
    const selection = { dataset: 'fashion-mnist' as const, images };
    const single = await timed(() => evaluate(model, selection, 'pgd', SETTINGS));
    workers.push(await spawnWorker(redis.url, 'bench-1'));
    await onQueue(redis.url, model, BATCH, 9000); // warm-up: the worker loads the model
    const one = await timed(() => onQueue(redis.url, model, images));
    workers.push(await spawnWorker(redis.url, 'bench-2'));
    await onQueue(redis.url, model, 8 * BATCH, 9000); // warm-up of both (most likely)
    const two = await timed(() => onQueue(redis.url, model, images));
    const outcomes = (r: EvaluationResult) => JSON.stringify(r.perImage);
    const same = [one, two].every((r) => outcomes(r.value) === outcomes(single.value));
    const perMinute = (s: number) => ((images * 60) / s).toFixed(0);
    console.log(
      `queued evaluation: ${MODEL}, ${images} Fashion-MNIST images, PGD-20 at Linf eps 0.1, batches and jobs of ${BATCH} (${jobs} jobs); ${os()}, Node ${process.version}`,
    );
    console.log('| run | seconds | images/min | vs in-process | vs 1 worker |');
    console.log('|---|---:|---:|---:|---:|');
    console.log(`| in-process | ${single.seconds.toFixed(1)} | ${perMinute(single.seconds)} | 1.00x | |`);
    for (const [name, run] of [
      ['queue, 1 worker', one],
      ['queue, 2 workers', two],
    ] as const)
      console.log(
        `| ${name} | ${run.seconds.toFixed(1)} | ${perMinute(run.seconds)} | ${(single.seconds / run.seconds).toFixed(2)}x | ${(one.seconds / run.seconds).toFixed(2)}x |`,
      );
    console.log(
      `queue overhead per job: ${(((one.seconds - single.seconds) * 1000) / jobs).toFixed(0)} ms ` +
        `(1 worker - in-process, over ${jobs} jobs); results equal to the in-process run: ${same ? 'yes' : 'NO'}`,
    );
    console.log(
      `load average (1, 5, 15 min): before ${before.map((l) => l.toFixed(2)).join(', ')}; ` +
        `after ${loadavg()
          .map((l) => l.toFixed(2))
          .join(', ')}`,
    );
  } finally {
    model.dispose();
    for (const w of workers) w.kill('SIGTERM');
    await redis.stop();
  }
}

if (process.argv[2] === '--worker') {
  runAsWorker(process.argv[3], process.argv[4]).catch((error: Error) => {
    console.error(`queue-throughput worker: ${error.message}`);
    process.exit(1);
  });
} else {
  main().catch((error: Error) => {
    console.error(`queue-throughput: ${error.message}`);
    process.exitCode = 1;
  });
}
