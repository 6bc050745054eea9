/**
 * The HTTP model against real loopback services: `serveModel` of the embedded Fashion-MNIST CNN (the same
 * answers, the same attack results, the expected number of requests), and raw node:http servers that
 * misbehave (500, wrong answers, no answer).
 */
import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { L2AdditiveGaussianNoise } from '../attacks/additive-noise.js';
import { SquareAttack } from '../attacks/square.js';
import { loadFashionMnist } from '../data/datasets.js';
import { tf, type Tensor2D, type Tensor4D } from '../engine/tf.js';
import { isModelServiceUrl, loadHttpModel } from './http-model.js';
import { loadModel } from './load.js';
import type { Model } from './model.js';
import { isDecisionOnly, softmaxRows } from './model-outputs.js';
import { serveModel, type ModelServer, type ServeOptions } from './model-server.js';
import { decodePredictRequest, SERVICE_NAME } from './service-protocol.js';

const N = 12;
let cnn: Model;
let x: Tensor4D;
let labels: number[];
const closers: (() => unknown)[] = [];

before(async () => {
  cnn = await loadModel('fashion-mnist-cnn');
  const data = loadFashionMnist('test', N);
  x = tf.tensor4d(data.images, [N, 28, 28, 1]);
  labels = Array.from(data.labels);
});

after(async () => {
  for (const close of closers) await close();
  tf.dispose(x);
  cnn.dispose();
});

async function serve(options: ServeOptions): Promise<ModelServer> {
  const server = await serveModel(cnn, options);
  closers.push(() => server.close());
  return server;
}

async function valuesOf(t: tf.Tensor): Promise<Float32Array> {
  const out = (await t.data()) as Float32Array;
  t.dispose();
  return out;
}

/** `model` with a count of its logits calls. */
function counting(model: Model): { model: Model; calls: () => number } {
  let calls = 0;
  const wrapper: Model = {
    name: model.name,
    bounds: model.bounds,
    inputShape: model.inputShape,
    numClasses: model.numClasses,
    labels: model.labels,
    differentiable: model.differentiable,
    engine: model.engine,
    logits: (input) => {
      calls++;
      return model.logits(input);
    },
    lossGradient: (input, loss) => model.lossGradient(input, loss),
    dispose: () => undefined,
  };
  return { model: wrapper, calls: () => calls };
}

test('logits over HTTP are exactly the in-process logits; a batch over the limit goes as several requests', async () => {
  const server = await serve({ output: 'logits', maxBatch: 5 });
  const remote = await loadHttpModel(server.url);
  assert.deepEqual(
    [remote.name, remote.engine, remote.outputs, remote.differentiable, remote.maxBatch],
    ['fashion-mnist-cnn', 'http', 'logits', false, 5],
  );
  assert.deepEqual(
    [remote.inputShape, remote.bounds, remote.labels],
    [cnn.inputShape, cnn.bounds, cnn.labels],
  );
  const start = tf.memory().numTensors;
  const got = await valuesOf(await remote.logits(x));
  assert.equal(tf.memory().numTensors, start, 'no tensor leaked');
  assert.deepEqual(got, await valuesOf(await cnn.logits(x)), 'bit for bit');
  assert.deepEqual(server.stats(), { predictions: 3, inputs: N, rejected: 0, failed: 0 });
  assert.equal(remote.requestsSent, 4, 'GET / and three predict requests');
  await assert.rejects(
    remote.lossGradient(x, { kind: 'crossentropy', labels, targeted: false }),
    /no input gradients/,
  );
});

test('scores, top-k and labels over HTTP: log-probabilities with the same decisions', async () => {
  const expected = await valuesOf(await cnn.logits(x));
  const logSoftmax = Array.from(softmaxRows(expected, N, 10), Math.log);
  const argmax = await valuesOf(tf.argMax(tf.tensor2d(expected, [N, 10]), 1));
  for (const options of [{ output: 'scores' }, { output: 'topk', topK: 3 }, { output: 'label' }] as const) {
    const remote = await loadHttpModel((await serve(options)).url);
    assert.equal(remote.outputs, options.output);
    assert.equal(isDecisionOnly(remote), options.output === 'label');
    const logits = await remote.logits(x);
    assert.deepEqual(await valuesOf(tf.argMax(logits, 1)), argmax, `${options.output}: same decisions`);
    const got = await valuesOf(logits);
    if (options.output === 'label') continue;
    for (let n = 0; n < N; n++) {
      const order = [...Array(10).keys()].sort((a, b) => expected[n * 10 + b] - expected[n * 10 + a]);
      for (const j of options.output === 'topk' ? order.slice(0, 3) : order) {
        if (logSoftmax[n * 10 + j] < -80) continue; // floored at -100
        assert.ok(Math.abs(got[n * 10 + j] - logSoftmax[n * 10 + j]) < 1e-4, `${options.output} [${n},${j}]`);
      }
    }
  }
});

test('additive noise over HTTP gives the in-process result with the same seed, in the expected requests', async () => {
  const server = await serve({ output: 'scores', maxBatch: 4 });
  const remote = await loadHttpModel(server.url);
  const local = counting(cnn);
  const attack = new L2AdditiveGaussianNoise({ repeats: 3, seed: 11 });
  const epsilons = [4, 8];
  const there = await attack.run(remote, x, labels, { epsilons });
  const here = await attack.run(local.model, x, labels, { epsilons });
  assert.deepEqual(there.success, here.success);
  assert.ok(here.success[1].filter(Boolean).length > here.success[0].filter(Boolean).length);
  for (let k = 0; k < epsilons.length; k++)
    assert.deepEqual(await valuesOf(there.clipped[k]), await valuesOf(here.clipped[k]));
  tf.dispose([...there.raw, ...here.raw]);
  assert.ok(local.calls() >= epsilons.length * 2);
  assert.equal(
    server.stats().predictions,
    local.calls() * Math.ceil(N / 4),
    'one request per 4 inputs per call',
  );
});

test('Square over advx serve: the in-process result with the same seed; the server saw exactly the queries counted', async () => {
  const server = await serve({ output: 'scores' });
  const remote = await loadHttpModel(server.url);
  const attack = () => new SquareAttack({ maxQueries: 300, seed: 4 });
  const there = await attack().run(remote, x, labels, { epsilons: 0.1 });
  const here = await attack().run(cnn, x, labels, { epsilons: 0.1 });
  assert.deepEqual(there.success, here.success);
  assert.ok(here.success.some(Boolean) && !here.success.every(Boolean), `success ${here.success}`);
  assert.deepEqual(there.queries, here.queries);
  assert.deepEqual(await valuesOf(there.clipped), await valuesOf(here.clipped));
  const queries = (there.queries ?? []).reduce((a, b) => a + b, 0);
  // Every image the server classified is a query the attack counted, but for the one re-evaluation of
  // each result that decides `success` (foolbox's semantics; not an attack query).
  assert.equal(server.stats().inputs, queries + N);
  tf.dispose(there.raw);
  tf.dispose(here.raw);

  // One image: one request per query.
  const single = await serve({ output: 'scores' });
  const one = tf.slice(x, [0, 0, 0, 0], [1, 28, 28, 1]);
  const result = await attack().run(await loadHttpModel(single.url), one, [labels[0]], { epsilons: 0.1 });
  assert.equal(single.stats().predictions, (result.queries ?? [0])[0] + 1);
  tf.dispose([one, result.raw, result.clipped]);
});

/** A raw service of a 2x2x1 model with 3 classes whose predict answers as `mode` says. */
async function rawService(mode: { current: string }) {
  const info = {
    service: SERVICE_NAME,
    version: 1,
    name: 'raw',
    engine: 'test',
    inputShape: [2, 2, 1],
    bounds: [0, 1],
    numClasses: 3,
    labels: ['a', 'b', 'c'],
    output: 'scores',
    maxBatch: 2,
    maxBodyBytes: 10_000,
  };
  let predictions = 0;
  const reply = (res: ServerResponse, status: number, body: string) =>
    res.writeHead(status, { 'content-type': 'application/json' }).end(body);
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'GET') return reply(res, 200, JSON.stringify(info));
      predictions++;
      if (mode.current === 'hang') return;
      if (mode.current === '500-once') mode.current = 'ok';
      else if (mode.current !== '500') return answer(res, mode.current, chunks);
      reply(res, 500, JSON.stringify({ error: 'out of memory' }));
    });
  });
  /** The answer to a predict request (wrong in the ways `current` says). */
  const answer = (res: ServerResponse, current: string, chunks: Buffer[]) => {
    if (current === 'html') return reply(res, 200, '<html>busy</html>');
    const { data, shape } = decodePredictRequest(JSON.parse(Buffer.concat(chunks).toString()), info as never);
    const logits = Array.from({ length: shape[0] }, (_, n) => [
      data[n * 4],
      data[n * 4 + 1],
      data[n * 4 + 2] + data[n * 4 + 3],
    ]);
    const scores = Array.from(softmaxRows(logits.flat(), shape[0], 3));
    if (current === 'wrong-shape') return reply(res, 200, JSON.stringify({ scores: [scores.slice(0, 2)] }));
    if (current === 'no-field') return reply(res, 200, JSON.stringify({ probabilities: scores }));
    reply(
      res,
      200,
      JSON.stringify({ scores: [0, 1, 2].slice(0, shape[0]).map((n) => scores.slice(n * 3, n * 3 + 3)) }),
    );
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => {
    server.closeAllConnections();
    server.close();
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    predictions: () => predictions,
  };
}

test('a service that misbehaves: one clear error each (within the timeout), and retries that recover', async () => {
  const mode = { current: 'ok' };
  const service = await rawService(mode);
  const remote = await loadHttpModel(service.url, { timeoutMs: 400, retries: 1, backoffMs: 10 });
  const input = tf.tensor4d([0.9, 0.1, 0.2, 0.3, 0.1, 0.1, 0.5, 0.6, 0.3, 0.8, 0, 0], [3, 2, 2, 1]);
  const expected = [
    [0.9, 0.1, 0.5],
    [0.1, 0.1, 1.1],
    [0.3, 0.8, 0],
  ].map((row) => Array.from(softmaxRows(row, 1, 3), Math.log));
  const close = (got: Float32Array) =>
    expected.flat().every((v, i) => Math.abs(v - got[i]) < 1e-5) ||
    `got ${Array.from(got)}, expected ${expected}`;
  assert.equal(close(await valuesOf(await remote.logits(input))), true);
  assert.equal(service.predictions(), 2, '3 inputs in requests of at most 2');

  const start = tf.memory().numTensors;
  const failures: [string, RegExp][] = [
    ['500', /predict: HTTP 500: out of memory \(2 attempts\)$/],
    ['html', /predict: the answer is not JSON \("<html>busy<\/html>"\)$/],
    ['wrong-shape', /predict: answer: expected scores \[2,3\] \(rows or flat\), got an array of 1$/],
    ['no-field', /predict: the answer has no "scores"$/],
    ['hang', /predict: no answer within 0\.4 s \(timeout\)$/],
  ];
  for (const [current, message] of failures) {
    mode.current = current;
    const began = performance.now();
    await assert.rejects(
      remote.logits(input),
      (error: Error) => message.test(error.message) && !error.message.includes('\n'),
    );
    assert.ok(performance.now() - began < 2000, `${current}: failed after ${performance.now() - began} ms`);
  }
  assert.equal(tf.memory().numTensors, start, 'no tensor leaked on the error paths');

  mode.current = '500-once';
  const before = service.predictions();
  const recovered = await loadHttpModel(service.url, { retries: 2, backoffMs: 10 });
  const outcome = close(await valuesOf(await recovered.logits(input)));
  assert.equal(outcome, true);
  assert.equal(service.predictions() - before, 2 + 1, 'one retry, then both requests answered');
  input.dispose();
});

test('loading a service that is not there, not a service, or not a URL: one line each', async () => {
  const gone = await serveModel(cnn, {});
  await gone.close();
  await assert.rejects(loadHttpModel(gone.url, { retries: 1, backoffMs: 5 }), {
    message: `${gone.url}: cannot reach the model service (ECONNREFUSED) (2 attempts)`,
  });
  const other = createServer((_req, res) => res.writeHead(200).end('{"hello": "world"}'));
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
  closers.push(() => other.close());
  const url = `http://127.0.0.1:${(other.address() as AddressInfo).port}/v1`;
  await assert.rejects(loadHttpModel(url), {
    message: `${url}/: not an advx model service (GET / gave no "service": "advx-model-service")`,
  });
  await assert.rejects(loadHttpModel('http://exa mple/'), { message: 'http://exa mple/: not a valid URL' });
  await assert.rejects(loadHttpModel('ftp://host/'), /a model service URL starts with http/);
  assert.ok(
    isModelServiceUrl('http://127.0.0.1:8080/') && isModelServiceUrl('https://api.example.com/v1/model'),
  );
  assert.ok(!isModelServiceUrl('https://host/m/model.json') && !isModelServiceUrl('http://h/m.onnx'));
  assert.ok(!isModelServiceUrl('fashion-mnist-cnn') && !isModelServiceUrl('./model.json'));
});

test('maxQps holds for the requests one batch is split into', async () => {
  const server = await serve({ output: 'label', maxBatch: 3 });
  const remote = await loadHttpModel(server.url, { maxQps: 25 });
  const began = performance.now();
  const logits: Tensor2D = await remote.logits(x);
  const elapsed = performance.now() - began;
  logits.dispose();
  assert.ok(elapsed >= 3 * 40 - 5, `4 requests at 25 qps in ${elapsed} ms`);
});
