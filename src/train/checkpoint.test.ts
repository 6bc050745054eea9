import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { initEngine } from '../engine/backend.js';
import { tf } from '../engine/tf.js';
import { ADVX_FOLDER_MARKER, ForeignFolderError } from '../data/advx-folder.js';
import { saveLayersModel } from '../models/save-model.js';
import {
  checkpointEpoch,
  copyWeights,
  inspectCheckpointFolder,
  loadCheckpoint,
  removeCheckpoint,
  restoreOptimizer,
  saveCheckpoint,
} from './checkpoint.js';
import { encodeOptimizer } from './optimizer-state.js';

let work: string;
let x: tf.Tensor2D;
let y: tf.Tensor2D;

before(async () => {
  await initEngine();
  work = mkdtempSync(join(tmpdir(), 'advx-checkpoint-'));
  x = tf.tensor2d([0.1, -0.4, 0.3, 0.9, -0.7, 0.2, 0.5, 0.5, 0.0, 0.3, -0.1, 0.8], [3, 4]);
  y = tf.tensor2d([1, 0, 0, 0, 1, 0, 0, 0, 1], [3, 3]);
});

after(() => {
  tf.dispose([x, y]);
  rmSync(work, { recursive: true, force: true });
});

function tinyNet(seed: number): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.dense({
        inputShape: [4],
        units: 3,
        kernelInitializer: tf.initializers.glorotUniform({ seed }),
        name: 'dense',
      }),
    ],
  });
}

function step(net: tf.LayersModel, optimizer: tf.Optimizer): void {
  const vars = net.trainableWeights.map((w) => w.read() as tf.Variable);
  optimizer
    .minimize(() => tf.losses.meanSquaredError(y, net.apply(x) as tf.Tensor2D) as tf.Scalar, true, vars)
    ?.dispose();
}

function weights(net: tf.LayersModel): Float32Array[] {
  return net.getWeights().map((w) => w.dataSync() as Float32Array);
}

test('a checkpoint gives back the weights and the exact optimizer state: the resumed run takes the very same next steps', async () => {
  const start = tf.memory().numTensors;
  const net = tinyNet(1);
  const adam = tf.train.adam(0.05);
  for (let i = 0; i < 5; i++) step(net, adam);
  const dir = join(work, 'exact');
  await saveCheckpoint(
    dir,
    { net },
    { net: adam },
    { epoch: 1, options: { seed: 1 }, history: [{ loss: 0.5 }] },
  );
  assert.equal(checkpointEpoch(dir), 1);

  const checkpoint = await loadCheckpoint(dir);
  assert.deepEqual(checkpoint.state, { epoch: 1, options: { seed: 1 }, history: [{ loss: 0.5 }] });
  const resumed = tinyNet(2);
  const resumedAdam = tf.train.adam(0.05);
  copyWeights(checkpoint.nets.net, resumed);
  checkpoint.nets.net.dispose();
  assert.ok(checkpoint.optimizers.net.adamPowers !== undefined, "Adam's running powers are saved");
  await restoreOptimizer(resumedAdam, checkpoint.optimizers.net);
  for (let i = 0; i < 3; i++) {
    step(net, adam);
    step(resumed, resumedAdam);
  }
  assert.deepEqual(weights(resumed), weights(net), 'bit-identical after 3 more steps');
  adam.dispose();
  resumedAdam.dispose();
  net.dispose();
  resumed.dispose();
  assert.equal(tf.memory().numTensors, start, 'no tensor left behind');
});

test('each save replaces the previous checkpoint only once complete; debris of a killed save is ignored, then cleaned', async () => {
  const net = tinyNet(3);
  const adam = tf.train.adam(0.05);
  step(net, adam);
  const dir = join(work, 'debris');
  await saveCheckpoint(dir, { net }, { net: adam }, { epoch: 1, options: {}, history: [] });
  const first = readdirSync(dir).find((n) => n.startsWith('epoch-'));
  // A save killed while writing aside, and one killed after its rename but before the pointer switched.
  mkdirSync(join(dir, '.partial-epoch-0002-killed'));
  writeFileSync(join(dir, '.partial-epoch-0002-killed', 'state.json'), '{"epo');
  mkdirSync(join(dir, 'epoch-0002-killed'));
  writeFileSync(join(dir, 'epoch-0002-killed', 'state.json'), '{"epoch": 2, "options": {}, "history": []}');
  assert.equal(checkpointEpoch(dir), 1, 'the pointer still names epoch 1');
  const loaded = await loadCheckpoint(dir);
  assert.equal(loaded.state.epoch, 1);
  loaded.nets.net.dispose();
  loaded.optimizers.net.weights.forEach((w) => w.tensor.dispose());

  step(net, adam);
  await saveCheckpoint(dir, { net }, { net: adam }, { epoch: 2, options: {}, history: [] });
  const entries = readdirSync(dir).sort();
  assert.equal(entries.length, 3, entries.join(', '));
  assert.deepEqual(entries.slice(0, 2), [ADVX_FOLDER_MARKER, 'checkpoint.json']);
  assert.match(entries[2], /^epoch-0002-/);
  assert.notEqual(entries[2], first);
  assert.notEqual(entries[2], 'epoch-0002-killed');
  adam.dispose();
  net.dispose();
});

test('a checkpoint of the first layout (files beside checkpoint.json) is read, and converted by the next save', async () => {
  const net = tinyNet(4);
  const adam = tf.train.adam(0.05);
  step(net, adam);
  const dir = join(work, 'legacy');
  await saveLayersModel(net, join(dir, 'net'));
  const { bin, json } = await encodeOptimizer(adam);
  writeFileSync(join(dir, 'optimizer-net.bin'), bin);
  writeFileSync(join(dir, 'optimizer-net.json'), json);
  writeFileSync(
    join(dir, 'checkpoint.json'),
    JSON.stringify({ epoch: 3, options: { seed: 4 }, history: [], nets: ['net'], optimizers: ['net'] }),
  );
  assert.deepEqual(inspectCheckpointFolder(dir), { kind: 'advx', epoch: 3 });
  const loaded = await loadCheckpoint(dir);
  assert.deepEqual(weights(loaded.nets.net), weights(net));
  loaded.nets.net.dispose();
  loaded.optimizers.net.weights.forEach((w) => w.tensor.dispose());

  await saveCheckpoint(dir, { net }, { net: adam }, { epoch: 4, options: { seed: 4 }, history: [] });
  const entries = readdirSync(dir).sort();
  assert.deepEqual(entries.slice(0, 2), [ADVX_FOLDER_MARKER, 'checkpoint.json']);
  assert.equal(entries.length, 3, `the first layout's files are gone: ${entries.join(', ')}`);
  assert.equal(checkpointEpoch(dir), 4);
  adam.dispose();
  net.dispose();
});

test("a folder advx did not make is never written into or removed; removing advx's keeps what the user added", async () => {
  const net = tinyNet(5);
  const adam = tf.train.adam(0.05);
  step(net, adam);
  const users = join(work, 'users-checkpoint');
  mkdirSync(users);
  writeFileSync(join(users, 'checkpoint.json'), '{"my": "settings"}');
  assert.deepEqual(inspectCheckpointFolder(users), { kind: 'foreign', reason: 'not-advx' });
  await assert.rejects(
    saveCheckpoint(users, { net }, { net: adam }, { epoch: 1, options: {}, history: [] }),
    ForeignFolderError,
  );
  assert.equal(removeCheckpoint(users), false);
  assert.deepEqual(readdirSync(users), ['checkpoint.json']);
  assert.equal(readFileSync(join(users, 'checkpoint.json'), 'utf8'), '{"my": "settings"}');
  const file = join(work, 'a-file');
  writeFileSync(file, 'x');
  assert.deepEqual(inspectCheckpointFolder(file), { kind: 'foreign', reason: 'file' });

  const ours = join(work, 'ours');
  await saveCheckpoint(ours, { net }, { net: adam }, { epoch: 1, options: {}, history: [] });
  writeFileSync(join(ours, 'README.txt'), 'a note the user put there');
  assert.equal(removeCheckpoint(ours), true);
  assert.deepEqual(
    readdirSync(ours).sort(),
    [ADVX_FOLDER_MARKER, 'README.txt'],
    'the folder stays, still marked',
  );
  assert.equal(checkpointEpoch(ours), null);
  const gone = join(work, 'gone');
  await saveCheckpoint(gone, { net }, { net: adam }, { epoch: 1, options: {}, history: [] });
  removeCheckpoint(gone);
  assert.ok(!existsSync(gone), 'an emptied checkpoint folder is removed');
  adam.dispose();
  net.dispose();
});
