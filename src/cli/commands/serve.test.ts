/** `advx serve` as a user runs it, and other commands using its URL as --model. */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { packageRoot } from '../../data/locations.js';
import { UsageError } from '../errors.js';
import { parseServedOutput } from './serve.js';

const BIN = join(packageRoot, 'dist', 'cli', 'main.js');
const BOOT = join(packageRoot, 'examples', 'fashion-mnist', '0-ankle-boot.png');
const children: ChildProcess[] = [];
after(() => children.forEach((child) => child.exitCode === null && child.kill('SIGKILL')));

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `advx ARGS` without blocking this process (the test's own servers must keep answering). */
function advx(...args: string[]): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Starts `advx serve ARGS`; resolves with its URL once it prints it, and its exit. */
function startServe(
  ...args: string[]
): Promise<{ url: string; stderr: () => string; exit: Promise<Outcome> }> {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  const exit = new Promise<Outcome>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const url = /at (http:\/\/\S+)\n/.exec(stdout)?.[1];
      if (url !== undefined) resolve({ url, stderr: () => stderr, exit });
    });
    void exit.then((outcome) => reject(new Error(`advx serve exited (${outcome.code}): ${outcome.stderr}`)));
  });
}

test('advx serve: predict through its URL as through the model itself; SIGTERM stops it cleanly', async () => {
  const service = await startServe('--port', '0', '--host', '0.0.0.0', '--max-batch', '8');
  assert.match(service.stderr(), /warning: listening on 0\.0\.0\.0: other machines can query the model/);
  const url = service.url.replace('0.0.0.0', '127.0.0.1');
  const info = (await (await fetch(url)).json()) as Record<string, unknown>;
  assert.deepEqual([info.name, info.output, info.maxBatch], ['fashion-mnist-cnn', 'scores', 8]);
  const [remote, local] = await Promise.all([
    advx('predict', BOOT, '--model', url, '--json', '--max-qps', '10', '--timeout', '20', '--retries', '1'),
    advx('predict', BOOT, '--json'),
  ]);
  assert.equal(remote.code, 0, remote.stderr);
  const there = JSON.parse(remote.stdout).images[0].top as { name: string; p: number }[];
  const here = JSON.parse(local.stdout).images[0].top as { name: string; p: number }[];
  assert.deepEqual(
    there.map((c) => c.name),
    here.map((c) => c.name),
  );
  there.forEach((c, i) => assert.ok(Math.abs(c.p - here[i].p) < 1e-6, `${c.p} vs ${here[i].p}`));
  const child = children[children.length - 1];
  child.kill('SIGTERM');
  const stopped = await service.exit;
  assert.equal(stopped.code, 0, stopped.stderr);
  assert.match(stopped.stderr, /advx serve: stopped after 1 predictions \(1 inputs\)\n$/);
});

test('advx serve with a bad model or port, or a service option without a service: one line, exit 2', async () => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const busy = String((blocker.address() as AddressInfo).port);
  const outcomes = await Promise.all([
    advx('serve', '--model', 'no-such-model'),
    advx('serve', '--port', '70000'),
    advx('serve', '--port', busy),
    advx('serve', '--max-qps', '5'),
  ]);
  blocker.close();
  const expected = [
    /^advx: unknown model 'no-such-model'/,
    /^advx: --port: must be at most 65535 \(got 70000\)/,
    new RegExp(`^advx: cannot serve on 127\\.0\\.0\\.1:${busy}: the port is in use`),
    /^advx: --max-qps applies to a model service URL only/,
  ];
  outcomes.forEach((outcome, i) => {
    assert.equal(outcome.code, 2, `${expected[i]}: ${outcome.stderr}`);
    assert.match(outcome.stderr, expected[i]);
    assert.equal(outcome.stderr.trim().split('\n').length, 1, outcome.stderr);
  });
});

test('--output takes scores, logits, label or topk:K', () => {
  assert.deepEqual(parseServedOutput('scores'), { output: 'scores' });
  assert.deepEqual(parseServedOutput('label'), { output: 'label' });
  assert.deepEqual(parseServedOutput('topk'), { output: 'topk', topK: undefined });
  assert.deepEqual(parseServedOutput('topk:3'), { output: 'topk', topK: 3 });
  const usage = (message: RegExp) => (error: unknown) =>
    error instanceof UsageError && message.test(error.message);
  assert.throws(
    () => parseServedOutput('probabilities'),
    usage(/^--output: one of scores, logits, label or topk:K/),
  );
  assert.throws(() => parseServedOutput('topk:0'), usage(/^--output topk:K: must be an integer >= 1/));
  assert.throws(() => parseServedOutput('scores:2'), usage(/^--output: only topk takes a count/));
});

test('a model service that cannot be reached is exit 2; one that fails after loading is exit 1', async () => {
  const info = {
    service: 'advx-model-service',
    version: 1,
    name: 'failing',
    engine: 'test',
    inputShape: [28, 28, 1],
    bounds: [0, 1],
    numClasses: 10,
    labels: [...'0123456789'],
    output: 'scores',
    maxBatch: 4,
    maxBodyBytes: 1 << 20,
  };
  const failing = createServer((req, res) => {
    req.resume();
    const [status, body] = req.method === 'GET' ? [200, info] : [500, { error: 'model crashed' }];
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(failing.address() as AddressInfo).port}/`;
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const nobody = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/`;
  await new Promise((resolve) => closed.close(resolve));
  const [refused, failed] = await Promise.all([
    advx('predict', BOOT, '--model', nobody, '--retries', '0'),
    advx('predict', BOOT, '--model', url, '--retries', '1'),
  ]);
  failing.close();
  assert.equal(refused.code, 2, refused.stderr);
  assert.equal(refused.stderr, `advx: ${nobody}: cannot reach the model service (ECONNREFUSED)\n`);
  assert.equal(failed.code, 1, failed.stderr);
  assert.equal(failed.stderr, `advx: ${url}predict: HTTP 500: model crashed (2 attempts)\n`);
});
