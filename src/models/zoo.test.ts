/**
 * The zoo's real ImageNet models on real photos: the preprocessing and class order of each entry are
 * right (accuracy on sample photos), and Linf PGD at 2/255 flips almost every correct prediction.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tf, type Tensor4D } from '../engine/tf.js';
import { loadImagesFor } from '../data/images.js';
import { sharedDataDir } from '../data/locations.js';
import { LinfPGD } from '../attacks/index.js';
import { loadModel } from './load.js';
import { predictLabels, type Model } from './model.js';
import { imagenetClasses } from './labels.js';

const PHOTOS = join(sharedDataDir(), 'imagenet-sample-images');
/** 50 photos, every 20th class: file names carry the wnid, i.e. the true label. */
const files = readdirSync(PHOTOS)
  .filter((f) => f.endsWith('.JPEG'))
  .sort()
  .filter((_, i) => i % 20 === 0);
const wnidIndex = new Map(imagenetClasses().map((c) => [c.wnid, c.index]));
const truth = files.map((f) => wnidIndex.get(f.split('_')[0]) as number);

async function predictions(model: Model): Promise<{ x: Tensor4D; predicted: number[] }> {
  const x = await loadImagesFor(
    files.map((f) => join(PHOTOS, f)),
    model,
  );
  return { x, predicted: await predictLabels(model, x, 10) };
}

test('MobileNet v1 0.75: top-1 >= 80% on 50 sample photos; Linf PGD 2/255 flips >= 90% of the correct ones', async (t) => {
  const model = await loadModel('mobilenet-v1-0.75');
  assert.equal(files.length, 50);
  const { x, predicted } = await predictions(model);
  const correct = predicted.map((p, i) => p === truth[i]);
  const accuracy = correct.filter(Boolean).length / files.length;
  assert.ok(accuracy >= 0.8, `top-1 ${accuracy}`);

  const keep = correct.flatMap((ok, i) => (ok ? [i] : []));
  const xs = tf.gather(x, keep) as Tensor4D;
  const labels = keep.map((i) => truth[i]);
  const attack = new LinfPGD({ steps: 5, relStepsize: 0.5, randomStart: true, seed: 1 });
  let flipped = 0;
  for (let start = 0; start < keep.length; start += 12) {
    const idx = keep.slice(start, start + 12).map((_, j) => start + j);
    const batch = tf.gather(xs, idx) as Tensor4D;
    const { raw, clipped, success } = await attack.run(
      model,
      batch,
      idx.map((j) => labels[j]),
      { epsilons: 2 / 255 },
    );
    flipped += success.filter(Boolean).length;
    tf.dispose([batch, raw, clipped]);
  }
  const rate = flipped / keep.length;
  t.diagnostic(
    `MobileNet top-1 ${(accuracy * 100).toFixed(1)}% on 50 photos; PGD (5 steps, 2/255) flipped ${flipped}/${keep.length}`,
  );
  assert.ok(rate >= 0.9, `PGD flipped ${flipped}/${keep.length}`);
  tf.dispose([x, xs]);
  model.dispose();
});

test('Darknet tiny: outputs remapped to the standard class order (top-1 >= 50% on the same photos)', async (t) => {
  const model = await loadModel('darknet-tiny');
  assert.equal(model.labels[0], 'tench');
  const { x, predicted } = await predictions(model);
  const accuracy = predicted.filter((p, i) => p === truth[i]).length / files.length;
  t.diagnostic(`Darknet tiny top-1 ${(accuracy * 100).toFixed(1)}% on 50 photos`);
  assert.ok(accuracy >= 0.5, `top-1 ${accuracy}`);
  tf.dispose(x);
  model.dispose();
});
