/**
 * evaluate() on the adversarially trained Fashion-MNIST CNN and real test images: the PGD protocol
 * reproduces a direct PGD run on the correctly classified images, each attack gets only the images still
 * robust, per-image results agree with the accuracies, and an evaluation stopped mid-attack resumes to
 * the result of an uninterrupted one.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { LinfAdditiveUniformNoise } from '../attacks/additive-noise.js';
import type { AttackContext } from '../attacks/attack.js';
import { FGSM, LinfPGD } from '../attacks/gradient-descent.js';
import { loadFashionMnist } from '../data/datasets.js';
import { initEngine } from '../engine/backend.js';
import { tf, type Tensor4D } from '../engine/tf.js';
import { loadModel } from '../models/load.js';
import { predictLabels, type Model } from '../models/model.js';
import { evaluate, type EvaluationEvent } from './evaluate.js';
import { loadEvaluationData } from './evaluation-data.js';
import type { EvaluationResult } from './evaluation-result.js';
import { RESULT_FILE, STATE_FILE, type EvaluationState } from './evaluation-state.js';
import { batchSeed, PGD_PROTOCOL, type NamedAttack } from './protocols.js';

const N = 50;
const EPS = 0.1;
let model: Model;
let root: string;

before(async () => {
  await initEngine();
  model = await loadModel('fashion-mnist-cnn-robust');
  root = mkdtempSync(join(tmpdir(), 'advx-evaluate-'));
});

after(() => {
  model.dispose();
  rmSync(root, { recursive: true, force: true });
});

function record(x: Tensor4D, seen: Float32Array[]): void {
  const pixels = x.dataSync() as Float32Array;
  const size = pixels.length / x.shape[0];
  for (let i = 0; i < x.shape[0]; i++) seen.push(pixels.slice(i * size, (i + 1) * size));
}

/** FGSM and PGD that record the images each batch gives them. */
class RecordingFGSM extends FGSM {
  constructor(readonly seen: Float32Array[]) {
    super();
  }
  protected override attack(x: Tensor4D, eps: number, context: AttackContext): Promise<Tensor4D> {
    record(x, this.seen);
    return super.attack(x, eps, context);
  }
}

class RecordingPGD extends LinfPGD {
  constructor(
    readonly seen: Float32Array[],
    seed: number,
  ) {
    super({ steps: 5, relStepsize: 0.25, seed });
  }
  protected override attack(x: Tensor4D, eps: number, context: AttackContext): Promise<Tensor4D> {
    record(x, this.seen);
    return super.attack(x, eps, context);
  }
}

/** Dataset positions of the recorded images (each must be one of the data set's images). */
function positionsOf(seen: Float32Array[], images: Float32Array, size: number): number[] {
  return seen.map((pixels) => {
    for (let p = 0; p < images.length / size; p++) {
      const candidate = images.subarray(p * size, (p + 1) * size);
      if (candidate.every((v, i) => v === pixels[i])) return p;
    }
    assert.fail('an attack was given an image that is not in the data set');
  });
}

function withoutTimes(result: EvaluationResult) {
  return { ...result, attacks: result.attacks.map((a) => ({ ...a, seconds: 0 })) };
}

test('pgd protocol: robust <= clean, per-image consistency, and equal to PGD-20 run directly on the correct images', async () => {
  const data = loadFashionMnist('test', N);
  const before = tf.memory().numTensors;
  const events: EvaluationEvent[] = [];
  const result = await evaluate(model, { dataset: 'fashion-mnist', images: N }, 'pgd', {
    norm: 'linf',
    eps: EPS,
    seed: 7,
    batchSize: 64,
    onEvent: (e) => events.push(e),
  });
  assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
  assert.equal(result.images, N);
  assert.deepEqual(
    result.attacks.map((a) => a.name),
    ['linf-pgd'],
  );
  assert.ok(result.robustAccuracy <= result.cleanAccuracy);
  assert.ok(result.cleanAccuracy > 0.6, `clean accuracy ${result.cleanAccuracy}`);
  assert.ok(result.robustAccuracy > 0.2, 'the robust model resists part of PGD at eps 0.1');
  assert.ok(result.robustAccuracy < result.cleanAccuracy, 'PGD fools some images');
  assert.deepEqual(
    result.perImage.map((p) => p.index),
    Array.from({ length: N }, (_, i) => i),
  );
  for (const p of result.perImage) {
    assert.equal(p.label, data.labels[p.index]);
    if (p.robust) assert.ok(p.clean, `image ${p.index} is robust but not clean`);
    assert.equal(p.fooledBy !== null, p.clean && !p.robust);
  }
  assert.equal(result.perImage.filter((p) => p.clean).length / N, result.cleanAccuracy);
  assert.equal(result.perImage.filter((p) => p.robust).length / N, result.robustAccuracy);
  assert.deepEqual(result.warnings, [], 'a plain CNN with logits raises no sanity warning');

  // The same attack, run by hand on the correctly classified images (one batch: seed of batch 0).
  const x = tf.tensor4d(data.images, [N, 28, 28, 1]);
  const predicted = await predictLabels(model, x);
  const correct = predicted.flatMap((p, i) => (p === data.labels[i] ? [i] : []));
  assert.deepEqual(
    result.perImage.filter((p) => p.clean).map((p) => p.index),
    correct,
  );
  const xc = tf.gather(x, correct) as Tensor4D;
  const pgd = new LinfPGD({ ...PGD_PROTOCOL, seed: batchSeed(7, 0, 0) });
  const direct = await pgd.run(
    model,
    xc,
    correct.map((i) => data.labels[i]),
    { epsilons: EPS },
  );
  const robustByHand = correct.filter((_, j) => !direct.success[j]);
  assert.deepEqual(
    result.perImage.filter((p) => p.robust).map((p) => p.index),
    robustByHand,
  );
  tf.dispose([x, xc, direct.raw, direct.clipped]);

  const attackEvent = events.find((e) => e.kind === 'attack');
  assert.ok(attackEvent?.kind === 'attack' && attackEvent.attacked === correct.length);
  const clean = events.find((e) => e.kind === 'clean');
  assert.ok(clean?.kind === 'clean' && clean.cleanAccuracy === result.cleanAccuracy);
});

test('each attack gets only the images still robust; robust accuracy falls attack by attack', async () => {
  const n = 40;
  const data = loadFashionMnist('test', n);
  const size = 28 * 28;
  const seenByFgsm: Float32Array[] = [];
  const seenByPgd: Float32Array[] = [];
  const attacks: NamedAttack[] = [
    { name: 'fgsm', attack: () => new RecordingFGSM(seenByFgsm) },
    { name: 'pgd', attack: (seed) => new RecordingPGD(seenByPgd, seed) },
  ];
  const result = await evaluate(
    model,
    loadEvaluationData({ dataset: 'fashion-mnist', images: n }),
    { name: 'custom', attacks },
    { norm: 'linf', eps: EPS, batchSize: 16 },
  );
  const fgsmGot = positionsOf(seenByFgsm, data.images, size);
  const pgdGot = positionsOf(seenByPgd, data.images, size);
  const clean = result.perImage.filter((p) => p.clean).map((p) => p.index);
  const afterFgsm = result.perImage.filter((p) => p.clean && p.fooledBy !== 'fgsm').map((p) => p.index);
  assert.deepEqual(fgsmGot, clean, 'FGSM attacks exactly the correctly classified images, once each');
  assert.deepEqual(pgdGot, afterFgsm, 'PGD attacks exactly the images FGSM did not fool');
  assert.ok(afterFgsm.length < clean.length, 'FGSM fooled some');
  const [a, b] = result.attacks;
  assert.equal(a.robustAccuracy, afterFgsm.length / n);
  assert.ok(b.robustAccuracy <= a.robustAccuracy && a.robustAccuracy <= result.cleanAccuracy);
  assert.equal(result.robustAccuracy, b.robustAccuracy);
});

test('an evaluation stopped after a batch resumes from its state file to the uninterrupted result', async () => {
  // Noise first: which images it fools depends on its seeds (at eps 0.3), so a resumed run that drew
  // other random numbers would end with other per-image results. PGD then takes the rest.
  const options = { norm: 'linf' as const, eps: 0.3, seed: 3, batchSize: 12 };
  const selection = { dataset: 'fashion-mnist' as const, images: 36 };
  const protocol = {
    name: 'custom' as const,
    attacks: [
      { name: 'noise', attack: (seed: number) => new LinfAdditiveUniformNoise({ seed }) },
      { name: 'pgd', attack: (seed: number) => new LinfPGD({ ...PGD_PROTOCOL, seed }) },
    ],
  };
  const straight = await evaluate(model, selection, protocol, { ...options, out: join(root, 'straight') });
  const written = JSON.parse(readFileSync(join(root, 'straight', RESULT_FILE), 'utf8')) as EvaluationResult;
  assert.deepEqual(written, straight, 'evaluation.json holds the result');

  const out = join(root, 'stopped');
  const stop = new Error('stopped');
  const savedBatches = () =>
    existsSync(join(out, STATE_FILE))
      ? (JSON.parse(readFileSync(join(out, STATE_FILE), 'utf8')) as EvaluationState).attacks[1].batchesDone
      : 0;
  const tensors = tf.memory().numTensors;
  await assert.rejects(
    evaluate(model, selection, protocol, {
      ...options,
      out,
      // Stops the run as soon as the state file shows a finished batch of the attack.
      onEvent: (e) => {
        if (e.kind === 'progress' && e.attackIndex === 1 && savedBatches() >= 1) throw stop;
      },
    }),
    (e) => e === stop,
  );
  assert.equal(tf.memory().numTensors, tensors, 'no tensor left behind when a run stops midway');
  const state = JSON.parse(readFileSync(join(out, STATE_FILE), 'utf8')) as EvaluationState;
  assert.equal(state.perImage.length, 36, 'the clean pass was saved');
  assert.ok(state.attacks[0].done, 'the noise attack was done');
  assert.ok(state.attacks[1].batchesDone >= 1 && !state.attacks[1].done, 'stopped inside PGD');
  assert.ok(
    straight.perImage.some((p) => p.fooledBy === 'noise'),
    'the noise fools some images (its seeds matter)',
  );
  assert.ok(!existsSync(join(out, RESULT_FILE)));

  await assert.rejects(
    evaluate(model, selection, protocol, { ...options, out }),
    /state\.json exists \(an earlier evaluation\): use --resume/,
  );
  const events: EvaluationEvent[] = [];
  const resumed = await evaluate(model, selection, protocol, {
    ...options,
    out,
    resume: true,
    onEvent: (e) => events.push(e),
  });
  assert.deepEqual(withoutTimes(resumed), withoutTimes(straight));
  const start = events[0];
  assert.ok(start.kind === 'start' && start.resumed && start.cleanDone === 36);
  assert.ok(
    !events.some((e) => e.kind === 'progress' && e.stage === 'clean'),
    'the clean pass is not redone',
  );
});
