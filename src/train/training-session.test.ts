import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { initEngine } from '../engine/backend.js';
import { tf } from '../engine/tf.js';
import { isAdvxError } from '../errors.js';
import { TrainingSession, type TrainingRun } from './training-session.js';

let root: string;

before(async () => {
  await initEngine();
  root = mkdtempSync(join(tmpdir(), 'advx-session-'));
});

after(() => rmSync(root, { recursive: true, force: true }));

function tinyNet(seed: number): tf.LayersModel {
  const input = tf.input({ shape: [2, 2, 1] });
  const flat = tf.layers.flatten().apply(input) as tf.SymbolicTensor;
  const dense = tf.layers.dense({
    units: 3,
    kernelInitializer: tf.initializers.glorotNormal({ seed }),
  });
  return tf.model({ inputs: input, outputs: dense.apply(flat) as tf.SymbolicTensor });
}

const run = (seed: number, epochs = 3): TrainingRun => ({
  epochs,
  batchSize: 4,
  learningRate: 0.01,
  seed,
  command: `advx train --seed ${seed}`,
  identity: { batchSize: 4, seed },
});

const weightsOf = (net: tf.LayersModel) => net.getWeights().map((w) => Array.from(w.dataSync()));

test('a session checkpoints, resumes the same run only, and saves the model with the run in its metadata', async () => {
  const out = join(root, 'run');
  const start = tf.memory().numTensors;
  const trained = tinyNet(1);
  const adam = tf.train.adam(0.01);
  await TrainingSession.run({ out, resume: false, force: false, run: run(1) }, async (session) => {
    assert.deepEqual(await session.resume({ nets: {}, optimizers: {} }), { epoch: 0, history: [] });
    await session.saveCheckpoint({ model: trained }, { model: adam }, 2, [{ epoch: 1 }, { epoch: 2 }]);
  });

  // Another run's options: refused as bad input, naming the option; nothing is loaded.
  const other = tinyNet(2);
  await assert.rejects(
    TrainingSession.run({ out, resume: true, force: false, run: run(2) }, (session) =>
      session.resume({ nets: { model: other }, optimizers: {} }),
    ),
    (e) => isAdvxError(e) && /--resume: the checkpoint was made with seed 1, not 2/.test(e.message),
  );

  const resumed = tinyNet(3);
  const adam2 = tf.train.adam(0.01);
  const saved = await TrainingSession.run(
    { out, resume: true, force: false, run: run(1) },
    async (session) => {
      const point = await session.resume({ nets: { model: resumed }, optimizers: { model: adam2 } });
      assert.deepEqual(point, { epoch: 2, history: [{ epoch: 1 }, { epoch: 2 }] });
      assert.deepEqual(weightsOf(resumed), weightsOf(trained));
      const info = await session.saveModel(resumed, {
        head: { architecture: 'tiny' },
        seconds: 1.6,
        backend: 'wasm',
        tail: { history: point.history },
      });
      session.finish(false);
      return info;
    },
  );
  const advx = JSON.parse(readFileSync(join(saved.dir, 'model.json'), 'utf8')).advx;
  const keys = Object.keys(advx);
  assert.deepEqual(
    keys.slice(keys.indexOf('architecture')),
    [
      'architecture',
      'epochs',
      'batchSize',
      'learningRate',
      'seed',
      'trainingSeconds',
      'backend',
      'trainingCommand',
      'history',
    ],
    'what the model is, then the run, then the rest',
  );
  assert.equal(advx.trainingSeconds, 2);
  assert.equal(advx.trainingCommand, 'advx train --seed 1');
  assert.ok(!existsSync(join(out, 'checkpoint')), 'finish removes the checkpoint');

  // A folder that holds a model is refused (bad input) before any work, without --force.
  await assert.rejects(
    TrainingSession.open({ out, resume: false, force: false, run: run(1) }),
    (e) => isAdvxError(e) && /already holds a model; pass --force/.test(e.message),
  );
  [trained, other, resumed].forEach((n) => n.dispose());
  adam.dispose();
  adam2.dispose();
  assert.equal(tf.memory().numTensors, start, 'no tensor left behind');
});
