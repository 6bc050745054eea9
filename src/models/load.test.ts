import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { tf } from '../engine/tf.js';
import { loadMnistTest } from '../data/datasets.js';
import { sharedModelsDir } from '../data/locations.js';
import { loadModel } from './load.js';
import { predictLabels } from './model.js';

const source = join(sharedModelsDir(), 'mnist-dnn-2');
const work = mkdtempSync(join(tmpdir(), 'advx-load-'));
let server: Server;
let base = '';
let requests = 0;

before(async () => {
  server = createServer((req, res) => {
    requests++;
    const file = join(source, decodeURIComponent((req.url ?? '/').split('?')[0]).replace(/^\/models\//, ''));
    if (!file.startsWith(source) || !existsSync(file)) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200).end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  base = `http://127.0.0.1:${address.port}/models/`;
});

after(() => {
  server.close();
  rmSync(work, { recursive: true, force: true });
});

function batch(n: number) {
  const data = loadMnistTest(n);
  return { x: tf.tensor4d(data.images, [n, 28, 28, 1]), labels: Array.from(data.labels) };
}

test('a model folder loads, with bounds and preprocessing from the options', async () => {
  const model = await loadModel(source, { bounds: [0, 1], preprocess: 'none' });
  assert.deepEqual(model.inputShape, [28, 28, 1]);
  assert.equal(model.numClasses, 10);
  const { x, labels } = batch(200);
  const predicted = await predictLabels(model, x);
  const correct = predicted.filter((p, i) => p === labels[i]).length;
  assert.ok(correct / 200 > 0.95, `mnist-dnn-2 accuracy ${correct / 200}`);
  const viaJson = await loadModel(join(source, 'model.json'));
  assert.deepEqual(await predictLabels(viaJson, x), predicted);
});

test('a model URL downloads once into the cache and gives the same predictions', async () => {
  const cacheDir = join(work, 'cache');
  const local = await loadModel(source);
  const remote = await loadModel(`${base}model.json`, { cacheDir });
  const { x } = batch(50);
  assert.deepEqual(await predictLabels(remote, x), await predictLabels(local, x));
  const count = requests;
  assert.equal(count, 2, 'model.json and weights.bin fetched once each');
  await loadModel(`${base}model.json`, { cacheDir });
  assert.equal(requests, count, 'the second load came from the cache');
});

test('download errors name the URL and leave no half-filled cache', async () => {
  const cacheDir = join(work, 'cache404');
  await assert.rejects(
    loadModel(`${base}nothing/model.json`, { cacheDir }),
    /nothing\/model\.json: HTTP 404/,
  );
  await assert.rejects(
    loadModel('http://127.0.0.1:9/model.json', { cacheDir }),
    /127.0.0.1:9\/model.json: download failed/,
  );
  await assert.rejects(loadModel('http://127.0.0.1:99999/model.json', { cacheDir }), /not a valid URL/);
});

function brokenCopy(
  name: string,
  edit: (json: Record<string, unknown>) => void,
  removeWeights = false,
): string {
  const dir = join(work, name);
  cpSync(source, dir, { recursive: true });
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as Record<string, unknown>;
  edit(json);
  writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
  if (removeWeights) rmSync(join(dir, 'weights.bin'));
  return dir;
}

test('bad model folders get one clear message each', async () => {
  const manifest = (json: Record<string, unknown>) => (json.weightsManifest as { paths: string[] }[])[0];
  await assert.rejects(
    loadModel(brokenCopy('missing', () => undefined, true)),
    /weights file 'weights.bin' is missing/,
  );
  await assert.rejects(
    loadModel(brokenCopy('escape', (j) => (manifest(j).paths = ['../mnist-dnn-2/weights.bin']))),
    /weights path '..\/mnist-dnn-2\/weights.bin' escapes the model folder/,
  );
  await assert.rejects(
    loadModel(brokenCopy('absolute', (j) => (manifest(j).paths = ['/etc/passwd']))),
    /must be a relative file name/,
  );
  const truncated = brokenCopy('short', () => undefined);
  writeFileSync(join(truncated, 'weights.bin'), Buffer.alloc(100));
  await assert.rejects(loadModel(truncated), /hold 100 bytes, the manifest declares 636040/);
  const notJson = join(work, 'notjson');
  cpSync(source, notJson, { recursive: true });
  writeFileSync(join(notJson, 'model.json'), '{ nope');
  await assert.rejects(loadModel(notJson), /not valid JSON/);
  await assert.rejects(loadModel(join(work, 'nowhere')), /no such model file or folder/);
  await assert.rejects(loadModel('no-such-zoo-name'), /unknown model 'no-such-zoo-name'/);
});

test('URL downloads refuse weights paths that escape the cache folder', async () => {
  const evil = brokenCopy(
    'evil',
    (j) => ((j.weightsManifest as { paths: string[] }[])[0].paths = ['../../outside.bin']),
  );
  const server2 = createServer((req, res) => {
    const file = join(evil, (req.url ?? '/').replace(/^\//, ''));
    if (existsSync(file)) res.writeHead(200).end(readFileSync(file));
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server2.listen(0, '127.0.0.1', resolve));
  const port = (server2.address() as { port: number }).port;
  const cacheDir = join(work, 'cache-evil');
  await assert.rejects(
    loadModel(`http://127.0.0.1:${port}/model.json`, { cacheDir }),
    /escapes the model folder/,
  );
  assert.ok(!existsSync(join(work, 'outside.bin')));
  server2.close();
});
