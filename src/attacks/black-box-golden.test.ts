/**
 * advx's black-box attacks against the reference implementations on the same weights and images
 * (scripts/black-box-golden.py wrote the figures: foolbox 3's Boundary and HopSkipJump, torchattacks' SPSA,
 * the SimBA authors' SimBA-DCT, each with three seeds, on an ONNX export of the embedded CNN run by PyTorch).
 * Random draws differ between the implementations, so statistics are compared: success rates within 2 of
 * 16 inputs, median perturbation norms within 15%, mean queries per input within 10%, each widened by the
 * spread of the reference's own figures across its seeds.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { tf, type Tensor2D, type Tensor4D } from '../engine/tf.js';
import { loadFashionMnist } from '../data/datasets.js';
import { packageRoot } from '../data/locations.js';
import type { Norm } from '../distances/index.js';
import type { Loss } from '../models/loss.js';
import { loadModel } from '../models/load.js';
import { predictLabels, type LossGradient, type Model } from '../models/model.js';
import type { Attack, AttackResult } from './attack.js';
import { disposeResult, median, norms } from './black-box-testing.js';
import { BoundaryAttack } from './boundary.js';
import { HopSkipJump } from './hop-skip-jump.js';
import { SimBA } from './simba.js';
import { SPSA } from './spsa.js';

interface Spread {
  mean: number;
  min: number;
  max: number;
}

interface GoldenAttack {
  reference: string;
  runs: { success?: boolean[] }[];
  norm: Norm | null;
  success_rate: Spread;
  median_norm?: Spread;
  mean_queries?: Spread;
}

interface Golden {
  indices: number[];
  labels: number[];
  attacks: Record<string, GoldenAttack>;
}

const golden = JSON.parse(
  readFileSync(join(packageRoot, 'scripts', 'black-box-golden.json'), 'utf8'),
) as Golden;
const N = golden.indices.length;

let model: Model;
let x: Tensor4D;

before(async () => {
  model = await loadModel('fashion-mnist-cnn');
  const data = loadFashionMnist('test', 200);
  x = tf.tidy(() => tf.gather(tf.tensor4d(data.images, [200, 28, 28, 1]), golden.indices)) as Tensor4D;
  assert.deepEqual(
    golden.indices.map((i) => data.labels[i]),
    golden.labels,
    'the golden file is for these images',
  );
  assert.deepEqual(await predictLabels(model, x), golden.labels, 'the model classifies them correctly');
});
after(() => {
  x.dispose();
  model.dispose();
});

/** The same CNN behind three equal channels (their mean), as the SimBA authors' 3-channel code needs. */
function threeChannels(inner: Model): Model {
  return {
    name: `${inner.name} (3 channels)`,
    bounds: inner.bounds,
    inputShape: [28, 28, 3],
    numClasses: inner.numClasses,
    labels: inner.labels,
    differentiable: false,
    engine: inner.engine,
    logits: async (images: Tensor4D): Promise<Tensor2D> => {
      const gray = tf.mean(images, 3, true) as Tensor4D;
      try {
        return await inner.logits(gray);
      } finally {
        gray.dispose();
      }
    },
    lossGradient: (_x: Tensor4D, _loss: Loss): Promise<LossGradient> => {
      throw new Error('not differentiable');
    },
    dispose: () => {},
  };
}

function within(what: string, value: number, reference: Spread, relative: number, absolute = 0): void {
  const allowed = relative * reference.mean + absolute + (reference.max - reference.min);
  assert.ok(
    Math.abs(value - reference.mean) <= allowed,
    `${what}: advx ${value.toFixed(4)}, reference ${reference.mean.toFixed(4)} ` +
      `(seeds ${reference.min.toFixed(4)}..${reference.max.toFixed(4)}), allowed +-${allowed.toFixed(4)}`,
  );
}

async function compare(
  name: string,
  attack: Attack,
  target: Model,
  inputs: Tensor4D,
  epsilons: number | null,
): Promise<void> {
  const expected = golden.attacks[name];
  const result: AttackResult =
    epsilons === null
      ? await attack.run(target, inputs, golden.labels, { epsilons: null })
      : await attack.run(target, inputs, golden.labels, { epsilons });
  try {
    const found = result.success.filter(Boolean).length;
    const queries = result.queries!.reduce((a, b) => a + b, 0) / N;
    const summary = [`success ${found}/${N} (reference ${(expected.success_rate.mean * N).toFixed(1)})`];
    within(`${name} success rate`, found / N, expected.success_rate, 0, 2 / N);
    const perInput = expected.runs[0].success;
    if (perInput !== undefined) {
      const agree = perInput.filter((s, i) => s === result.success[i]).length;
      summary.push(`same verdict on ${agree}/${N} inputs`);
      assert.ok(agree >= N - 2, `${name}: advx and the reference disagree on ${N - agree} inputs`);
    }
    if (expected.median_norm !== undefined && expected.norm !== null) {
      const values = norms(result.clipped, inputs, expected.norm).filter((_, i) => result.success[i]);
      summary.push(
        `median ${expected.norm} ${median(values).toFixed(4)} (${expected.median_norm.mean.toFixed(4)})`,
      );
      within(`${name} median ${expected.norm}`, median(values), expected.median_norm, 0.15);
    }
    if (expected.mean_queries !== undefined) {
      summary.push(`queries ${queries.toFixed(0)} (${expected.mean_queries.mean.toFixed(0)})`);
      within(`${name} mean queries`, queries, expected.mean_queries, 0.1);
    }
    console.log(`${name} vs ${expected.reference}: ${summary.join(', ')}`);
  } finally {
    disposeResult(result);
  }
}

test('boundary matches foolbox: median L2 and queries after 300 steps', async () => {
  const attack = new BoundaryAttack({
    steps: 300,
    sphericalStep: 0.1,
    sourceStep: 0.03,
    updateStatsEvery: 2,
  });
  await compare('boundary', attack, model, x, null);
});

test('hop-skip-jump (L2, Linf) matches foolbox: median norms and queries after 5 steps', async () => {
  await compare('hop-skip-jump', new HopSkipJump({ steps: 5 }), model, x, null);
  await compare('linf-hop-skip-jump', new HopSkipJump({ steps: 5, constraint: 'linf' }), model, x, null);
});

test("spsa matches torchattacks' success rate at eps 0.1", async () => {
  const attack = new SPSA({ steps: 10, samples: 64, delta: 0.01, learningRate: 0.01, earlyStop: false });
  await compare('spsa', attack, model, x, 0.1);
});

test("simba matches the authors' SimBA-DCT: success, median L2 and queries after 300 directions", async () => {
  const three = tf.tile(x, [1, 1, 1, 3]) as Tensor4D;
  try {
    const attack = new SimBA({ maxIterations: 300, freqDims: 4, stride: 1, stepSize: 0.2 });
    await compare('simba', attack, threeChannels(model), three, null);
  } finally {
    three.dispose();
  }
});
