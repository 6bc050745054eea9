import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { initEngine } from '../engine/backend.js';
import { tf, type Tensor4D } from '../engine/tf.js';
import { loadMnistTest } from '../data/datasets.js';
import { confident } from '../criteria/index.js';
import { loadModel } from '../models/load.js';
import { predictLabels, type Model } from '../models/model.js';
import { epsilonGrid, minimalEpsilonSearch } from './epsilon-search.js';
import { FGSM, LinfPGD } from './gradient-descent.js';
import type { Attack } from './attack.js';

let model: Model;
let x: Tensor4D;
let labels: number[];

before(async () => {
  await initEngine();
  model = await loadModel('mnist-cnn');
  const data = loadMnistTest(6);
  x = tf.tensor4d(data.images, [6, 28, 28, 1]);
  labels = await predictLabels(model, x);
});

function slice(n: number): Tensor4D {
  return tf.slice(x, [n, 0, 0, 0], [1, -1, -1, -1]);
}

async function succeeds(attack: Attack, n: number, eps: number, p: number): Promise<boolean> {
  const xn = slice(n);
  const r = await attack.run(model, xn, confident(p, [labels[n]]), { epsilons: eps });
  tf.dispose([xn, r.raw, r.clipped]);
  return r.success[0];
}

async function checkMinimal(attack: Attack, grid: number[], p: number, bisectionSteps: number) {
  const before = tf.memory().numTensors;
  const result = await minimalEpsilonSearch(attack, model, x, confident(p, labels), { grid, bisectionSteps });
  assert.equal(result.images.length, 6);
  assert.deepEqual(result.adversarial.shape, x.shape);
  let found = 0;
  for (let n = 0; n < 6; n++) {
    const r = result.images[n];
    if (r.eps === null) {
      assert.equal(result.success[n], false);
      assert.equal(
        await succeeds(attack, n, grid[grid.length - 1], p),
        false,
        `image ${n}: largest grid eps fails`,
      );
      continue;
    }
    found++;
    assert.equal(result.success[n], true);
    const k = grid.indexOf(r.gridEps as number);
    assert.ok(k >= 0, `image ${n}: grid eps ${r.gridEps} is on the grid`);
    assert.equal(await succeeds(attack, n, grid[k], p), true, `image ${n}: succeeds at grid eps ${grid[k]}`);
    if (k > 0)
      assert.equal(
        await succeeds(attack, n, grid[k - 1], p),
        false,
        `image ${n}: fails one grid step lower (${grid[k - 1]})`,
      );
    for (let j = 0; j < k - 1; j++)
      assert.equal(await succeeds(attack, n, grid[j], p), false, `image ${n}: fails at ${grid[j]}`);
    // bisection: failing < eps <= grid eps, bracket of width step / 2^steps, and the attack succeeds at eps.
    const lower = k > 0 ? grid[k - 1] : 0;
    assert.ok(
      r.failingEps >= lower && r.failingEps < r.eps && r.eps <= grid[k],
      `image ${n}: ${lower} <= ${r.failingEps} < ${r.eps} <= ${grid[k]}`,
    );
    assert.ok(r.eps - r.failingEps <= (grid[k] - lower) / 2 ** bisectionSteps + 1e-12);
    assert.equal(
      await succeeds(attack, n, r.eps, p),
      true,
      `image ${n}: succeeds at the bisected eps ${r.eps}`,
    );
    if (r.failingEps > 0) assert.equal(await succeeds(attack, n, r.failingEps, p), false);
    // the returned adversarial is within eps of the input and fools the model confidently.
    const linf = tf.tidy(
      () =>
        tf
          .max(tf.abs(tf.sub(tf.slice(result.adversarial, [n, 0, 0, 0], [1, -1, -1, -1]), slice(n))))
          .dataSync()[0],
    );
    assert.ok(linf <= r.eps + 1e-6, `linf ${linf} <= eps ${r.eps}`);
  }
  assert.ok(found >= 4, `found a minimal eps for ${found}/6 images`);
  result.adversarial.dispose();
  assert.equal(tf.memory().numTensors, before, 'no leaked tensors');
  return result;
}

test('minimal-eps FGSM (confident 0.9): the grid eps found is the smallest on the grid, one step lower fails', async () => {
  const grid = epsilonGrid(0.02, 0.5, 0.02);
  const result = await checkMinimal(new FGSM(), grid, 0.9, 5);
  const eps = result.images.map((r) => r.eps).filter((e): e is number => e !== null);
  assert.ok(
    eps.every((e) => e > 0.02 / 32 && e <= 0.5),
    `eps ${eps}`,
  );
});

test('minimal-eps PGD (confident 0.9, seeded random start) needs no more eps than FGSM', async () => {
  const grid = epsilonGrid(0.02, 0.3, 0.02);
  const pgd = await checkMinimal(new LinfPGD({ steps: 10, relStepsize: 0.25, seed: 3 }), grid, 0.9, 3);
  const fgsm = await minimalEpsilonSearch(new FGSM(), model, x, confident(0.9, labels), {
    grid,
    bisectionSteps: 0,
  });
  fgsm.adversarial.dispose();
  for (let n = 0; n < 6; n++) {
    const a = pgd.images[n].gridEps;
    const b = fgsm.images[n].gridEps;
    if (b !== null) assert.ok(a !== null && a <= b + 1e-9, `image ${n}: PGD grid eps ${a} <= FGSM ${b}`);
  }
});

test('an input that already meets the criterion has eps 0; bad grids are refused', async () => {
  const wrong = labels.map((l) => (l + 1) % 10);
  const r = await minimalEpsilonSearch(new FGSM(), model, x, wrong, { grid: [0.1] });
  assert.ok(r.images.every((i) => i.eps === 0 && i.runs === 0));
  assert.deepEqual(r.adversarial.arraySync(), x.arraySync());
  r.adversarial.dispose();
  await assert.rejects(minimalEpsilonSearch(new FGSM(), model, x, labels, { grid: [] }), /at least one/);
  await assert.rejects(
    minimalEpsilonSearch(new FGSM(), model, x, labels, { grid: [0.2, 0.1] }),
    /strictly ascending/,
  );
  await assert.rejects(minimalEpsilonSearch(new FGSM(), model, x, labels, { grid: [0, 0.1] }), /must be > 0/);
  await assert.rejects(
    minimalEpsilonSearch(new FGSM(), model, x, labels, { grid: [2] }),
    /exceeds the bounds' range/,
  );
  assert.throws(() => epsilonGrid(0, 1, 0.1), /0 < start <= stop/);
  assert.deepEqual(epsilonGrid(1, 3, 1), [1, 2, 3]);
});
