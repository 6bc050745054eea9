import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { initEngine } from '../../engine/backend.js';
import { tf } from '../../engine/tf.js';
import { loadNetwork } from '../../models/model-files.js';
import { UsageError } from '../errors.js';
import { trainAction, registerTrainCommand, type TrainFlags } from './train.js';
import { registerTrainGanCommand, trainGanAction, type TrainGanFlags } from './train-gan.js';

let root: string;
const quiet = () => undefined;

before(async () => {
  await initEngine();
  root = mkdtempSync(join(tmpdir(), 'advx-resume-'));
});

after(() => {
  rmSync(root, { recursive: true, force: true });
});

async function weightsOf(dir: string): Promise<Float32Array[]> {
  const { net } = await loadNetwork(dir);
  const values = (net as tf.LayersModel).getWeights().map((w) => w.dataSync() as Float32Array);
  net.dispose();
  return values;
}

/** The very same weights, bit for bit (the checkpoint keeps Adam's running powers too: optimizer-state.ts). */
function assertSameWeights(a: Float32Array[], b: Float32Array[], what: string): void {
  assert.equal(a.length, b.length);
  a.forEach((w, i) => {
    const differing = w.findIndex((v, k) => !Object.is(v, b[i][k]));
    assert.ok(w.length === b[i].length && differing === -1, `${what}: weight ${i} differs at ${differing}`);
  });
}

test('adversarial training checkpoints every epoch; an interrupted run resumed with --resume ends with the same weights', async () => {
  const common: TrainFlags = {
    limit: '192',
    batchSize: '64',
    seed: '2',
    adversarial: 'fgsm',
    eps: '0.1',
    robustEval: '40',
  };
  const straight = join(root, 'straight');
  const lines: string[] = [];
  const before = tf.memory().numTensors;
  const full = await trainAction({ ...common, epochs: '2', out: straight }, (s) => lines.push(s));
  assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
  assert.match(lines[0], /adversarial fgsm eps 0\.1 of 0\.125\n$/);
  assert.match(
    lines.join(''),
    /PGD-20 \(step 0\.0125, eps 0\.1, random start\) on the first 40 test images: clean [\d.]+%, robust [\d.]+%/,
  );
  assert.ok(full.robust !== undefined && full.robust.images === 40);
  assert.ok(!existsSync(join(straight, 'checkpoint')), 'the checkpoint is removed when training completes');
  assert.equal(
    full.command,
    `advx train --dataset fashion-mnist --epochs 2 --batch-size 64 --learning-rate 0.001 --seed 2 --limit 192 --adversarial fgsm --eps 0.1 --step-size 0.125 --out ${straight}`,
  );

  // "Interrupted" after epoch 1: a run of 1 epoch that keeps its checkpoint, then --resume to 2 epochs.
  const resumed = join(root, 'resumed');
  await trainAction({ ...common, epochs: '1', out: resumed, keepCheckpoint: true }, quiet);
  const kept = join(resumed, 'checkpoint');
  const current = (JSON.parse(readFileSync(join(kept, 'checkpoint.json'), 'utf8')) as { current: string })
    .current;
  assert.match(current, /^epoch-0001-/);
  assert.deepEqual(
    readdirSync(kept).sort(),
    ['.advx-folder', 'checkpoint.json', current],
    'one epoch folder',
  );
  assert.deepEqual(readdirSync(join(kept, current)).sort(), [
    'model',
    'optimizer-model.bin',
    'optimizer-model.json',
    'state.json',
  ]);
  const resumeLines: string[] = [];
  const second = await trainAction({ ...common, epochs: '2', out: resumed, resume: true }, (s) =>
    resumeLines.push(s),
  );
  assert.match(resumeLines[0], /^training fashion-mnist-cnn on 192 /);
  assert.match(resumeLines[1], /^resuming after epoch 1 from .*checkpoint\n$/);
  assert.equal(second.history.length, 2, 'the history holds both epochs');
  for (const e of [0, 1]) {
    for (const key of ['epoch', 'loss', 'trainAccuracy', 'testAccuracy'] as const) {
      assert.equal(second.history[e][key], full.history[e][key], `epoch ${e + 1} ${key}`);
    }
  }
  assertSameWeights(await weightsOf(resumed), await weightsOf(straight), 'resumed vs straight');
  assert.equal(second.testAccuracy, full.testAccuracy);
  assert.equal(tf.memory().numTensors, before, 'no tensor left behind after resuming');
});

test('--resume refuses a checkpoint made with other options, and a folder without one', async () => {
  const out = join(root, 'mismatch');
  await trainAction(
    {
      limit: '64',
      epochs: '1',
      batchSize: '32',
      seed: '1',
      out,
      keepCheckpoint: true,
      adversarial: 'fgsm',
      robustEval: '0',
    },
    quiet,
  );
  await assert.rejects(
    trainAction(
      {
        limit: '64',
        epochs: '2',
        batchSize: '32',
        seed: '1',
        out,
        resume: true,
        adversarial: 'pgd',
        force: true,
      },
      quiet,
    ),
    (e) => e instanceof UsageError && /--resume: the checkpoint was made with adversarial/.test(e.message),
  );
  await assert.rejects(
    trainAction({ limit: '64', epochs: '2', out: join(root, 'nothing'), resume: true }, quiet),
    (e) => e instanceof UsageError && /--resume: no checkpoint in .*nothing/.test(e.message),
  );
});

test('adversarial flags are checked and named', async () => {
  const out = join(root, 'never');
  const cases: [TrainFlags, RegExp][] = [
    [{ out, adversarial: 'cw' }, /--adversarial: unknown method 'cw' \(available: pgd, fgsm\)/],
    [{ out, eps: '0.1' }, /--eps: only with --adversarial/],
    [{ out, adversarial: 'pgd', eps: '2' }, /--eps: must be in \(0, 1\]/],
    [{ out, adversarial: 'fgsm', steps: '5' }, /--steps: fgsm takes one step/],
    [{ out, adversarial: 'pgd', cleanFraction: '1' }, /--clean-fraction: must be in \[0, 1\)/],
    [{ out, arch: 'resnet' }, /--arch: unknown architecture 'resnet'/],
    [{ out, init: join(root, 'no-model') }, /--init: no model.json in/],
  ];
  for (const [flags, message] of cases) {
    await assert.rejects(
      trainAction(flags, quiet),
      (e) => e instanceof UsageError && message.test(e.message),
      JSON.stringify(flags),
    );
  }
});

test('advx train gan: options after `gan` reach it; an interrupted GAN run resumes to the same generator', async () => {
  const program = new Command('advx').exitOverride();
  [registerTrainCommand, registerTrainGanCommand].forEach((register) => register(program)); // as the command table does
  const gan = program.commands.find((c) => c.name() === 'train')?.commands.find((c) => c.name() === 'gan');
  assert.ok(gan, 'advx train gan exists');
  for (const flag of ['--epochs', '--latent-dim', '--out', '--resume', '--sample-every'])
    assert.ok(
      gan.options.some((o) => o.long === flag),
      flag,
    );
  let parsed: Record<string, unknown> = {};
  gan.action((opts: Record<string, unknown>) => {
    parsed = opts;
  });
  await program.parseAsync(['train', 'gan', '--epochs', '3', '--out', 'somewhere', '--latent-dim', '8'], {
    from: 'user',
  });
  assert.equal(parsed.epochs, '3', "--epochs after `gan` is gan's");
  assert.equal(parsed.out, 'somewhere');
  assert.equal(parsed.latentDim, '8');

  const common: TrainGanFlags = {
    limit: '128',
    batchSize: '32',
    batchesPerEpoch: '2',
    latentDim: '8',
    seed: '3',
    sampleEvery: '1',
  };
  const straight = join(root, 'gan-straight');
  const before = tf.memory().numTensors;
  const lines: string[] = [];
  const full = await trainGanAction({ ...common, epochs: '2', out: straight }, (s) => lines.push(s));
  assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
  assert.equal(full.history.length, 2);
  assert.match(lines.join(''), /epoch 2\/2: D loss [\d.]+, G loss [\d.]+/);
  assert.deepEqual(readdirSync(join(straight, 'samples')).sort(), [
    '.advx-folder',
    'epoch-000.png',
    'epoch-001-batch-0001.png',
    'epoch-001.png',
    'epoch-002-batch-0001.png',
    'epoch-002.png',
  ]);
  assert.ok(existsSync(join(straight, 'samples.png')) && !existsSync(join(straight, 'checkpoint')));

  const resumed = join(root, 'gan-resumed');
  await trainGanAction({ ...common, epochs: '1', out: resumed, keepCheckpoint: true }, quiet);
  await trainGanAction({ ...common, epochs: '2', out: resumed, resume: true }, quiet);
  assertSameWeights(await weightsOf(resumed), await weightsOf(straight), 'resumed vs straight generator');
  const { net, json } = await loadNetwork(straight);
  net.dispose();
  assert.equal((json.advx as Record<string, unknown>).kind, 'generator');
  assert.equal((json.advx as Record<string, unknown>).latentDim, 8);
  assert.equal(tf.memory().numTensors, before, 'no tensor left behind after resuming');
});

test('advx train --vat: a short semi-supervised run on few labels saves a model; its flags are checked', async () => {
  const out = join(root, 'vat');
  const lines: string[] = [];
  const before = tf.memory().numTensors;
  const report = await trainAction(
    { vat: true, labeled: '32', limit: '256', epochs: '1', batchSize: '64', seed: '1', out },
    (s) => lines.push(s),
  );
  assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
  assert.match(
    lines[0],
    /virtual adversarial training on 32 labelled \+ 256 unlabelled fashion-mnist images .* VAT eps 2, alpha 1\n$/,
  );
  assert.match(lines[1], /^epoch 1\/1: cross-entropy [\d.]+, LDS [\d.]+, test accuracy [\d.]+%/);
  assert.equal(report.trainImages, 32);
  assert.equal(
    report.command,
    `advx train --dataset fashion-mnist --epochs 1 --batch-size 64 --learning-rate 0.001 --seed 1 --limit 256 --vat --labeled 32 --vat-eps 2 --vat-alpha 1 --out ${out}`,
  );
  const { net, json } = await loadNetwork(out);
  net.dispose();
  assert.equal((json.advx as Record<string, unknown>).labeledImages, 32);
  for (const [flags, message] of [
    [{ out: join(root, 'x'), labeled: '10' }, /--labeled: only with --vat/],
    [{ out: join(root, 'x'), vat: true, adversarial: 'pgd' }, /--vat: not together with --adversarial/],
    [{ out: join(root, 'x'), vat: true, vatEps: '0' }, /--vat-eps: must be > 0/],
  ] as [TrainFlags, RegExp][]) {
    await assert.rejects(
      trainAction(flags, quiet),
      (e) => e instanceof UsageError && message.test(e.message),
      JSON.stringify(flags),
    );
  }
});
