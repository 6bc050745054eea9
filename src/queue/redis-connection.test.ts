/**
 * `--queue` URLs: parsed, or one line naming the problem; a URL where nothing listens, or where a server
 * that is not Redis listens (a loopback HTTP server here), fails fast with one line; a real redis-server
 * (the test harness's, on loopback) answers.
 */
import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { test } from 'node:test';
import { checkRedis, displayUrl, parseQueueUrl } from './redis-connection.js';
import { startTestRedis } from './test-redis.js';

test('queue URLs: redis://HOST:PORT[/DB], or a one-line error naming the problem', () => {
  const url = parseQueueUrl('redis://:s3cret@127.0.0.1:6390/2');
  assert.deepEqual(
    { host: url.host, port: url.port, db: url.db, tls: url.tls, password: url.password },
    { host: '127.0.0.1', port: 6390, db: 2, tls: false, password: 's3cret' },
  );
  assert.equal(displayUrl(url), 'redis://:***@127.0.0.1:6390/2');
  assert.equal(parseQueueUrl('rediss://cache.example:7000').tls, true);
  assert.equal(parseQueueUrl('redis://[::1]').host, '::1');
  assert.equal(parseQueueUrl('redis://localhost').port, 6379);
  assert.throws(() => parseQueueUrl('localhost:6379'), /^Error: 'localhost:6379' is not a redis:\/\/ URL/);
  assert.throws(
    () => parseQueueUrl('http://127.0.0.1:6379'),
    /is not a redis:\/\/ URL \(give redis:\/\/HOST:PORT\[\/DB\]\)$/,
  );
  assert.throws(() => parseQueueUrl('not a url'), /^Error: 'not a url' is not a URL/);
  assert.throws(
    () => parseQueueUrl('redis://127.0.0.1:6379/queue'),
    /the database after the port must be a number/,
  );
});

/** A loopback port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('nothing listening, or not Redis: one line, quickly; the test redis-server answers', async () => {
  const port = await closedPort();
  await assert.rejects(
    checkRedis(parseQueueUrl(`redis://127.0.0.1:${port}`), 3000),
    (e: Error) =>
      e.message ===
      `redis://127.0.0.1:${port}: no Redis server answers there (connect ECONNREFUSED 127.0.0.1:${port})`,
  );

  const http = createHttpServer((_, res) => res.end('hello'));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const httpPort = (http.address() as AddressInfo).port;
  const started = Date.now();
  try {
    await assert.rejects(checkRedis(parseQueueUrl(`redis://127.0.0.1:${httpPort}`), 3000), (e: Error) => {
      assert.match(
        e.message,
        new RegExp(`^redis://127\\.0\\.0\\.1:${httpPort}: no Redis server answers there \\(.+\\)$`),
      );
      assert.ok(!e.message.includes('\n'), 'one line');
      return true;
    });
    assert.ok(Date.now() - started < 5000, 'within the timeout');
  } finally {
    http.closeAllConnections();
    await new Promise((resolve) => http.close(resolve));
  }

  const redis = await startTestRedis();
  try {
    await checkRedis(parseQueueUrl(redis.url));
    await redis.kill();
    await assert.rejects(checkRedis(parseQueueUrl(redis.url), 2000), /no Redis server answers there/);
    await redis.restart();
    await checkRedis(parseQueueUrl(redis.url));
  } finally {
    await redis.stop();
  }
});
