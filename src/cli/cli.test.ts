/** End-to-end: the `advx` binary on real models and real photos, as a user runs it. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { PNG } from 'pngjs';
import { runAdvx } from './cli-testing.js';
import { packageRoot, sharedDataDir } from '../data/locations.js';

const TENT = join(sharedDataDir(), 'imagenet-sample-images', 'n03792972_mountain_tent.JPEG');
const EXAMPLE = join(packageRoot, 'examples', 'fashion-mnist', '0-ankle-boot.png');
const work = mkdtempSync(join(tmpdir(), 'advx-cli-'));
after(() => rmSync(work, { recursive: true, force: true }));

const advx = (...args: string[]) => runAdvx(args, work);

test('advx attack on a photo with MobileNet: FGSM 2/255 flips it, writes both PNGs and valid JSON', () => {
  const out = join(work, 'tent');
  const r = advx(
    'attack',
    TENT,
    '--model',
    'mobilenet-v1-0.75',
    '--attack',
    'fgsm',
    '--eps',
    '2/255',
    '--out',
    out,
    '--json',
  );
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.equal(report.model, 'mobilenet-v1-0.75');
  assert.equal(report.attack.name, 'fgsm');
  const image = report.images[0];
  assert.equal(image.label.name, 'mountain_tent');
  assert.equal(image.clean.top[0].name, 'mountain_tent');
  assert.equal(image.clean.top.length, 3);
  const run = image.runs[0];
  assert.ok(Math.abs(run.eps - 2 / 255) < 1e-12);
  assert.equal(run.success, true);
  assert.notEqual(run.top[0].name, 'mountain_tent');
  assert.ok(run.linf <= 2 / 255 + 1e-6 && run.linf > 1 / 255);
  for (const file of [run.adversarial, run.perturbation]) {
    const png = PNG.sync.read(readFileSync(resolve(work, file)));
    assert.equal(png.width, 224);
    assert.equal(png.height, 224);
  }
  assert.ok(run.magnification > 10);
});

test('advx predict and attack on the embedded default model, human output', () => {
  const p = advx('predict', EXAMPLE);
  assert.equal(p.code, 0, p.stderr);
  assert.match(p.stdout, /Ankle boot/);
  const a = advx(
    'attack',
    EXAMPLE,
    '--attack',
    'linf-pgd',
    '--eps',
    '0.02,0.1',
    '--steps',
    '10',
    '--out',
    join(work, 'boot'),
  );
  assert.equal(a.code, 0, a.stderr);
  assert.match(a.stdout, /clean/);
  assert.match(a.stdout, /adversarial, eps 0\.1000: SUCCESS/);
});

test("advx attack with a minimization attack and no --eps: each image's smallest adversarial, eps null", () => {
  const out = join(work, 'minimal');
  const r = advx('attack', EXAMPLE, '--attack', 'deepfool', '--out', out, '--json');
  assert.equal(r.code, 0, r.stderr);
  const run = JSON.parse(r.stdout).images[0].runs[0];
  assert.equal(run.eps, null);
  assert.equal(run.success, true);
  assert.ok(run.l2 > 0 && run.linf > 0 && run.linf <= run.l2, `l2 ${run.l2}, linf ${run.linf}`);
  assert.ok(existsSync(resolve(work, run.adversarial)) && existsSync(resolve(work, run.perturbation)));
  const text = advx('attack', EXAMPLE, '--attack', 'l2-cw', '--steps', '30', '--out', join(work, 'cw'));
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /smallest adversarial: SUCCESS \(linf 0\.\d{5}, l2 \d\.\d{4}\)/);
});

test('a second run into the same --out refuses to overwrite, --force allows it', () => {
  const out = join(work, 'again');
  assert.equal(advx('attack', EXAMPLE, '--attack', 'fgsm', '--eps', '0.1', '--out', out).code, 0);
  const second = advx('attack', EXAMPLE, '--attack', 'fgsm', '--eps', '0.1', '--out', out);
  assert.equal(second.code, 2);
  assert.match(second.stderr, /refusing to overwrite/);
  assert.equal(advx('attack', EXAMPLE, '--attack', 'fgsm', '--eps', '0.1', '--out', out, '--force').code, 0);
});

test('options a run cannot use are noted on stderr, never ignored silently; the run goes on', () => {
  const r = advx(
    'attack',
    EXAMPLE,
    '--attack',
    'fgsm',
    '--eps',
    '0.1',
    '--steps',
    '5',
    '--bounds',
    '0,255',
    '--out',
    join(work, 'noted'),
    '--json',
  );
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).attack.name, 'fgsm', 'stdout holds only the JSON');
  const notes = r.stderr.split('\n').filter((line) => line.startsWith('advx: note: '));
  assert.deepEqual(notes.sort(), [
    'advx: note: --bounds is ignored: fashion-mnist-cnn is a zoo model with its own bounds',
    'advx: note: --steps is ignored: fgsm does not take it',
  ]);
});
