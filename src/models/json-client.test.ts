/** The HTTP model's client against raw node:http servers that misbehave on purpose. */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import { JsonClient, ModelServiceError, retryAfterMs } from './json-client.js';

const servers: Server[] = [];
after(() => {
  for (const server of servers) {
    server.closeAllConnections();
    server.close();
  }
});

/** A loopback server answering with `handler`; returns its URL and the times its requests came in. */
async function serve(handler: (req: IncomingMessage, res: ServerResponse, count: number) => void) {
  const arrivals: number[] = [];
  const server = createServer((req, res) => {
    arrivals.push(performance.now());
    req.resume();
    req.on('end', () => handler(req, res, arrivals.length));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`), arrivals };
}

const json = (res: ServerResponse, status: number, body: unknown, headers = {}) =>
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));

const failure = (kind: ModelServiceError['failure'], message: RegExp) => (error: unknown) =>
  error instanceof ModelServiceError &&
  error.failure === kind &&
  message.test(error.message) &&
  !error.message.includes('\n');

test('5xx answers are retried with exponential back-off, then the answer comes', async () => {
  const { url, arrivals } = await serve((_req, res, n) =>
    n <= 2 ? json(res, 503, { error: 'warming up' }) : json(res, 200, { ok: n }),
  );
  const client = new JsonClient(url, { backoffMs: 40, retries: 3 });
  assert.deepEqual(await client.post('predict', '{}'), { ok: 3 });
  assert.equal(client.requestsSent, 3);
  assert.ok(arrivals[1] - arrivals[0] >= 38, `first back-off ${arrivals[1] - arrivals[0]} ms`);
  assert.ok(arrivals[2] - arrivals[1] >= 78, `second back-off ${arrivals[2] - arrivals[1]} ms`);
});

test('a service that keeps failing gives one error after the retries, with its reason', async () => {
  const { url, arrivals } = await serve((_req, res) => json(res, 500, { error: 'model crashed' }));
  const client = new JsonClient(url, { backoffMs: 5, retries: 2 });
  await assert.rejects(
    client.get(''),
    failure('status', /^http:\/\/127\.0\.0\.1:\d+\/: HTTP 500: model crashed \(3 attempts\)$/),
  );
  assert.equal(arrivals.length, 3);
});

test('other 4xx answers are not retried', async () => {
  const { url, arrivals } = await serve((_req, res) =>
    json(res, 413, { error: 'a body of 9 bytes is over' }),
  );
  const client = new JsonClient(url, { backoffMs: 5, retries: 3 });
  await assert.rejects(
    client.post('predict', '{}'),
    failure('status', /predict: HTTP 413: a body of 9 bytes is over$/),
  );
  assert.equal(arrivals.length, 1);
});

test('429 waits as long as Retry-After says; a Retry-After beyond the limit fails at once', async () => {
  const { url, arrivals } = await serve((_req, res, n) =>
    n === 1 ? json(res, 429, { error: 'slow down' }, { 'retry-after': '1' }) : json(res, 200, [n]),
  );
  const client = new JsonClient(url, { backoffMs: 1, retries: 1 });
  assert.deepEqual(await client.get(''), [2]);
  assert.ok(arrivals[1] - arrivals[0] >= 990, `waited ${arrivals[1] - arrivals[0]} ms`);
  const patient = await serve((_req, res) => json(res, 429, { error: 'quota' }, { 'retry-after': '120' }));
  const limited = new JsonClient(patient.url, { retries: 3, maxRetryAfterMs: 10_000 });
  await assert.rejects(
    limited.get(''),
    failure('status', /HTTP 429: quota \(asks to retry after 120 s, more than the 10 s/),
  );
  assert.equal(patient.arrivals.length, 1);
});

test('a service that hangs gives one timeout error within the timeout, without retrying', async () => {
  const { url, arrivals } = await serve(() => undefined);
  const client = new JsonClient(url, { timeoutMs: 300, retries: 3 });
  const start = performance.now();
  await assert.rejects(client.get(''), failure('timeout', /: no answer within 0\.3 s \(timeout\)$/));
  const elapsed = performance.now() - start;
  assert.ok(elapsed >= 290 && elapsed < 1500, `failed after ${elapsed} ms`);
  assert.equal(arrivals.length, 1);
});

test('an answer that is not JSON is one clear error', async () => {
  const { url } = await serve((_req, res) =>
    res.writeHead(200, { 'content-type': 'text/html' }).end('<html>\n<b>hi</b>'),
  );
  await assert.rejects(
    new JsonClient(url).get(''),
    failure('answer', /: the answer is not JSON \("<html> <b>hi<\/b>"\)$/),
  );
});

test('a refused connection is retried, then reported with the system reason', async () => {
  const { url } = await serve(() => undefined);
  servers.pop()?.close();
  await new Promise((resolve) => setTimeout(resolve, 50));
  const client = new JsonClient(url, { retries: 2, backoffMs: 5 });
  await assert.rejects(
    client.get(''),
    failure('unreachable', /cannot reach the model service \(ECONNREFUSED\) \(3 attempts\)$/),
  );
  assert.equal(client.requestsSent, 3);
});

test('maxQps spaces the requests out', async () => {
  const { url, arrivals } = await serve((_req, res) => json(res, 200, {}));
  const client = new JsonClient(url, { maxQps: 10 });
  const start = performance.now();
  await Promise.all(Array.from({ length: 4 }, () => client.get('')));
  const elapsed = performance.now() - start;
  assert.ok(elapsed >= 295, `4 requests at 10 qps took ${elapsed} ms`);
  // arrivals jitter by the connection set-up and the machine's load (starts do not): allow 100 ms
  assert.equal(arrivals.length, 4);
  const sorted = [...arrivals].sort((a, b) => a - b);
  assert.ok(sorted[3] - sorted[0] >= 200, `arrivals spread over ${sorted[3] - sorted[0]} ms`);
});

test('Retry-After in seconds or as an HTTP date; bad options are refused', () => {
  assert.equal(retryAfterMs('3'), 3000);
  assert.equal(retryAfterMs(new Date(10_000).toUTCString(), 4_000), 6_000);
  assert.equal(retryAfterMs('soon'), undefined);
  assert.equal(retryAfterMs(null), undefined);
  const url = new URL('http://127.0.0.1:1/');
  assert.throws(() => new JsonClient(url, { timeoutMs: 0 }), /timeout must be > 0/);
  assert.throws(() => new JsonClient(url, { retries: -1 }), /retries must be an integer >= 0/);
  assert.throws(() => new JsonClient(url, { maxQps: 0 }), /max queries per second must be > 0/);
});
