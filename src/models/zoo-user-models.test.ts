/**
 * ResNet-50 and Inception-V3 zoo entries: no weights ship with advx, so tiny tfjs layers models with the
 * same input contract (224x224x3 Keras 'caffe' / 299x299x3 [-1,1], softmax output) are built here, saved
 * as model.json + weights.bin, and loaded through the zoo from a folder, a model.json path, the
 * environment variable and a loopback HTTP server (download cache in a temp folder).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { initEngine } from '../engine/backend.js';
import { tf, type Tensor4D } from '../engine/tf.js';
import { Rng } from '../engine/random.js';
import { loadModel } from './load.js';
import { imagenetLabels } from './labels.js';
import { ZOO } from './zoo.js';

const work = mkdtempSync(join(tmpdir(), 'advx-zoo-user-'));
let server: Server;
let base = '';
const requests: string[] = [];
let resnetNet: tf.LayersModel;
let inceptionNet: tf.LayersModel;

/** A tiny classifier of the given input size: a strided conv (channel-order sensitive), pooling, softmax. */
function tinyNet(size: number, seed: number): tf.LayersModel {
  const input = tf.input({ shape: [size, size, 3] });
  const conv = tf.layers
    .conv2d({
      filters: 8,
      kernelSize: 3,
      strides: 4,
      activation: 'relu',
      kernelInitializer: tf.initializers.glorotNormal({ seed }),
    })
    .apply(input) as tf.SymbolicTensor;
  const pooled = tf.layers.globalAveragePooling2d({}).apply(conv) as tf.SymbolicTensor;
  const out = tf.layers
    .dense({
      units: 1000,
      activation: 'softmax',
      kernelInitializer: tf.initializers.glorotNormal({ seed: seed + 1 }),
    })
    .apply(pooled) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

async function saveTo(net: tf.LayersModel, dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  await net.save(
    tf.io.withSaveHandler(async (artifacts) => {
      writeFileSync(join(dir, 'weights.bin'), Buffer.from(artifacts.weightData as ArrayBuffer));
      const json = {
        format: 'layers-model',
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
      };
      writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
}

before(async () => {
  await initEngine();
  resnetNet = tinyNet(224, 1);
  inceptionNet = tinyNet(299, 7);
  await saveTo(resnetNet, join(work, 'resnet50'));
  await saveTo(inceptionNet, join(work, 'inception_v3'));
  server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    requests.push(path);
    const file = join(work, path.replace(/^\/+/, ''));
    if (!file.startsWith(work) || !existsSync(file) || path.endsWith('/')) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200).end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

after(() => {
  server.close();
  resnetNet.dispose();
  inceptionNet.dispose();
  rmSync(work, { recursive: true, force: true });
});

/** Seeded pixels in [0,1], and the same pixels preprocessed by hand (independently of preprocessing.ts). */
function pixels(size: number, mode: 'caffe' | 'tf'): { x: Tensor4D; manual: Tensor4D } {
  const rng = new Rng(size);
  const n = 2;
  const values = new Float32Array(n * size * size * 3).map(() => rng.next());
  const manual = new Float32Array(values.length);
  const mean = [103.939, 116.779, 123.68];
  for (let i = 0; i < values.length; i += 3) {
    for (let c = 0; c < 3; c++) {
      if (mode === 'caffe')
        manual[i + c] = values[i + 2 - c] * 255 - mean[c]; // BGR, [0,255] minus the means
      else manual[i + c] = values[i + c] * 2 - 1; // [-1, 1]
    }
  }
  return { x: tf.tensor4d(values, [n, size, size, 3]), manual: tf.tensor4d(manual, [n, size, size, 3]) };
}

/** The wrapper's logits, softmaxed, equal the original network's output on hand-preprocessed pixels. */
async function assertSameAsManual(
  model: Awaited<ReturnType<typeof loadModel>>,
  net: tf.LayersModel,
  size: number,
  mode: 'caffe' | 'tf',
) {
  const { x, manual } = pixels(size, mode);
  const logits = await model.logits(x);
  const ours = tf.tidy(() => tf.softmax(logits).arraySync() as number[][]);
  logits.dispose();
  const reference = tf.tidy(() => (net.predict(manual) as tf.Tensor).arraySync() as number[][]);
  tf.dispose([x, manual]);
  let worst = 0;
  ours.forEach((row, i) => row.forEach((p, j) => (worst = Math.max(worst, Math.abs(p - reference[i][j])))));
  assert.ok(worst < 1e-5, `max |difference| ${worst}`);
  // and the difference is meaningful: the unpreprocessed pixels give another output
  const raw = pixels(size, mode).x;
  const wrong = tf.tidy(() => (net.predict(raw) as tf.Tensor).arraySync() as number[][]);
  raw.dispose();
  assert.ok(
    Math.abs(wrong[0][0] - reference[0][0]) + Math.abs(wrong[0][1] - reference[0][1]) > 1e-7,
    'preprocessing matters',
  );
}

test('resnet50 loads from a folder (--model resnet50=DIR), a model.json path and ADVX_RESNET50, with caffe preprocessing', async () => {
  const dir = join(work, 'resnet50');
  const model = await loadModel(`resnet50=${dir}`);
  assert.equal(model.name, 'resnet50');
  assert.deepEqual(model.inputShape, [224, 224, 3]);
  assert.deepEqual(model.bounds, [0, 1]);
  assert.equal(model.numClasses, 1000);
  assert.deepEqual(model.labels, imagenetLabels());
  await assertSameAsManual(model, resnetNet, 224, 'caffe');
  model.dispose();

  const viaJson = await loadModel(`resnet50=${join(dir, 'model.json')}`);
  assert.equal(viaJson.name, 'resnet50');
  viaJson.dispose();

  process.env.ADVX_RESNET50 = dir;
  try {
    const viaEnv = await loadModel('resnet50');
    await assertSameAsManual(viaEnv, resnetNet, 224, 'caffe');
    viaEnv.dispose();
  } finally {
    delete process.env.ADVX_RESNET50;
  }
});

test('inception-v3 loads from a URL through the download cache (ADVX_CACHE), with [-1,1] preprocessing', async () => {
  const cache = join(work, 'cache');
  const saved = process.env.ADVX_CACHE;
  process.env.ADVX_CACHE = cache;
  try {
    const url = `${base}/inception_v3/model.json`;
    const model = await loadModel(`inception-v3=${url}`);
    assert.equal(model.name, 'inception-v3');
    assert.deepEqual(model.inputShape, [299, 299, 3]);
    await assertSameAsManual(model, inceptionNet, 299, 'tf');
    model.dispose();
    assert.deepEqual(
      requests.filter((r) => r.startsWith('/inception_v3/')),
      ['/inception_v3/model.json', '/inception_v3/weights.bin'],
    );
    assert.ok(existsSync(join(cache, 'models')), 'downloaded into ADVX_CACHE');

    process.env.ADVX_INCEPTION_V3 = url;
    const again = await loadModel('inception-v3');
    again.dispose();
    assert.equal(
      requests.filter((r) => r.startsWith('/inception_v3/')).length,
      2,
      'the second load came from the cache',
    );
  } finally {
    delete process.env.ADVX_INCEPTION_V3;
    if (saved === undefined) delete process.env.ADVX_CACHE;
    else process.env.ADVX_CACHE = saved;
  }
});

test('resnet50 from a URL; missing or mismatched models get one clear message', async () => {
  const cacheDir = join(work, 'cache2');
  const model = await loadModel(`resnet50=${base}/resnet50/model.json`, { cacheDir });
  await assertSameAsManual(model, resnetNet, 224, 'caffe');
  model.dispose();

  // resnet50 fetches itself when no location is given (zoo-fetch.test.ts); inception-v3 has no copy to fetch.
  delete process.env.ADVX_INCEPTION_V3;
  await assert.rejects(
    loadModel('inception-v3'),
    /model 'inception-v3' needs its TensorFlow.js files: .*--model inception-v3=PATH_OR_URL or ADVX_INCEPTION_V3=PATH_OR_URL/,
  );
  await assert.rejects(
    loadModel(`resnet50=${join(work, 'nowhere')}`),
    /model 'resnet50': .*nowhere: no such model file or folder/,
  );
  await assert.rejects(
    loadModel(`resnet50=${join(work, 'inception_v3')}`),
    /model 'resnet50' at .*: takes inputs \[299,299,3\], expected \[224,224,3\]/,
  );
  await assert.rejects(
    loadModel(`inception-v3=${base}/missing/model.json`, { cacheDir }),
    /missing\/model.json: HTTP 404/,
  );
  // the `=` form is only for models whose files the user supplies
  await assert.rejects(loadModel('mobilenet-v1-0.75=/tmp/x'), /no such model file or folder|unknown model/);
  assert.ok(ZOO.resnet50.description.includes('ADVX_RESNET50'));
  assert.ok(ZOO['inception-v3'].description.includes('ADVX_INCEPTION_V3'));
});
