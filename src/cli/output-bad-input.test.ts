/**
 * Bad output places, folders advx did not make, interrupted runs and two runs at once, against the real
 * `advx` binary: each is exit code 2 with one line naming the path and the problem, before any work,
 * and nothing the user had is changed (every file under the test folder is hashed before and after).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
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
import { writeIdxSubset } from '../data/idx-subset.js';
import { fashionMnistDir, packageRoot } from '../data/locations.js';
import { initEngine } from '../engine/backend.js';
import { tf } from '../engine/tf.js';
import { fashionMnistCnn } from '../train/architectures.js';
import { saveCheckpoint } from '../train/checkpoint.js';

const BIN = join(packageRoot, 'dist', 'cli', 'main.js');
const EXAMPLE = join(packageRoot, 'examples', 'fashion-mnist', '0-ankle-boot.png');
let work: string;
let env: NodeJS.ProcessEnv;

before(async () => {
  await initEngine();
  work = mkdtempSync(join(tmpdir(), 'advx-out-bad-input-'));
  writeIdxSubset(fashionMnistDir(), join(work, 'fashion-mnist'), { train: 64, t10k: 100 });
  env = { ...process.env, ADVX_FASHION_MNIST: join(work, 'fashion-mnist'), ADVX_PROGRESS_SECONDS: '1' };
});

after(() => {
  if (existsSync(join(work, 'read-only'))) chmodSync(join(work, 'read-only'), 0o755);
  rmSync(work, { recursive: true, force: true });
});

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function advx(...args: string[]): Result {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: work,
    env,
    encoding: 'utf8',
    timeout: 300_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Every file under `dir` (paths and bytes), hashed: what the user had. */
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

/**
 * Runs advx and checks: exit 2, one stderr line (besides `advx: note:` lines about defaults) matching
 * `message`, nothing on stdout, no file changed.
 */
function refuses(args: string[], message: RegExp): void {
  const before = treeHash(work);
  const r = advx(...args);
  const what = args.join(' ');
  assert.equal(r.code, 2, `${what}: exit code (${r.stderr})`);
  const lines = r.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('advx: note: '));
  assert.equal(lines.length, 1, `${what}: one line (${r.stderr})`);
  assert.match(lines[0], message, what);
  assert.equal(r.stdout, '', `${what}: refused before any work`);
  assert.equal(treeHash(work), before, `${what}: the user's files are unchanged`);
}

/** A folder nothing can be created in: /proc for root (permissions do not stop root), else a read-only folder. */
function unwritable(): string {
  if (process.getuid?.() === 0) return '/proc';
  const dir = join(work, 'read-only');
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o555);
  return dir;
}

test('a bad --out (a file, a path under a file, a place that cannot be written) is exit 2 with one line, before any work', () => {
  const file = join(work, 'notes.txt');
  writeFileSync(file, 'the user notes');
  const locked = unwritable();
  const attack = ['attack', EXAMPLE, '--attack', 'fgsm', '--eps', '0.1'];
  refuses([...attack, '--out', file], /^advx: --out: .*notes\.txt exists and is not a folder$/);
  refuses(
    [...attack, '--out', join(file, 'pngs')],
    /^advx: --out: cannot create .*notes\.txt\/pngs: .*notes\.txt is a file, not a folder$/,
  );
  refuses([...attack, '--out', join(locked, 'pngs')], /^advx: --out: cannot create .*pngs \(\w[\w ]+\)$/);
  refuses(
    ['train', '--epochs', '1', '--out', file],
    /^advx: --out: .*notes\.txt exists and is not a folder$/,
  );
  refuses(
    ['train', '--epochs', '1', '--out', join(locked, 'model')],
    /^advx: --out: cannot create .*model \(\w[\w ]+\)$/,
  );
  refuses(
    ['train', 'gan', '--epochs', '1', '--out', join(file, 'gan')],
    /^advx: --out: cannot create .*notes\.txt\/gan: /,
  );
  refuses(
    ['report', EXAMPLE, '--out', join(file, 'report.html')],
    /^advx: --out: cannot create .*report\.html: .*notes\.txt is a file, not a folder$/,
  );
  refuses(
    ['report', EXAMPLE, '--out', join(locked, 'report.html')],
    /^advx: --out: cannot write in .* \(\w[\w ]+\)$/,
  );
  refuses(
    ['experiment', 'noise-sweep', '--model', 'fashion-mnist-cnn', '--out', join(locked, 'sweep')],
    /^advx: --out: cannot create .*sweep \(\w[\w ]+\)$/,
  );
});

test('advx train never uses nor deletes a checkpoint/ or samples/ folder the user made, not even with --force', () => {
  const out = join(work, 'users-run');
  mkdirSync(join(out, 'checkpoint'), { recursive: true });
  writeFileSync(join(out, 'checkpoint', 'weights-i-made.h5'), 'precious');
  for (const extra of [[], ['--force'], ['--resume']]) {
    refuses(
      ['train', '--epochs', '1', '--out', out, ...extra],
      /^advx: --out: .*users-run\/checkpoint exists and was not made by advx; advx keeps its checkpoints there and will not overwrite or delete it: move it away or choose another --out$/,
    );
  }
  const gan = join(work, 'users-gan');
  mkdirSync(join(gan, 'samples'), { recursive: true });
  writeFileSync(join(gan, 'samples', 'epoch-000.png'), 'my own picture');
  refuses(
    ['train', 'gan', '--epochs', '1', '--out', gan, '--force'],
    /^advx: --out: .*users-gan\/samples exists and was not made by advx/,
  );
});

test('advx train without --resume refuses an interrupted run; --resume of a damaged checkpoint names the file', async () => {
  const out = join(work, 'interrupted');
  const model = fashionMnistCnn(1);
  const adam = tf.train.adam();
  await saveCheckpoint(
    join(out, 'checkpoint'),
    { model },
    { model: adam },
    { epoch: 2, options: {}, history: [] },
  );
  adam.dispose();
  model.dispose();
  refuses(
    ['train', '--epochs', '3', '--out', out],
    /^advx: --out: .*interrupted\/checkpoint holds the checkpoint of an interrupted or earlier run \(2 epochs done\); pass --resume to continue it, or --force to discard it and start over$/,
  );
  const pointer = JSON.parse(readFileSync(join(out, 'checkpoint', 'checkpoint.json'), 'utf8')) as {
    current: string;
  };
  writeFileSync(join(out, 'checkpoint', pointer.current, 'state.json'), '{"epoch": 2, "opt');
  const before = treeHash(work);
  const r = advx('train', '--epochs', '3', '--out', out, '--resume');
  assert.equal(r.code, 2, r.stderr);
  assert.match(
    r.stderr,
    /^advx: .*interrupted\/checkpoint\/epoch-0002-\w+\/state\.json is not valid JSON \([^\n]*\)\n$/,
  );
  assert.equal(treeHash(work), before, 'the damaged checkpoint is left for the user to look at');
});

test('two runs on one --out: the second is refused while the first runs (which shows progress off a terminal); a killed run leaves a lock that is taken over', async () => {
  const out = join(work, 'shared-out');
  const first = spawn(
    process.execPath,
    [BIN, 'attack', EXAMPLE, '--attack', 'linf-pgd', '--steps', '1000000', '--eps', '0.1', '--out', out],
    { cwd: work, env },
  );
  let stderr = '';
  try {
    // Its stderr is a pipe: long work reports a plain line every ADVX_PROGRESS_SECONDS (1 s here).
    await new Promise<void>((resolve, reject) => {
      first.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (/advx: linf-pgd \d+% \(\d+\/1000000\), eps 1\/1, \d+s elapsed, about .* left\n/.test(stderr))
          resolve();
      });
      first.on('close', (code) => reject(new Error(`the first run ended (${code}): ${stderr}`)));
    });
    const busy = new RegExp(
      `^advx: --out .*shared-out is in use by another advx run \\(pid ${first.pid}, since `,
    );
    refuses(['attack', EXAMPLE, '--attack', 'fgsm', '--eps', '0.1', '--out', out], busy);
    refuses(['train', '--epochs', '1', '--out', out], busy);
  } finally {
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('close', resolve));
  }
  assert.ok(existsSync(join(out, '.advx-lock')), 'the killed run left its lock');
  const third = advx('attack', EXAMPLE, '--attack', 'fgsm', '--eps', '0.1', '--out', out, '--json');
  assert.equal(third.code, 0, third.stderr);
  const report = JSON.parse(third.stdout) as {
    images: { runs: { adversarial: string; perturbation: string }[] }[];
  };
  const written = report.images.flatMap((i) => i.runs.flatMap((r) => [r.adversarial, r.perturbation]));
  assert.deepEqual(
    readdirSync(out).sort(),
    written.map((p) => p.slice(out.length + 1)).sort(),
    'its PNGs, and no lock',
  );
});
