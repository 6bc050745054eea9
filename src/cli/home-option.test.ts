/**
 * `--home DIR` on a model command: zoo models are looked for there (before ADVX_HOME); a home without
 * the model is one line naming the path and the settings, exit 2; a zoo folder given by path is that
 * zoo model, and options describing a plain folder are noted as ignored.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { packageRoot, sharedModelsDir } from '../data/locations.js';

const MAIN = join(packageRoot, 'dist', 'cli', 'main.js');
const IMAGE = join(packageRoot, 'examples', 'fashion-mnist', '0-ankle-boot.png');
const work = mkdtempSync(join(tmpdir(), 'advx-home-option-'));
after(() => rmSync(work, { recursive: true, force: true }));

function advx(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [MAIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ADVX_PROGRESS: '0', ...env },
  });
}

test('--home without the model: exit 2, one line naming the path and how to set the home', () => {
  const run = advx(['predict', IMAGE, '--model', 'mnist-cnn', '--engine', 'tfjs', '--home', work]);
  assert.equal(run.status, 2);
  const lines = run.stderr.trim().split('\n');
  assert.equal(lines.length, 1);
  assert.ok(lines[0].includes(join(work, 'models', 'mnist-cnn')));
  assert.match(lines[0], /--home DIR, ADVX_HOME/);
});

test('--home wins over ADVX_HOME', () => {
  const home = join(work, 'home');
  mkdirSync(home);
  symlinkSync(sharedModelsDir(), join(home, 'models'));
  const args = ['predict', IMAGE, '--model', 'mnist-cnn', '--engine', 'tfjs', '--json'];
  const run = advx([...args, '--home', home], { ADVX_HOME: join(work, 'nowhere') });
  assert.equal(run.status, 0, run.stderr);
  assert.equal((JSON.parse(run.stdout) as { model: string }).model, 'mnist-cnn');
  assert.equal(advx(args, { ADVX_HOME: join(work, 'nowhere') }).status, 2);
});

test('a zoo folder by path is the zoo model; --preprocess is noted as ignored', () => {
  const folder = join(sharedModelsDir(), 'mnist-cnn');
  const run = advx(['predict', IMAGE, '--model', folder, '--engine', 'tfjs', '--preprocess', 'tf', '--json']);
  assert.equal(run.status, 0, run.stderr);
  assert.equal((JSON.parse(run.stdout) as { model: string }).model, 'mnist-cnn');
  assert.match(run.stderr, /--preprocess is ignored: .* is zoo model mnist-cnn with its own preprocessing/);
});

test('--home with --queue is refused before any connection: the workers have their own home', () => {
  const run = advx(['evaluate', '--queue', 'redis://127.0.0.1:1', '--home', work, '--eps', '0.1']);
  assert.equal(run.status, 2);
  assert.match(run.stderr.trim(), /^advx: --home: not with --queue; .*ADVX_HOME[^\n]*$/);
});
