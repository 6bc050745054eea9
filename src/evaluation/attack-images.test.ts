/**
 * attackImages, the run behind `advx attack` and the report's FGSM, on the embedded Fashion-MNIST CNN
 * and the repository's example images: it writes the PNGs its entries name, an eps search finds the
 * smallest grid epsilon at which the attack succeeds, an existing PNG is refused before any attack, and
 * no tensor is left behind (also when it refuses).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { PNG } from 'pngjs';
import { FGSM } from '../attacks/gradient-descent.js';
import { misclassification } from '../criteria/index.js';
import { loadImagesFor } from '../data/images.js';
import { packageRoot } from '../data/locations.js';
import { initEngine } from '../engine/backend.js';
import { tf, type Tensor4D } from '../engine/tf.js';
import { isAdvxError } from '../errors.js';
import { loadModel } from '../models/load.js';
import { predictLabels, type Model } from '../models/model.js';
import { attackImages } from './attack-images.js';

const work = mkdtempSync(join(tmpdir(), 'advx-attack-images-'));
const FILES = ['0-ankle-boot.png', '1-pullover.png'].map((f) =>
  join(packageRoot, 'examples', 'fashion-mnist', f),
);
let model: Model;
let x: Tensor4D;
let labels: number[];

before(async () => {
  await initEngine();
  model = await loadModel('fashion-mnist-cnn');
  x = await loadImagesFor(FILES, model);
  labels = await predictLabels(model, x);
});
after(() => {
  x.dispose();
  model.dispose();
  rmSync(work, { recursive: true, force: true });
});

const options = () => ({ files: FILES, attack: new FGSM(), criterion: misclassification(labels), labels });

test('at fixed epsilons it writes the adversarial and perturbation PNGs its entries name', async () => {
  const tensors = tf.memory().numTensors;
  const dir = join(work, 'fixed');
  const { images, adversarials } = await attackImages(model, x, {
    ...options(),
    budget: { kind: 'epsilons', epsilons: [0, 0.1] },
    output: { dir },
  });
  assert.equal(adversarials, undefined);
  assert.equal(tf.memory().numTensors, tensors, 'no tensor left behind');
  assert.deepEqual(
    images.map((image) => [image.file, image.label.index, image.runs.map((r) => r.eps)]),
    FILES.map((file, n) => [file, labels[n], [0, 0.1]]),
  );
  for (const [n, image] of images.entries()) {
    assert.equal(image.clean.top.length, 3);
    assert.equal(image.clean.top[0].index, labels[n]);
    const [zero, tenth] = image.runs;
    assert.equal(zero.success, false, 'eps 0 leaves the image as it is');
    assert.equal(zero.linf, 0);
    assert.ok(tenth.linf <= 0.1 + 1e-6 && tenth.linf > 0.09, `linf ${tenth.linf}`);
    assert.equal(
      tenth.adversarial,
      join(dir, `${n}-${n === 0 ? '0-ankle-boot' : '1-pullover'}-fgsm-eps0p1-adversarial.png`),
    );
    for (const path of [tenth.adversarial, tenth.perturbation]) {
      const png = PNG.sync.read(readFileSync(path));
      assert.deepEqual([png.width, png.height], [28, 28], path);
    }
    assert.ok(tenth.magnification > 1);
    assert.equal(tenth.success, tenth.top[0].index !== labels[n], 'success is the misclassification');
  }
});

test('an eps search finds the smallest grid epsilon at which the attack succeeds (bisected below it)', async () => {
  const tensors = tf.memory().numTensors;
  const grid = [0.02, 0.04, 0.06, 0.08, 0.1, 0.12, 0.14, 0.16, 0.18, 0.2];
  const events: number[] = [];
  const { images } = await attackImages(model, x, {
    ...options(),
    budget: { kind: 'search', grid, bisectionSteps: 3 },
    output: { dir: join(work, 'search') },
    onProgress: (p) => events.push(p.search?.runs ?? -1),
  });
  assert.equal(tf.memory().numTensors, tensors, 'no tensor left behind');
  assert.ok(events.length > 0 && events.every((runs) => runs >= 0), 'progress of the search');
  for (const image of images) {
    const [run] = image.runs;
    assert.ok(run.search !== undefined && run.search.gridEps !== null, 'FGSM fools the CNN within 0.2');
    assert.equal(run.success, true);
    assert.match(run.adversarial, /-fgsm-min-eps-adversarial\.png$/);
    assert.ok(existsSync(run.adversarial) && existsSync(run.perturbation));
    const k = grid.indexOf(run.search.gridEps);
    assert.ok(k >= 0, `grid eps ${run.search.gridEps} is on the grid`);
    assert.ok(run.eps !== null && run.eps <= run.search.gridEps && run.eps > run.search.failingEps);
    assert.ok(run.linf <= run.eps + 1e-6);
    // The same attack at the grid epsilon succeeds, one grid step lower it fails.
    const n = images.indexOf(image);
    const row = tf.slice(x, [n], [1]);
    const succeeds = async (eps: number) => {
      const result = await attackImages(model, row, {
        ...options(),
        files: [image.file],
        labels: [image.label.index],
        criterion: misclassification([image.label.index]),
        budget: { kind: 'epsilons', epsilons: [eps] },
      });
      return result.images[0].runs[0].success;
    };
    assert.equal(await succeeds(run.search.gridEps), true);
    if (k > 0) assert.equal(await succeeds(grid[k - 1]), false);
    row.dispose();
  }
  assert.equal(tf.memory().numTensors, tensors, 'no tensor left behind by the re-runs');
});

test('an existing PNG is refused before any attack runs; overwrite replaces it', async () => {
  const dir = join(work, 'existing');
  const budget = { kind: 'epsilons', epsilons: [0.1] } as const;
  mkdirSync(dir);
  const taken = join(dir, '1-1-pullover-fgsm-eps0p1-perturbation.png');
  writeFileSync(taken, 'not a png');
  const tensors = tf.memory().numTensors;
  let started = false;
  await assert.rejects(
    attackImages(model, x, { ...options(), budget, output: { dir }, onStart: () => (started = true) }),
    (e: Error) =>
      isAdvxError(e) &&
      e.message === `${taken} exists; refusing to overwrite it (use --force or another --out)`,
  );
  assert.equal(started, false, 'refused before the work starts');
  assert.equal(tf.memory().numTensors, tensors, 'no tensor left behind on the error path');
  assert.equal(existsSync(join(dir, '0-0-ankle-boot-fgsm-eps0p1-adversarial.png')), false, 'nothing written');
  await attackImages(model, x, { ...options(), budget, output: { dir, overwrite: true } });
  assert.equal(PNG.sync.read(readFileSync(taken)).width, 28);
});

test('without an output folder nothing is written; keepAdversarials hands the adversarials over', async () => {
  const tensors = tf.memory().numTensors;
  const { images, adversarials } = await attackImages(model, x, {
    ...options(),
    budget: { kind: 'epsilons', epsilons: [0.05, 0.1] },
    keepAdversarials: true,
  });
  assert.equal(adversarials?.length, 2);
  assert.deepEqual(adversarials?.[1].shape, [2, 28, 28, 1]);
  assert.equal(images[0].runs[1].adversarial, undefined);
  tf.dispose(adversarials);
  assert.equal(tf.memory().numTensors, tensors);
  await assert.rejects(
    attackImages(model, x, { ...options(), labels: [0], budget: { kind: 'epsilons', epsilons: [0.1] } }),
    (e: Error) => isAdvxError(e) && /2 files and 1 labels for 2 images/.test(e.message),
  );
});
