/**
 * advx's AutoAttack attacks against fra31/auto-attack's (PyTorch) on the same weights and images:
 * fashion-mnist-cnn-robust, the first 100 Fashion-MNIST test images, Linf eps 0.1, each attack alone with
 * the CI budgets of the reference run (APGD-CE as in AutoAttack's standard version: 100 steps; APGD-T and
 * FAB-T with 1 target class; Square with 1000 iterations, i.e. 1001 queries). The reference's per-image
 * robust flags are in autoattack-golden.json (scripts/autoattack-golden.py). Random starts differ between
 * the two (torch's generator vs advx's), so an image may go either way: at most 2 of the 100 images may
 * be judged differently per attack (measured: 0 for each of the four).
 * The full standard AutoAttack on 500 images, too long for CI, is compared by scripts/autoattack-advx.mjs.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { tf, type Tensor4D } from '../engine/tf.js';
import { loadFashionMnist } from '../data/datasets.js';
import { embeddedModelsDir } from '../data/locations.js';
import { loadModel } from '../models/load.js';
import { predictLabels, type Model } from '../models/model.js';
import type { Attack } from '../attacks/attack.js';
import { APGD, APGDT } from '../attacks/apgd.js';
import { FABT } from '../attacks/fab.js';
import { SquareAttack } from '../attacks/square.js';
import { readAutoAttackGolden, robustFlags } from './autoattack-golden.js';

const golden = readAutoAttackGolden();
const N = golden.ci.images;
const ALLOWED_DIFFERENCES = 2;

/** The reference's CI settings (golden.ci.settings) as advx attacks, seed 0 as AutoAttack's. */
const ATTACKS: Record<string, () => Attack> = {
  'apgd-ce': () => new APGD({ loss: 'ce', steps: 100, restarts: 1 }),
  'apgd-t': () => new APGDT({ steps: 100, targetClasses: golden.ci.settings['apgd-t'].n_target_classes }),
  'fab-t': () => new FABT({ steps: 100, targetClasses: golden.ci.settings['fab-t'].n_target_classes }),
  square: () => new SquareAttack({ maxQueries: golden.ci.settings.square.n_queries + 1, pInit: 0.8 }),
};

let model: Model;
let x: Tensor4D;
let labels: number[];

before(async () => {
  model = await loadModel('fashion-mnist-cnn-robust');
  const data = loadFashionMnist('test', N);
  x = tf.tensor4d(data.images, [N, 28, 28, 1]);
  labels = Array.from(data.labels);
});

test('the reference ran on these weights, and classifies the images as advx does', async () => {
  const weights = readFileSync(join(embeddedModelsDir(), 'fashion-mnist-cnn-robust', 'weights.bin'));
  assert.equal(createHash('sha256').update(weights).digest('hex'), golden.weightsSha256);
  const predicted = await predictLabels(model, x);
  assert.deepEqual(
    predicted.map((p, i) => p === labels[i]),
    robustFlags(golden.clean.slice(0, N)),
  );
});

for (const [name, make] of Object.entries(ATTACKS)) {
  test(`${name}: the same images stay robust as with fra31/auto-attack (at most ${ALLOWED_DIFFERENCES} of ${N} differ)`, async () => {
    const before = tf.memory().numTensors;
    const reference = robustFlags(golden.ci[name].robust);
    const result = await make().run(model, x, labels, { epsilons: golden.eps });
    const robust = result.success.map((s) => !s);
    tf.dispose([result.raw, result.clipped]);
    assert.equal(tf.memory().numTensors, before, 'tensors left behind');
    const differ = robust.flatMap((r, i) => (r === reference[i] ? [] : [i]));
    const count = (flags: boolean[]) => flags.filter(Boolean).length;
    assert.ok(
      differ.length <= ALLOWED_DIFFERENCES,
      `${name}: advx ${count(robust)} robust, reference ${count(reference)}; images judged differently: ${differ.join(', ')}`,
    );
  });
}
