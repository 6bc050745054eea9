/**
 * `exportToOnnx` on every zoo model CI can reach, checked on REAL images: the exported network run by
 * ONNX Runtime on the preprocessed pixels gives the advx model's tfjs logits (max relative error, to the
 * largest |logit|, <= 1e-4). Plus the file's metadata and the write rules (atomic, no overwrite).
 */
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { initEngine } from '../engine/backend.js';
import { tf, type Tensor4D } from '../engine/tf.js';
import { loadFashionMnist, loadMnistTest } from '../data/datasets.js';
import { loadImagesFor } from '../data/images.js';
import { sharedDataDir } from '../data/locations.js';
import { loadTfjsModel } from './load.js';
import type { TfjsModel } from './tfjs-model.js';
import { exportToOnnx } from './export-onnx.js';
import { onnxVsTfjsError } from '../engine/onnx/export-tfjs-testing.js';
import { decodeModel } from '../engine/onnx/proto.js';

const TOLERANCE = 1e-4;
const work = mkdtempSync(join(tmpdir(), 'advx-export-onnx-'));
after(() => rmSync(work, { recursive: true, force: true }));
before(async () => {
  await initEngine();
});

const PHOTOS = ['n01443537_goldfish.JPEG', 'n03792972_mountain_tent.JPEG', 'n02123045_tabby.JPEG'];

/** A few real test images for a model, as a batch in its bounds. */
async function realImages(
  model: TfjsModel,
  dataset: 'fashion-mnist' | 'mnist' | 'imagenet',
): Promise<Tensor4D> {
  if (dataset === 'imagenet') {
    const files = PHOTOS.map((name) => join(sharedDataDir(), 'imagenet-sample-images', name));
    return loadImagesFor(files, model);
  }
  const data = dataset === 'mnist' ? loadMnistTest(4) : loadFashionMnist('test', 4);
  return tf.tensor4d(data.images, [data.count, ...data.shape]);
}

const ZOO_MODELS: [string, 'fashion-mnist' | 'mnist' | 'imagenet'][] = [
  ['fashion-mnist-cnn', 'fashion-mnist'],
  ['fashion-mnist-cnn-robust', 'fashion-mnist'],
  ['mnist-cnn', 'mnist'],
  ['mnist-cnn-robust', 'mnist'],
  ['mnist-dnn-2', 'mnist'],
  ['mnist-dnn-4', 'mnist'],
  ['mobilenet-v1-0.75', 'imagenet'],
  ['darknet-tiny', 'imagenet'],
];

for (const [name, dataset] of ZOO_MODELS) {
  test(`${name}: exported ONNX logits on real ${dataset} images match tfjs`, async () => {
    const file = join(work, `${name}.onnx`);
    const tensorsBefore = tf.memory().numTensors;
    const summary = await exportToOnnx(name, file);
    assert.equal(tf.memory().numTensors, tensorsBefore, 'export frees the model it loaded');
    assert.equal(summary.path, file);
    assert.equal(summary.bytes, readFileSync(file).length);
    const model = await loadTfjsModel(name);
    const x = await realImages(model, dataset);
    const error = await onnxVsTfjsError(file, model, x);
    console.log(`${name}: ${x.shape[0]} images, max relative error ${error.toExponential(2)}`);
    assert.ok(error <= TOLERANCE, `${name}: max relative error ${error} > ${TOLERANCE}`);
    const proto = decodeModel(readFileSync(file), file);
    const meta = Object.fromEntries(proto.metadataProps.map((p) => [p.key, p.value]));
    assert.equal(meta['advx.name'], name);
    assert.equal(meta['advx.bounds'], model.bounds.join(','));
    assert.deepEqual(JSON.parse(meta['advx.preprocessing']), model.preprocessing);
    assert.deepEqual(JSON.parse(meta['advx.labels']), model.labels);
    assert.equal(meta['advx.layout'], 'NHWC');
    assert.deepEqual(summary.inputs, [{ name: 'input', shape: ['N', ...model.inputShape] }]);
    assert.deepEqual(summary.outputs, [{ name: 'output', shape: ['N', model.numClasses] }]);
    assert.ok(
      !(proto.graph?.node ?? []).some((n) => n.opType === 'Softmax'),
      'logits: the stripped softmax is not exported',
    );
    x.dispose();
    model.dispose();
  });
}

test('exportToOnnx refuses to overwrite without force, replaces with force, leaves no temporary file', async () => {
  const folder = join(work, 'rules');
  mkdirSync(folder);
  const file = join(folder, 'model.onnx');
  writeFileSync(file, 'old');
  await assert.rejects(exportToOnnx('mnist-dnn-2', file), {
    message: `${file} exists; refusing to overwrite it (use --force or another --out)`,
  });
  assert.equal(readFileSync(file, 'utf8'), 'old');
  const summary = await exportToOnnx('mnist-dnn-2', file, { force: true });
  assert.equal(readFileSync(file).length, summary.bytes);
  assert.deepEqual(readdirSync(folder), ['model.onnx']);
  await assert.rejects(exportToOnnx('mnist-dnn-2', folder), /is a folder, not a file name/);
  const nested = join(folder, 'new', 'sub', 'm.onnx');
  await exportToOnnx('mnist-dnn-2', nested);
  assert.ok(existsSync(nested), 'missing folders are created');
});

test('exportToOnnx: an unknown model or a path with no model is one clear error, and writes nothing', async () => {
  const file = join(work, 'none.onnx');
  await assert.rejects(exportToOnnx('no-such-model', file), /^Error: unknown model 'no-such-model'/);
  await assert.rejects(
    exportToOnnx(join(work, 'missing', 'model.json'), file),
    /no such model file or folder/,
  );
  assert.ok(!existsSync(file));
});
