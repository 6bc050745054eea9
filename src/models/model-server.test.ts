/** serveModel on real loopback sockets, spoken to with fetch (the protocol, its limits, shutdown). */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, test } from 'node:test';
import { initEngine } from '../engine/backend.js';
import { tf, type Tensor2D } from '../engine/tf.js';
import { blackBoxModel } from './black-box-model.js';
import { functionModel } from './forward-model.js';
import type { Model } from './model.js';
import { argmaxRows, softmaxRows } from './model-outputs.js';
import { isLoopbackHost, serveModel, type ModelServer } from './model-server.js';
import { encodePredictRequest } from './service-protocol.js';

before(() => initEngine());

/** logits = [sum(x), x0 - x5, 2 x2, -sum(x)] of 2x3x1 inputs: a closed form to check answers against. */
const model = functionModel(
  (x) =>
    tf.tidy(() => {
      const flat = tf.reshape(x, [x.shape[0], 6]);
      const w = tf.tensor2d(
        [1, 1, 0, -1, 1, 0, 0, -1, 1, 0, 2, -1, 1, 0, 0, -1, 1, 0, 0, -1, 1, -1, 0, -1],
        [6, 4],
      );
      return tf.matMul(flat, w) as Tensor2D;
    }),
  { name: 'closed-form', inputShape: [2, 3, 1], labels: ['a', 'b', 'c', 'd'] },
);

const open: ModelServer[] = [];
after(() => Promise.all(open.map((s) => s.close())));

async function start(options: Parameters<typeof serveModel>[1] = {}, served: Model = model) {
  const server = await serveModel(served, options);
  open.push(server);
  return server;
}

const X = Float32Array.from([0.1, 0.2, 0.9, 0.4, 0.5, 0.6, 0.9, 0.1, 0.0, 0.3, 0.2, 0.0]);

function expectedLogits(x: Float32Array): number[] {
  const out: number[] = [];
  for (let n = 0; n < x.length / 6; n++) {
    const v = x.subarray(n * 6, n * 6 + 6);
    const sum = v.reduce((a, b) => a + b, 0);
    out.push(sum, v[0] - v[5], 2 * v[2], -sum);
  }
  return out;
}

async function post(server: ModelServer, body: string) {
  const res = await fetch(new URL('predict', server.url), { method: 'POST', body });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

const predictBody = (x = X) => encodePredictRequest(x, [x.length / 6, 2, 3, 1]);

test('GET / describes the model; POST /predict answers logits, scores, labels or top-k', async () => {
  const logits = await start({ output: 'logits' });
  assert.match(logits.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  const info = await (await fetch(logits.url)).json();
  assert.deepEqual(info, {
    service: 'advx-model-service',
    version: 1,
    name: 'closed-form',
    engine: 'tfjs',
    inputShape: [2, 3, 1],
    bounds: [0, 1],
    numClasses: 4,
    labels: ['a', 'b', 'c', 'd'],
    output: 'logits',
    maxBatch: 128,
    maxBodyBytes: 64 * 1024 * 1024,
  });
  const expected = expectedLogits(X);
  const got = (await post(logits, predictBody())).body.logits as number[][];
  got.flat().forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-6, `${v} vs ${expected[i]}`));

  const scores = (await post(await start({ output: 'scores' }), predictBody())).body.scores as number[][];
  const p = softmaxRows(expected, 2, 4);
  scores.flat().forEach((v, i) => assert.ok(Math.abs(v - p[i]) < 1e-6));
  const labels = (await post(await start({ output: 'label' }), predictBody())).body.labels;
  assert.deepEqual(labels, argmaxRows(expected, 2, 4));
  const top = (await post(await start({ output: 'topk', topK: 2 }), predictBody())).body.topk as {
    index: number;
  }[][];
  assert.deepEqual(
    top.map((row) => row.map((c) => c.index)),
    [0, 1].map((n) => [0, 1, 2, 3].sort((a, b) => expected[n * 4 + b] - expected[n * 4 + a]).slice(0, 2)),
  );
  assert.deepEqual(logits.stats(), { predictions: 1, inputs: 2, rejected: 0, failed: 0 });
});

test('nested arrays ask the same as base64', async () => {
  const server = await start({ output: 'logits' });
  const nested = [0, 1].map((n) => [0, 1].map((h) => [0, 1, 2].map((w) => [X[n * 6 + h * 3 + w]])));
  const a = await post(server, JSON.stringify({ inputs: nested }));
  const b = await post(server, predictBody());
  assert.equal(a.status, 200);
  assert.deepEqual(a.body, b.body);
});

test('bad requests get a JSON error and the right status; the service keeps serving', async () => {
  const server = await start({ maxBatch: 2, maxBodyBytes: 2000 });
  const tooMany = await post(server, predictBody(new Float32Array(18)));
  assert.equal(tooMany.status, 400);
  assert.equal(tooMany.body.error, "a batch of 3 is over this service's limit of 2 (maxBatch)");
  const huge = await post(server, JSON.stringify({ inputs: 'A'.repeat(5000) }));
  assert.equal(huge.status, 413);
  assert.match(
    String(huge.body.error),
    /^a body of 50\d\d bytes is over this service's limit of 2000 bytes \(maxBodyBytes\)$/,
  );
  const notJson = await post(server, '{"inputs": [');
  assert.deepEqual([notJson.status, notJson.body], [400, { error: 'the body is not JSON' }]);
  const wrongShape = await post(server, encodePredictRequest(new Float32Array(6), [1, 3, 2, 1]));
  assert.equal(wrongShape.status, 400);
  assert.match(String(wrongShape.body.error), /inputs have shape \[1,3,2,1\], the model takes \[N,2,3,1\]/);
  const missing = await fetch(new URL('nothing', server.url));
  assert.equal(missing.status, 404);
  assert.match(((await missing.json()) as { error: string }).error, /^no such path \/nothing/);
  const wrongMethod = await fetch(new URL('predict', server.url));
  assert.equal(wrongMethod.status, 405);
  assert.equal(wrongMethod.headers.get('allow'), 'POST');
  await wrongMethod.body?.cancel();
  assert.equal((await post(server, predictBody())).status, 200);
  assert.deepEqual(server.stats(), { predictions: 1, inputs: 2, rejected: 6, failed: 0 });
});

test('a body over the limit that streams in (no Content-Length) is cut off with a 413', async () => {
  const server = await start({ maxBodyBytes: 1000 });
  const chunks = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < 10; i++) controller.enqueue(new TextEncoder().encode('x'.repeat(500)));
      controller.close();
    },
  });
  const res = await fetch(new URL('predict', server.url), {
    method: 'POST',
    body: chunks,
    duplex: 'half',
  } as RequestInit);
  assert.equal(res.status, 413);
  assert.match(
    ((await res.json()) as { error: string }).error,
    /^the body is over this service's limit of 1000 bytes/,
  );
});

test('a model that fails gives a 500 with its reason', async () => {
  const broken = blackBoxModel(
    () => {
      throw new Error('GPU on fire\nstack...');
    },
    { inputShape: [2, 3, 1], numClasses: 4, output: 'logits', name: 'broken' },
  );
  const server = await start({}, broken);
  const res = await post(server, predictBody());
  assert.deepEqual([res.status, res.body], [500, { error: 'model broken failed: GPU on fire' }]);
});

test('close() lets a request in flight finish, then refuses new connections', async () => {
  let release: () => void = () => {};
  const slow = blackBoxModel(
    async (_x, shape) => {
      await new Promise<void>((resolve) => (release = resolve));
      return new Array(shape[0]).fill(1);
    },
    { inputShape: [2, 3, 1], numClasses: 4, output: 'label', name: 'slow' },
  );
  const server = await serveModel(slow, { output: 'label' });
  const inFlight = post(server, predictBody());
  await new Promise((resolve) => setTimeout(resolve, 100));
  const closed = server.close();
  await new Promise((resolve) => setTimeout(resolve, 50));
  release();
  const answer = await inFlight;
  assert.deepEqual([answer.status, answer.body], [200, { labels: [1, 1] }]);
  await closed;
  await assert.rejects(fetch(server.url), /fetch failed/);
});

test('options are checked: what the model can answer, limits, a port in use', async () => {
  const decisions = blackBoxModel(() => [0], {
    inputShape: [2, 3, 1],
    numClasses: 4,
    output: 'label',
    name: 'd',
  });
  await assert.rejects(serveModel(decisions, { output: 'scores' }), {
    message: 'model d only answers label: it cannot serve scores',
  });
  await assert.rejects(serveModel(model, { maxBatch: 0 }), /maxBatch must be an integer in \[1, Infinity\]/);
  await assert.rejects(serveModel(model, { output: 'topk', topK: 5 }), /topK must be an integer in \[1, 4\]/);
  await assert.rejects(serveModel(model, { port: 70000 }), /port must be an integer in \[0, 65535\]/);
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as { port: number }).port;
  await assert.rejects(serveModel(model, { port }), {
    message: `cannot serve on 127.0.0.1:${port}: the port is in use`,
  });
  blocker.close();
  assert.ok(isLoopbackHost('127.0.0.1') && isLoopbackHost('localhost') && isLoopbackHost('[::1]'));
  assert.ok(!isLoopbackHost('0.0.0.0') && !isLoopbackHost('192.168.1.4') && !isLoopbackHost('::'));
});
