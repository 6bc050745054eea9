/**
 * The library's bad-input suite: every misuse of attacks, criteria, seeds and experiments is one AdvxError
 * with the right code and a one-line message naming the problem, thrown before any work, leaving no tensor
 * behind. One case per kind; a valid call of the same shape runs, so the checks do not refuse good input.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { FGSM, L2PGD, LinfPGD, L2AdditiveGaussianNoise, SaltAndPepperNoise } from './attacks/index.js';
import type { Criterion } from './criteria/index.js';
import { and, confident, misclassification, targeted, topK } from './criteria/index.js';
import { initEngine } from './engine/backend.js';
import { MAX_SEED, Rng } from './engine/random.js';
import { tf, type Tensor2D, type Tensor4D } from './engine/tf.js';
import { AdvxError, isAdvxError, oneLine, type AdvxErrorCode } from './errors.js';
import { checkRobustnessSettings } from './experiments/robustness.js';
import { noisePgd } from './experiments/noise-pgd.js';
import { noisePoints, noiseSweep } from './experiments/noise-sweep.js';
import { LIMITS } from './limits.js';
import { functionModel } from './models/forward-model.js';
import type { Model } from './models/model.js';

before(() => initEngine());

/** A linear [2,2,1] -> 3 classes model: class 1 when the mean pixel is above 0.5, class 2 never wins. */
const model = functionModel(
  (x: Tensor4D) =>
    tf.tidy(() => {
      const mean = tf.mean(x, [1, 2, 3]);
      return tf.stack([tf.sub(0.5, mean), tf.sub(mean, 0.5), tf.mul(mean, -10)], 1) as Tensor2D;
    }),
  { name: 'linear', inputShape: [2, 2, 1], labels: ['dark', 'light', 'never'] },
);

interface Misuse {
  what: string;
  call: () => unknown;
  code: AdvxErrorCode;
  message: RegExp;
}

/** Runs each misuse: an AdvxError of the code, one line matching the message, no tensor left behind. */
async function expectRefused(cases: Misuse[]): Promise<void> {
  for (const { what, call, code, message } of cases) {
    const tensors = tf.memory().numTensors;
    let caught: unknown = null;
    try {
      await call();
    } catch (error) {
      caught = error;
    }
    assert.ok(isAdvxError(caught), `${what}: expected an AdvxError, got ${String(caught)}`);
    assert.ok(caught instanceof AdvxError);
    assert.equal(caught.code, code, `${what}: code (${caught.message})`);
    assert.match(caught.message, message, what);
    assert.ok(!caught.message.includes('\n'), `${what}: more than one line`);
    assert.equal(tf.memory().numTensors, tensors, `${what}: tensors leaked`);
  }
}

test('attack.run: misuse of inputs, labels, criterion, options and epsilons is refused before any work', async () => {
  const x = tf.tensor4d([0.4, 0.4, 0.4, 0.4, 0.9, 0.9, 0.9, 0.9], [2, 2, 2, 1]);
  const empty = tf.zeros([0, 2, 2, 1]) as Tensor4D;
  const ints = tf.zeros([1, 2, 2, 1], 'int32') as Tensor4D;
  const wrongShape = tf.zeros([1, 3, 3, 1]) as Tensor4D;
  const rank3 = tf.zeros([2, 2, 1]) as unknown as Tensor4D;
  const outside = tf.fill([1, 2, 2, 1], 2) as Tensor4D;
  const nan = tf.fill([1, 2, 2, 1], NaN) as Tensor4D;
  const disposed = tf.zeros([1, 2, 2, 1]) as Tensor4D;
  disposed.dispose();
  const fgsm = new FGSM();
  const run = (inputs: Tensor4D, labels: unknown, options: unknown, m: unknown = model) =>
    fgsm.run(m as Model, inputs, labels as number[], options as { epsilons: number });
  const noMethods = { description: 'mine' } as unknown as Criterion;
  try {
    await expectRefused([
      {
        what: 'more labels than images',
        call: () => run(x, [0, 1, 1], { epsilons: 0.1 }),
        code: 'bad-input',
        message: /^misclassification: 3 labels for a batch of 2$/,
      },
      {
        what: 'fewer targets than images',
        call: () => run(x, targeted([2]), { epsilons: 0.1 }),
        code: 'bad-input',
        message: /targeted misclassification: 1 labels for a batch of 2/,
      },
      {
        what: 'a class the model does not have',
        call: () => run(x, [0, 7], { epsilons: 0.1 }),
        code: 'bad-input',
        message: /class 7 is out of range for a model with 3 classes/,
      },
      {
        what: 'labels that are not class indices',
        call: () => run(x, [0, 1.5], { epsilons: 0.1 }),
        code: 'bad-input',
        message: /labels must be non-negative class indices \(got 1\.5\)/,
      },
      {
        what: 'an empty batch',
        call: () => run(empty, [], { epsilons: 0.1 }),
        code: 'bad-input',
        message: /^inputs: the batch is empty \(shape \[0,2,2,1\]\)$/,
      },
      {
        what: 'a disposed tensor',
        call: () => run(disposed, [0], { epsilons: 0.1 }),
        code: 'bad-input',
        message: /^inputs: the tensor has been disposed$/,
      },
      {
        what: 'an array instead of a tensor',
        call: () => run([[0.1]] as unknown as Tensor4D, [0], { epsilons: 0.1 }),
        code: 'bad-input',
        message: /^inputs: give a tensor \[N,H,W,C\] \(got an array of 1\)$/,
      },
      {
        what: 'int32 pixels',
        call: () => run(ints, [0], { epsilons: 0.1 }),
        code: 'bad-input',
        message: /^inputs: dtype int32; pixels must be float32$/,
      },
      {
        what: 'another input shape',
        call: () => run(wrongShape, [0], { epsilons: 0.1 }),
        code: 'bad-input',
        message: /inputs have shape \[3,3,1\] but model linear expects \[2,2,1\]/,
      },
      {
        what: 'not a batch',
        call: () => run(rank3, [0], { epsilons: 0.1 }),
        code: 'bad-input',
        message: /inputs must be a batch \[N,H,W,C\] \(got rank 3\)/,
      },
      {
        what: 'values outside the bounds',
        call: () => run(outside, [0], { epsilons: 0.1 }),
        code: 'bad-input',
        message: /input values span \[2, 2\], outside the model's bounds \[0, 1\]/,
      },
      {
        what: 'NaN pixels',
        call: () => run(nan, [0], { epsilons: 0.1 }),
        code: 'bad-input',
        message: /^inputs: input 0 holds 4 values that are NaN or infinite/,
      },
      {
        what: 'a null criterion',
        call: () => run(x, null, { epsilons: 0.1 }),
        code: 'bad-input',
        message: /^criterion: give a Criterion or an array of labels \(got null\)$/,
      },
      {
        what: 'a criterion without its methods',
        call: () => run(x, noMethods, { epsilons: 0.1 }),
        code: 'bad-input',
        message: /^criterion: give a Criterion or an array of labels \(got an object\)$/,
      },
      {
        what: 'top-k with k >= the classes',
        call: () => run(x, topK(3, [0, 1]), { epsilons: 0.1 }),
        code: 'bad-option',
        message: /top-3 misclassification needs k < the number of classes \(the model has 3\)/,
      },
      {
        what: 'and() with a criterion that does not fit',
        call: () => run(x, and(misclassification([0, 1]), confident(0.5, [0])), { epsilons: 0.1 }),
        code: 'bad-input',
        message: /confident misclassification: 1 labels for a batch of 2/,
      },
      {
        what: 'no options',
        call: () => run(x, [0, 1], undefined),
        code: 'bad-option',
        message: /^fgsm: options must give epsilons \(a number, a list, or null; got undefined\)$/,
      },
      {
        what: 'epsilons undefined',
        call: () => run(x, [0, 1], { epsilons: undefined }),
        code: 'bad-option',
        message: /^fgsm: epsilons must be a number, a list of numbers, or null \(got undefined\)$/,
      },
      {
        what: 'an epsilon as a string',
        call: () => run(x, [0, 1], { epsilons: ['0.1'] }),
        code: 'bad-option',
        message: /epsilon must be a finite number >= 0 \(got '0\.1'\)/,
      },
      {
        what: 'a negative epsilon',
        call: () => run(x, [0, 1], { epsilons: -0.1 }),
        code: 'bad-option',
        message: /epsilon must be a finite number >= 0 \(got -0\.1\)/,
      },
      {
        what: 'no epsilon in the list',
        call: () => run(x, [0, 1], { epsilons: [] }),
        code: 'bad-option',
        message: /^epsilons: give at least one$/,
      },
      {
        what: 'more epsilons than LIMITS.listLength',
        call: () => run(x, [0, 1], { epsilons: new Array(LIMITS.listLength + 1).fill(0.1) }),
        code: 'too-large',
        message: /epsilons: 10001 values; give at most 10000/,
      },
      {
        what: 'an Linf epsilon beyond the bounds',
        call: () => run(x, [0, 1], { epsilons: 1.5 }),
        code: 'bad-option',
        message: /^fgsm: epsilon 1\.5 is out of range \[0, 1\] for linf and bounds \[0, 1\]$/,
      },
      {
        what: 'an L2 epsilon beyond the largest L2 distance',
        call: () => new L2PGD().run(model, x, [0, 1], { epsilons: 2.5 }),
        code: 'bad-option',
        message: /^l2-pgd: epsilon 2\.5 is out of range \[0, 2\] for l2 and bounds \[0, 1\]$/,
      },
      {
        what: 'epsilons null for a fixed-epsilon attack',
        call: () => run(x, [0, 1], { epsilons: null }),
        code: 'bad-option',
        message: /fgsm looks for an adversarial within a given eps: give epsilons/,
      },
      {
        what: 'onProgress that is not a function',
        call: () => run(x, [0, 1], { epsilons: 0.1, onProgress: 'yes' }),
        code: 'bad-option',
        message: /^fgsm: onProgress must be a function \(got 'yes'\)$/,
      },
      {
        what: 'no model',
        call: () => run(x, [0, 1], { epsilons: 0.1 }, null),
        code: 'bad-model',
        message: /^fgsm: give an advx Model .*got null\)$/,
      },
    ]);
    // the same calls with good input run
    const result = await fgsm.run(model, x, [0, 1], { epsilons: 0.2 });
    assert.deepEqual(result.success, [true, false]);
    tf.dispose([result.raw, result.clipped]);
  } finally {
    tf.dispose([x, empty, ints, wrongShape, rank3, outside, nan]);
  }
});

test('attack constructors: seeds outside [0, 2^32), non-integer or unbounded counts are refused', async () => {
  await expectRefused([
    {
      what: 'seed -1',
      call: () => new LinfPGD({ seed: -1 }),
      code: 'bad-option',
      message: /^LinfPGD: seed must be an integer in \[0, 4294967295\] \(got -1\)$/,
    },
    {
      what: 'seed 1.5',
      call: () => new FGSM({ seed: 1.5 }),
      code: 'bad-option',
      message: /seed must be an integer in \[0, 4294967295\] \(got 1\.5\)/,
    },
    {
      what: 'seed 2^32 (would alias seed 0)',
      call: () => new L2AdditiveGaussianNoise({ seed: 2 ** 32 }),
      code: 'bad-option',
      message: /seed must be an integer in \[0, 4294967295\] \(got 4294967296\)/,
    },
    {
      what: 'salt-and-pepper seed NaN',
      call: () => new SaltAndPepperNoise({ seed: NaN }),
      code: 'bad-option',
      message: /^salt-and-pepper: seed must be an integer/,
    },
    {
      what: 'steps 1e9',
      call: () => new LinfPGD({ steps: 1e9 }),
      code: 'too-large',
      message: /^LinfPGD: steps must be at most 1000000 \(got 1000000000\)$/,
    },
    {
      what: 'repeats 0',
      call: () => new L2AdditiveGaussianNoise({ repeats: 0 }),
      code: 'bad-option',
      message: /repeats must be an integer >= 1 \(got 0\)/,
    },
    {
      what: 'Rng seed 2^32',
      call: () => new Rng(2 ** 32),
      code: 'bad-option',
      message: /^seed must be an integer in \[0, 4294967295\]/,
    },
  ]);
  assert.equal(new LinfPGD({ seed: MAX_SEED }).describe().seed, MAX_SEED);
});

test('criteria: labels, confidence and k that cannot be are refused at construction', async () => {
  await expectRefused([
    {
      what: 'labels null',
      call: () => misclassification(null as unknown as number[]),
      code: 'bad-input',
      message: /^labels: give an array of class indices \(got null\)$/,
    },
    {
      what: 'a negative label',
      call: () => misclassification([0, -1]),
      code: 'bad-input',
      message: /labels must be non-negative class indices \(got -1\)/,
    },
    {
      what: 'confidence NaN',
      call: () => confident(NaN, [0]),
      code: 'bad-option',
      message: /^confidence must be in \(0, 1\] \(got NaN\)$/,
    },
    {
      what: 'k 0',
      call: () => topK(0, [0]),
      code: 'bad-option',
      message: /top-k needs an integer k >= 1 \(got 0\)/,
    },
    {
      what: 'and() of null',
      call: () => and(misclassification([0]), null as unknown as Criterion),
      code: 'bad-input',
      message: /^and: second criterion: give a Criterion \(got null\)$/,
    },
  ]);
});

test('experiments: mu outside the pixel range, counts past the bounds and bad seeds are refused before work', async () => {
  const point = [{ mu: 100, sigma: 10 }];
  await expectRefused([
    {
      what: 'mu -50',
      call: () => noisePoints([-50], [10], 'zip'),
      code: 'bad-option',
      message: /^mu must be in \[0, 255\], pixel units \(got -50\)$/,
    },
    {
      what: 'a grid of more points than LIMITS.noiseImages',
      call: () => noisePoints(new Array(400).fill(100), new Array(400).fill(10), 'grid'),
      code: 'too-large',
      message: /400 mu x 400 sigma values make 160000 points; at most 100000/,
    },
    {
      what: 'noise sweep samples 1e9',
      call: () => noiseSweep([model], { points: point, samples: 1e9 }),
      code: 'too-large',
      message: /^samples must be at most 1000000 \(got 1000000000\)$/,
    },
    {
      what: 'noise sweep points x samples past LIMITS.noiseImages',
      call: () => noiseSweep([model], { points: new Array(1000).fill(point[0]), samples: 101 }),
      code: 'too-large',
      message: /1000 \(mu, sigma\) points x 101 samples = 101000 noise images; at most 100000/,
    },
    {
      what: 'noise sweep seed -1',
      call: () => noiseSweep([model], { points: point, seed: -1 }),
      code: 'bad-option',
      message: /^seed must be an integer in \[0, 4294967295\] \(got -1\)$/,
    },
    {
      what: 'PGD on noise: more images than one batch takes',
      call: () => noisePgd(model, { points: point, samples: LIMITS.batchSize + 1, eps: 0.1 }),
      code: 'too-large',
      message: /= 1025 noise images; at most 1024/,
    },
    {
      what: 'robustness seed past what its restarts derive',
      call: () =>
        checkRobustnessSettings({
          epsilons: [0.1],
          steps: 1,
          relStepsize: 0.1,
          restarts: 1,
          seed: 2 ** 31,
          projection: { steps: 1, restarts: 1, lr: 0.1 },
          eotSamples: 1,
        }),
      code: 'too-large',
      message: /^robustness: seed must be at most 4294966 \(got 2147483648\)$/,
    },
  ]);
});

test('AdvxError: one line, a code, the option; recognised across copies of the package', () => {
  const error = new AdvxError('bad-option', 'steps: must be\n  at most 3', { option: 'steps' });
  assert.equal(error.message, 'steps: must be at most 3');
  assert.equal(error.name, 'AdvxError');
  assert.equal(error.option, 'steps');
  assert.ok(error instanceof Error);
  assert.equal(oneLine('a\r\n\n b '), 'a b');
  const foreign = Object.create({ [Symbol.for('advx.AdvxError')]: true }) as object;
  assert.ok(isAdvxError(foreign), 'branded by another copy');
  assert.ok(!isAdvxError(new Error('x')) && !isAdvxError(null) && !isAdvxError('bad-input'));
});
