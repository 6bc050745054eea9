/**
 * A zoo model loaded by its folder's path (or a link to it) is that zoo model: the entry's name,
 * preprocessing and labels, and the same logits as by name. A copy of the folder elsewhere is a plain
 * folder (no preprocessing, numbered classes), which is what the path lookup must not fall back to.
 * `home` (the option, or --home) says where the shared zoo models are.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loadImagesFor } from '../data/images.js';
import { embeddedModelsDir, sharedDataDir, sharedModelsDir } from '../data/locations.js';
import { initEngine } from '../engine/backend.js';
import { tf } from '../engine/tf.js';
import { imagenetLabels } from './labels.js';
import { loadModel } from './load.js';
import type { Model } from './model.js';
import { TfjsModel } from './tfjs-model.js';
import { ZOO } from './zoo.js';
import { zooNameOfFolder } from './zoo-folder.js';

const MOBILENET = join(sharedModelsDir(), 'mobilenet_v1_0.75_224');
const PHOTO = join(sharedDataDir(), 'imagenet-sample-images', 'n01443537_goldfish.JPEG');
const work = mkdtempSync(join(tmpdir(), 'advx-zoo-folder-'));
before(() => initEngine());
after(() => rmSync(work, { recursive: true, force: true }));

async function logitsOf(model: Model): Promise<Float32Array> {
  const x = await loadImagesFor([PHOTO], model);
  const logits = await model.logits(x);
  const values = logits.dataSync() as Float32Array;
  tf.dispose([x, logits]);
  return values;
}

test('zooNameOfFolder: the folder, its model.json and a link to it; not a copy or a missing path', () => {
  assert.equal(zooNameOfFolder(MOBILENET), 'mobilenet-v1-0.75');
  assert.equal(zooNameOfFolder(join(MOBILENET, 'model.json')), 'mobilenet-v1-0.75');
  assert.equal(zooNameOfFolder(join(embeddedModelsDir(), 'fashion-mnist-cnn')), 'fashion-mnist-cnn');
  const link = join(work, 'mobilenet-link');
  symlinkSync(MOBILENET, link);
  assert.equal(zooNameOfFolder(link), 'mobilenet-v1-0.75');
  const copy = join(work, 'mobilenet-copy');
  cpSync(MOBILENET, copy, { recursive: true });
  assert.equal(zooNameOfFolder(copy), undefined);
  assert.equal(zooNameOfFolder(join(work, 'nothing-here')), undefined);
});

test('loaded by path, a zoo folder keeps its name, preprocessing, labels and logits', async () => {
  const byName = await loadModel('mobilenet-v1-0.75', { engine: 'tfjs' });
  const byPath = await loadModel(join(work, 'mobilenet-link'), { engine: 'tfjs' });
  const copy = await loadModel(join(work, 'mobilenet-copy'), { engine: 'tfjs' });
  try {
    assert.equal(byPath.name, 'mobilenet-v1-0.75');
    assert.deepEqual(byPath.labels, imagenetLabels());
    assert.equal(byPath.labels[1], 'goldfish');
    assert.ok(byPath instanceof TfjsModel);
    assert.deepEqual(byPath.preprocessing, ZOO['mobilenet-v1-0.75'].preprocessing);
    const [named, pathed, copied] = [await logitsOf(byName), await logitsOf(byPath), await logitsOf(copy)];
    assert.deepEqual(pathed, named);
    assert.notEqual(copy.labels[1], 'goldfish');
    assert.notDeepEqual(copied, named, 'without the zoo preprocessing the logits differ');
  } finally {
    for (const model of [byName, byPath, copy]) model.dispose();
  }
});

test('home: zoo models are looked for under the home folder given, and the error says how to set it', async () => {
  const home = join(work, 'home');
  mkdirSync(home);
  await assert.rejects(
    loadModel('mnist-cnn', { engine: 'tfjs', home }),
    (error: Error) =>
      error.message.includes(join(home, 'models', 'mnist-cnn')) &&
      error.message.includes('--home') &&
      error.message.includes('ADVX_HOME'),
  );
  symlinkSync(sharedModelsDir(), join(home, 'models'));
  const model = await loadModel('mnist-cnn', { engine: 'tfjs', home });
  assert.equal(model.name, 'mnist-cnn');
  assert.equal(zooNameOfFolder(join(home, 'models', 'mnist-cnn'), home), 'mnist-cnn');
  model.dispose();
});
