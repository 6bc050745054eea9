/**
 * The `advx ui` server over real HTTP on loopback: the page's files, the catalog of the zoo models on this
 * machine, exactly the files each model's model.json names, and nothing else (no path traversal, GET and
 * HEAD only).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { FASHION_MNIST_CLASSES } from '../data/datasets.js';
import { embeddedModelsDir } from '../data/locations.js';
import { readModelJson } from '../models/model-files.js';
import { decodeModel } from '../engine/onnx/proto.js';
import { servedModels } from './catalog.js';
import type { Catalog } from './catalog-types.js';
import { withOnnxModels } from './onnx-models.js';
import { serveUi, type UiServer } from './serve-ui.js';

const work = mkdtempSync(join(tmpdir(), 'advx-ui-server-'));
const pageDir = join(work, 'page');
mkdirSync(join(pageDir, 'assets'), { recursive: true });
writeFileSync(join(pageDir, 'index.html'), '<!doctype html><title>advx</title>');
writeFileSync(join(pageDir, 'assets', 'main.js'), 'console.log(1);');
writeFileSync(join(work, 'secret.txt'), 'not for the page');

let server: UiServer;
before(async () => {
  server = await serveUi({ pageDir });
});
after(async () => {
  await server?.close();
  rmSync(work, { recursive: true, force: true });
});

interface Reply {
  status: number;
  type: string;
  body: Buffer;
}

/** A raw request: the path goes on the wire as written (no client-side normalisation of '..'). */
function get(path: string, method = 'GET'): Promise<Reply> {
  const { hostname, port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, method }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          type: String(res.headers['content-type']),
          body: Buffer.concat(chunks),
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

test('binds to loopback and serves the page with its content types', async () => {
  assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  const index = await get('/');
  assert.equal(index.status, 200);
  assert.match(index.type, /^text\/html/);
  assert.equal(index.body.toString(), '<!doctype html><title>advx</title>');
  const script = await get('/assets/main.js');
  assert.equal(script.status, 200);
  assert.match(script.type, /^text\/javascript/);
});

test('models.json lists the zoo models at hand with what the page needs to load them', async () => {
  const reply = await get('/models.json');
  assert.equal(reply.status, 200);
  const catalog = JSON.parse(reply.body.toString()) as Catalog;
  assert.equal(catalog.defaultModel, 'fashion-mnist-cnn');
  const cnn = catalog.models.find((m) => m.name === 'fashion-mnist-cnn');
  assert.ok(cnn !== undefined);
  assert.equal(cnn.url, 'models/fashion-mnist-cnn/model.json');
  assert.deepEqual(cnn.bounds, [0, 1]);
  assert.deepEqual(cnn.labels, [...FASHION_MNIST_CLASSES]);
  const names = catalog.models.map((m) => m.name);
  const skipped = server.models.skipped.map((s) => s.name);
  assert.deepEqual(
    names.filter((n) => skipped.includes(n)),
    [],
    'a model is either served or skipped',
  );
  if (process.env.ADVX_INCEPTION_V3 === undefined) assert.ok(skipped.includes('inception-v3'));
});

test("a model's model.json and weight files come back byte for byte", async () => {
  const dir = join(embeddedModelsDir(), 'fashion-mnist-cnn');
  const json = await get('/models/fashion-mnist-cnn/model.json');
  assert.equal(json.status, 200);
  assert.deepEqual(json.body, readFileSync(join(dir, 'model.json')));
  const [weights] = readModelJson(join(dir, 'model.json')).weightsManifest[0].paths;
  const shard = await get(`/models/fashion-mnist-cnn/${encodeURIComponent(weights)}`);
  assert.equal(shard.status, 200);
  assert.deepEqual(shard.body, readFileSync(join(dir, weights)));
  const head = await get('/models/fashion-mnist-cnn/model.json', 'HEAD');
  assert.equal(head.status, 200);
  assert.equal(head.body.length, 0);
});

test('nothing outside the page and the named model files is reachable', async () => {
  for (const path of [
    '/../secret.txt',
    '/assets/../../secret.txt',
    '/%2e%2e/secret.txt',
    '/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
    '/models/fashion-mnist-cnn/../../../package.json',
    '/models/fashion-mnist-cnn/%2e%2e%2f%2e%2e%2f%2e%2e%2fpackage.json',
    '/models/fashion-mnist-cnn/model.json%00',
    '/models/fashion-mnist-cnn/',
    '/models/',
    '/%E0%A4%A',
    '//etc/passwd',
    '/package.json',
  ]) {
    const reply = await get(path);
    assert.equal(reply.status, 404, `${path}: ${reply.status}`);
    assert.doesNotMatch(reply.body.toString(), /not for the page|"name": "advx"|root:/);
  }
  assert.equal((await get('/', 'POST')).status, 405);
  assert.equal((await get('/models.json', 'DELETE')).status, 405);
});

test("the ONNX export of the embedded CNN and onnxruntime-web's own files are served (it is installed here)", async () => {
  const catalog = JSON.parse((await get('/models.json')).body.toString()) as Catalog;
  const names = catalog.models.map((m) => m.name);
  assert.equal(names[names.indexOf('fashion-mnist-cnn') + 1], 'fashion-mnist-cnn.onnx');
  const entry = catalog.models.find((m) => m.name === 'fashion-mnist-cnn.onnx');
  assert.equal(entry?.url, 'models/fashion-mnist-cnn/model.onnx');
  assert.deepEqual(entry?.labels, [...FASHION_MNIST_CLASSES]);
  const onnx = await get('/models/fashion-mnist-cnn/model.onnx');
  assert.equal(onnx.status, 200);
  assert.equal(decodeModel(onnx.body, 'model.onnx').graph?.input?.[0].type?.tensorType?.elemType, 1);
  const runtime = catalog.onnxRuntime;
  assert.ok(runtime !== undefined);
  assert.match(runtime.version, /^1\.30\./);
  assert.deepEqual(
    [runtime.script, runtime.wasmPaths],
    ['onnxruntime-web/ort.wasm.min.mjs', 'onnxruntime-web/'],
  );
  const script = await get(`/${runtime.script}`);
  assert.equal(script.status, 200);
  assert.match(script.type, /^text\/javascript/);
  const wasm = await get('/onnxruntime-web/ort-wasm-simd-threaded.wasm', 'HEAD');
  assert.equal(wasm.status, 200);
  assert.equal(wasm.type, 'application/wasm');
  for (const path of [
    '/onnxruntime-web/ort.min.mjs',
    '/onnxruntime-web/../package.json',
    '/onnxruntime-web/',
  ])
    assert.equal((await get(path)).status, 404, path);
});

test('without onnxruntime-web no ONNX model is offered, and the reason is given', async () => {
  const reason = 'onnxruntime-web is not installed';
  const models = await withOnnxModels(servedModels(), { runtime: { found: false, reason } });
  assert.equal(models.catalog.onnxRuntime, undefined);
  assert.ok(!models.catalog.models.some((m) => m.url.endsWith('.onnx')));
  assert.deepEqual(models.skipped.at(-1), { name: 'fashion-mnist-cnn.onnx', reason });
});

test('an unbuilt page is a one-line error naming the missing file', async () => {
  await assert.rejects(
    serveUi({ pageDir: join(work, 'nowhere'), models: server.models }),
    /^Error: the page is not built \(.*nowhere\/index\.html is missing\): run npm run build$/,
  );
});
