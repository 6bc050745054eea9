import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { initEngine } from '../../engine/backend.js';
import { tf } from '../../engine/tf.js';
import { loadNetwork } from '../../models/model-files.js';
import { evaluateAccuracy } from '../../train/train-classifier.js';
import { loadFashionMnist } from '../../data/datasets.js';
import { COMMANDS } from '../command-table.js';
import { exitCodeOf, UsageError } from '../errors.js';
import { isAdvxError } from '../../errors.js';
import { parseTrainFlags, registerTrainCommand, trainAction, type TrainFlags } from './train.js';

let root: string;

before(async () => {
  await initEngine();
  root = mkdtempSync(join(tmpdir(), 'advx-train-cli-'));
});

after(() => {
  rmSync(root, { recursive: true, force: true });
});

async function usageMessage(flags: TrainFlags): Promise<string> {
  const lines: string[] = [];
  try {
    await trainAction(flags, (s) => lines.push(s));
  } catch (error) {
    assert.ok(isAdvxError(error), `${JSON.stringify(flags)}: ${(error as Error).stack}`);
    assert.equal(exitCodeOf(error), 2);
    assert.doesNotMatch(error.message, /\n/, 'one line');
    assert.deepEqual(lines, [], 'nothing printed before refusing');
    return error.message;
  }
  assert.fail(`${JSON.stringify(flags)} was accepted`);
}

test('bad options are usage errors (exit code 2) naming the option', async () => {
  const out = join(root, 'never');
  const cases: [TrainFlags, RegExp][] = [
    [{ epochs: 'many', out }, /--epochs/],
    [{ epochs: '0', out }, /--epochs: must be an integer >= 1/],
    [{ epochs: '2.5', out }, /--epochs/],
    [{ batchSize: '1.5', out }, /--batch-size/],
    [{ learningRate: 'fast', out }, /--learning-rate/],
    [{ learningRate: '0', out }, /--learning-rate: must be > 0/],
    [{ seed: '-1', out }, /--seed/],
    [{ limit: 'abc', out }, /--limit/],
    [{ dataset: 'cifar10', out }, /--dataset: unknown data set 'cifar10' \(available: fashion-mnist\)/],
    [{ epochs: '1' }, /--out DIR is required/],
  ];
  for (const [flags, message] of cases) assert.match(await usageMessage(flags), message);
  const file = join(root, 'a-file');
  writeFileSync(file, 'x');
  assert.match(await usageMessage({ out: file }), /--out: .*a-file exists and is not a folder/);
  assert.equal(parseTrainFlags({ out: 'anywhere' }).epochs, 5);
});

test('a missing data set is a usage error', async () => {
  const saved = process.env.ADVX_FASHION_MNIST;
  process.env.ADVX_FASHION_MNIST = join(root, 'no-such-folder');
  try {
    assert.match(
      await usageMessage({ out: join(root, 'nodata') }),
      /^--dataset fashion-mnist: Fashion-MNIST not found at .*no-such-folder/,
    );
  } finally {
    if (saved === undefined) delete process.env.ADVX_FASHION_MNIST;
    else process.env.ADVX_FASHION_MNIST = saved;
  }
});

test('a smoke run trains, prints per-epoch test accuracy and saves a loadable model; --force is needed to replace it', async () => {
  const out = join(root, 'smoke');
  const before = tf.memory().numTensors;
  const lines: string[] = [];
  const report = await trainAction({ limit: '256', epochs: '1', batchSize: '64', seed: '3', out }, (s) =>
    lines.push(s),
  );
  assert.equal(tf.memory().numTensors, before, 'the trained model is disposed');
  assert.match(
    lines[0],
    /on 256 fashion-mnist images \(wasm\): 1 epochs, batch 64, learning rate 0\.001, seed 3\n$/,
  );
  assert.match(
    lines[1],
    /^epoch 1\/1: loss \d+\.\d+, train accuracy [\d.]+%, test accuracy [\d.]+% \([\d.]+ s\)\n$/,
  );
  assert.match(lines[2], /^saved .*smoke \(test accuracy [\d.]+% on 10000 images/);
  assert.equal(report.testImages, 10000);
  assert.equal(report.history.length, 1);

  const { net, json } = await loadNetwork(out);
  const advx = json.advx as Record<string, unknown>;
  assert.equal(advx.dataset, 'fashion-mnist');
  assert.deepEqual(advx.bounds, [0, 1]);
  assert.equal((advx.labels as string[])[0], 'T-shirt/top');
  assert.equal(advx.trainImages, 256);
  assert.equal(
    advx.trainingCommand,
    `advx train --dataset fashion-mnist --epochs 1 --batch-size 64 --learning-rate 0.001 --seed 3 --limit 256 --out ${out}`,
  );
  // The recorded accuracy is the saved model's.
  assert.equal(evaluateAccuracy(net as tf.LayersModel, loadFashionMnist('test')), advx.testAccuracy);
  net.dispose();

  assert.match(await usageMessage({ limit: '64', epochs: '1', out }), /already holds a model; pass --force/);
  const forced = await trainAction(
    { limit: '64', epochs: '1', seed: '4', out, force: true },
    () => undefined,
  );
  assert.equal(forced.trainImages, 64);
  assert.equal(JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')).advx.trainImages, 64);
});

test('registerTrainCommand adds `train` with its options; a bad value rejects with a usage error', async () => {
  const program = new Command('advx').exitOverride();
  registerTrainCommand(program);
  const train = program.commands.find((cmd) => cmd.name() === 'train');
  assert.ok(train);
  const flags = train.options.map((o) => o.long);
  for (const flag of [
    '--dataset',
    '--epochs',
    '--batch-size',
    '--learning-rate',
    '--seed',
    '--limit',
    '--out',
    '--force',
  ]) {
    assert.ok(flags.includes(flag), flag);
  }
  await assert.rejects(
    program.parseAsync(['train', '--epochs', 'ten', '--out', join(root, 'x')], { from: 'user' }),
    (error) => {
      assert.ok(error instanceof UsageError);
      assert.match(error.message, /--epochs/);
      return true;
    },
  );
});

test('the command table loads `train` with `gan` under it; train.ts alone registers no gan', async () => {
  const program = new Command('advx').exitOverride();
  for (const register of await COMMANDS.train()) register(program);
  const train = program.commands.find((cmd) => cmd.name() === 'train');
  assert.deepEqual(
    train?.commands.map((cmd) => cmd.name()),
    ['gan'],
  );
  const alone = new Command('advx').exitOverride();
  registerTrainCommand(alone);
  assert.deepEqual(alone.commands[0].commands, []);
});
