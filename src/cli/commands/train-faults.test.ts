/**
 * Fault tests of `advx train` and `advx train gan`: the real CLI killed with SIGKILL inside a checkpoint
 * save (the ADVX_KILL_AT fault points, one per step of the save) and at random moments, then resumed
 * with --resume. No epoch the run reported is ever lost, and the final weights are bit-identical to
 * those of a run that was never interrupted. The runs train on a few real Fashion-MNIST images (a small
 * copy of the data set, ADVX_FASHION_MNIST) so that each process takes seconds.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { writeIdxSubset } from '../../data/idx-subset.js';
import { fashionMnistDir, packageRoot } from '../../data/locations.js';
import { Rng } from '../../engine/random.js';
import { checkpointEpoch } from '../../train/checkpoint.js';

const BIN = join(packageRoot, 'dist', 'cli', 'main.js');
let root: string;
let env: NodeJS.ProcessEnv;

before(() => {
  root = mkdtempSync(join(tmpdir(), 'advx-train-faults-'));
  const data = join(root, 'fashion-mnist');
  writeIdxSubset(fashionMnistDir(), data, { train: 64, t10k: 100 });
  env = { ...process.env, ADVX_FASHION_MNIST: data, ADVX_KILL_AT: '' };
});

after(() => rmSync(root, { recursive: true, force: true }));

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function advx(args: string[], killAt = ''): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    env: { ...env, ADVX_KILL_AT: killAt },
    encoding: 'utf8',
    timeout: 300_000,
  });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Runs advx and kills it with SIGKILL after `ms` milliseconds (unless it ended before). */
function advxKilledAfter(args: string[], ms: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** The highest "epoch K/N" a run reported on stdout (0: none). */
function lastReportedEpoch(stdout: string): number {
  const epochs = [...stdout.matchAll(/^epoch (\d+)\/\d+:/gm)].map((m) => Number(m[1]));
  return epochs.length === 0 ? 0 : Math.max(...epochs);
}

function weightsOf(dir: string): Buffer {
  return readFileSync(join(dir, 'weights.bin'));
}

const TRAIN = ['train', '--epochs', '4', '--batch-size', '32', '--adversarial', 'fgsm', '--robust-eval', '0'];

test('advx train killed at every step of a checkpoint save resumes to bit-identical weights, losing no reported epoch', () => {
  const straightDir = join(root, 'straight');
  const straight = advx([...TRAIN, '--out', straightDir]);
  assert.equal(straight.code, 0, straight.stderr);
  assert.equal(lastReportedEpoch(straight.stdout), 4);

  const out = join(root, 'killed');
  const checkpoint = join(out, 'checkpoint');
  // [extra args, kill point, checkpoint epoch expected after the kill]
  const chain: [string[], string, number | null][] = [
    [[], 'checkpoint-written:1', null], // the first save, complete aside: no checkpoint yet
    [[], 'checkpoint-switched:2', 2], // epoch 2 is the checkpoint, epoch 1's folder not yet removed
    [['--resume'], 'checkpoint-renamed:1', 2], // epoch 3 renamed into place, pointer not yet switched
    [['--resume'], 'checkpoint-written:1', 2], // epoch 3 written aside
    [['--resume'], 'checkpoint-network:1', 2], // epoch 3: the network written, not the optimizer
    [['--resume'], 'checkpoint-switched:2', 4], // epochs 3 and 4 saved, killed before the model is saved
  ];
  let reported = 0;
  for (const [extra, killAt, expected] of chain) {
    const r = advx([...TRAIN, '--out', out, ...extra], killAt);
    assert.equal(r.signal, 'SIGKILL', `${killAt}: the run was killed (${r.stderr})`);
    reported = Math.max(reported, lastReportedEpoch(r.stdout));
    const epoch = checkpointEpoch(checkpoint);
    assert.equal(epoch, expected, `${killAt}: the checkpoint after the kill`);
    assert.ok(
      (epoch ?? 0) >= reported,
      `${killAt}: epoch ${reported} was reported but the checkpoint has ${epoch}`,
    );
  }
  // The last run saves the model, then is killed while it removes the checkpoint it no longer needs.
  const last = advx([...TRAIN, '--out', out, '--resume'], 'checkpoint-unlinked:1');
  assert.equal(last.signal, 'SIGKILL', last.stderr);
  assert.match(last.stdout, /resuming after epoch 4 from /);
  assert.ok(
    weightsOf(out).equals(weightsOf(straightDir)),
    'the final weights are bit-identical to the straight run',
  );
  assert.equal(checkpointEpoch(checkpoint), null, 'no broken checkpoint is left to resume from');
  const again = advx([...TRAIN, '--out', out]);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /^advx: --out: .*killed already holds a model; pass --force to replace it\n$/);
  assert.deepEqual(readdirSync(out).sort(), ['checkpoint', 'model.json', 'weights.bin']);
});

test('advx train killed at random moments (bounded) and resumed each time ends with the uninterrupted weights', async () => {
  const seed = Number(process.env.ADVX_FAULT_SEED ?? Date.now() % 1_000_000);
  const rng = new Rng(seed);
  const args = ['train', '--epochs', '5', '--batch-size', '32', '--seed', '7'];
  const straightDir = join(root, 'random-straight');
  const started = Date.now();
  const straight = advx([...args, '--out', straightDir]);
  assert.equal(straight.code, 0, straight.stderr);
  const duration = Date.now() - started;

  const out = join(root, 'random-killed');
  const checkpoint = join(out, 'checkpoint');
  const kills: number[] = [];
  let reported = 0;
  for (let attempt = 0; attempt < 4; attempt++) {
    const ms = Math.round(rng.next() * duration);
    const resume = checkpointEpoch(checkpoint) !== null ? ['--resume'] : [];
    const r = await advxKilledAfter([...args, '--out', out, ...resume], ms);
    const what = `seed ${seed}, kill after ${ms} ms (earlier kills: ${kills.join(', ')} ms)`;
    kills.push(ms);
    reported = Math.max(reported, lastReportedEpoch(r.stdout));
    if (r.signal === null) {
      assert.equal(r.code, 0, `${what}: ${r.stderr}`);
      break;
    }
    const epoch = checkpointEpoch(checkpoint) ?? 0;
    assert.ok(epoch >= reported, `${what}: epoch ${reported} was reported, the checkpoint has ${epoch}`);
  }
  if (checkpointEpoch(checkpoint) !== null || !existsSync(join(out, 'model.json'))) {
    const resume = checkpointEpoch(checkpoint) !== null ? ['--resume'] : [];
    const last = advx([...args, '--out', out, ...resume]);
    assert.equal(last.code, 0, `seed ${seed}, kills ${kills.join(', ')} ms: ${last.stderr}`);
  }
  assert.ok(
    weightsOf(out).equals(weightsOf(straightDir)),
    `seed ${seed}, kills after ${kills.join(', ')} ms: the final weights differ from the uninterrupted run`,
  );
});

test('advx train gan killed while its checkpoint is switched resumes to the uninterrupted generator', () => {
  const args = ['train', 'gan', '--epochs', '2', '--batch-size', '32', '--latent-dim', '8', '--seed', '3'];
  const straightDir = join(root, 'gan-straight');
  const straight = advx([...args, '--out', straightDir]);
  assert.equal(straight.code, 0, straight.stderr);

  const out = join(root, 'gan-killed');
  const killed = advx([...args, '--out', out], 'checkpoint-renamed:2');
  assert.equal(killed.signal, 'SIGKILL', killed.stderr);
  assert.equal(lastReportedEpoch(killed.stdout), 1);
  assert.equal(checkpointEpoch(join(out, 'checkpoint')), 1);
  const refused = advx([...args, '--out', out]);
  assert.equal(refused.code, 2, 'a new run does not silently discard the interrupted one');
  assert.match(
    refused.stderr,
    /^advx: --out: .*checkpoint holds the checkpoint of an interrupted or earlier run \(1 epoch done\); pass --resume/,
  );
  const resumed = advx([...args, '--out', out, '--resume']);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.ok(weightsOf(out).equals(weightsOf(straightDir)), 'the generator is bit-identical');
});
