import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { initEngine } from '../engine/backend.js';
import { tf } from '../engine/tf.js';
import { saveCheckpoint } from './checkpoint.js';
import { resumeTraining, ResumeMismatchError } from './resume.js';

let dir: string;

function net(seed: number): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.dense({
        inputShape: [2],
        units: 2,
        kernelInitializer: tf.initializers.glorotUniform({ seed }),
      }),
    ],
  });
}

before(async () => {
  await initEngine();
  dir = join(mkdtempSync(join(tmpdir(), 'advx-resume-unit-')), 'checkpoint');
  const saved = net(1);
  const adam = tf.train.adam(0.1);
  await saveCheckpoint(
    dir,
    { model: saved },
    { model: adam },
    { epoch: 2, options: { seed: 1, limit: null }, history: [{ epoch: 1 }, { epoch: 2 }] },
  );
  adam.dispose();
  saved.dispose();
});

after(() => rmSync(join(dir, '..'), { recursive: true, force: true }));

test('resumeTraining refuses another run (naming the option) or fewer epochs, and frees what it loaded', async () => {
  const model = net(2);
  const adam = tf.train.adam(0.1);
  const start = tf.memory().numTensors;
  const target = { nets: { model }, optimizers: { model: adam } };
  await assert.rejects(
    resumeTraining(dir, { seed: 3, limit: null }, target, 5),
    (e: Error) =>
      e instanceof ResumeMismatchError &&
      e.message === '--resume: the checkpoint was made with seed 1, not 3',
  );
  await assert.rejects(resumeTraining(dir, { seed: 1, limit: null }, target, 1), {
    message: '--epochs: the checkpoint has 2 epochs already; ask for at least that many',
  });
  await assert.rejects(resumeTraining(dir, { seed: 1 }, { nets: { other: model }, optimizers: {} }, 5), {
    message: /no network 'other'/,
  });
  assert.equal(tf.memory().numTensors, start, 'nothing loaded is left behind');

  const state = await resumeTraining(dir, { seed: 1, limit: null }, target, 2);
  assert.equal(state.epoch, 2);
  assert.deepEqual(state.history, [{ epoch: 1 }, { epoch: 2 }]);
  adam.dispose();
  model.dispose();
});
