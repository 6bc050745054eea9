import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { initEngine } from '../engine/backend.js';
import { tf } from '../engine/tf.js';
import { checkpointEpoch, saveCheckpoint } from './checkpoint.js';
import { openTrainingFolder, TrainingFolderError } from './training-folder.js';

let work: string;

before(async () => {
  await initEngine();
  work = mkdtempSync(join(tmpdir(), 'advx-training-folder-'));
});

after(() => rmSync(work, { recursive: true, force: true }));

/** A hash of every file under `dir` (names and bytes): what the user had. */
function treeHash(dir: string): string {
  const hash = createHash('sha256');
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      hash.update(p);
      if (statSync(p).isDirectory()) walk(p);
      else hash.update(readFileSync(p));
    }
  };
  walk(dir);
  return hash.digest('hex');
}

async function interruptedRun(out: string, epoch: number): Promise<void> {
  const net = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 2 })] });
  const adam = tf.train.adam();
  await saveCheckpoint(
    join(out, 'checkpoint'),
    { model: net },
    { model: adam },
    { epoch, options: {}, history: [] },
  );
  adam.dispose();
  net.dispose();
}

function refused(pattern: RegExp): (e: Error) => boolean {
  return (e) => e instanceof TrainingFolderError && pattern.test(e.message) && !e.message.includes('\n');
}

test('a checkpoint/ folder the user made is never used nor deleted, not even with --force', () => {
  const out = join(work, 'users');
  mkdirSync(join(out, 'checkpoint'), { recursive: true });
  writeFileSync(join(out, 'checkpoint', 'my-weights.h5'), 'precious');
  const hash = treeHash(out);
  for (const flags of [{}, { force: true }, { resume: true }]) {
    assert.throws(
      () => openTrainingFolder({ out, resume: false, force: false, ...flags }),
      refused(
        /^--out: .*users\/checkpoint exists and was not made by advx; .*move it away or choose another --out$/,
      ),
      JSON.stringify(flags),
    );
  }
  assert.equal(treeHash(out), hash, 'the user files are untouched');
  writeFileSync(join(work, 'cp-file'), 'x');
  mkdirSync(join(work, 'file-checkpoint'));
  writeFileSync(join(work, 'file-checkpoint', 'checkpoint'), 'a file');
  assert.throws(
    () => openTrainingFolder({ out: join(work, 'file-checkpoint'), resume: false, force: true }),
    refused(/checkpoint is a file;/),
  );
});

test('an interrupted run: refused without --resume or --force, resumed with --resume, discarded with --force', async () => {
  const out = join(work, 'interrupted');
  await interruptedRun(out, 3);
  const hash = treeHash(out);
  assert.throws(
    () => openTrainingFolder({ out, resume: false, force: false }),
    refused(
      /^--out: .*interrupted\/checkpoint holds the checkpoint of an interrupted or earlier run \(3 epochs done\); pass --resume to continue it, or --force to discard it and start over$/,
    ),
  );
  assert.equal(treeHash(out), hash);

  const resumed = openTrainingFolder({ out, resume: true, force: false });
  assert.equal(resumed.resumeEpoch, 3);
  resumed.release();
  assert.equal(checkpointEpoch(join(out, 'checkpoint')), 3, 'resuming keeps the checkpoint');

  const forced = openTrainingFolder({ out, resume: false, force: true });
  assert.equal(forced.resumeEpoch, 0);
  assert.ok(!existsSync(join(out, 'checkpoint')), '--force discards it');
  forced.release();
  assert.deepEqual(readdirSync(out), [], 'and the lock is released');
});

test('--resume without a checkpoint, a model already there, and outputs of an earlier run are refused', () => {
  assert.throws(
    () => openTrainingFolder({ out: join(work, 'none'), resume: true, force: false }),
    refused(/^--resume: no checkpoint in .*none\/checkpoint to resume from$/),
  );
  assert.ok(!existsSync(join(work, 'none')), 'a refused run leaves no folder behind');
  const out = join(work, 'model');
  mkdirSync(out);
  writeFileSync(join(out, 'model.json'), '{}');
  assert.throws(
    () => openTrainingFolder({ out, resume: false, force: false }),
    refused(/^--out: .*model already holds a model; pass --force to replace it$/),
  );
  const gan = join(work, 'gan');
  mkdirSync(join(gan, 'samples'), { recursive: true });
  const options = {
    out: gan,
    resume: false,
    force: false,
    files: ['samples.png'],
    folders: { samples: 'gan-samples' },
  };
  assert.throws(() => openTrainingFolder(options), refused(/gan\/samples exists and was not made by advx/));
  rmSync(join(gan, 'samples'), { recursive: true });
  const first = openTrainingFolder(options);
  assert.equal(first.subfolder('samples'), join(gan, 'samples'));
  first.finish(false);
  assert.throws(
    () => openTrainingFolder(options),
    refused(/gan\/samples holds the outputs of an earlier run; pass --force/),
  );
  openTrainingFolder({ ...options, force: true }).release();
});

test('finish removes the checkpoint unless it is kept, and keeps what the user put in that folder', async () => {
  const out = join(work, 'finish');
  const folder = openTrainingFolder({ out, resume: false, force: false });
  await interruptedRun(out, 1);
  writeFileSync(join(out, 'checkpoint', 'note.txt'), 'mine');
  folder.finish(false);
  assert.deepEqual(readdirSync(join(out, 'checkpoint')).sort(), ['.advx-folder', 'note.txt']);
  assert.ok(!existsSync(join(out, '.advx-lock')), 'the lock is released');
});
