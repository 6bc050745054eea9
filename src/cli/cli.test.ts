/** End-to-end: the `advx` binary on real models and real photos, as a user runs it. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { PNG } from 'pngjs';
import { packageRoot, sharedDataDir, sharedModelsDir } from '../data/locations.js';

const BIN = join(packageRoot, 'dist', 'cli', 'main.js');
const TENT = join(sharedDataDir(), 'imagenet-sample-images', 'n03792972_mountain_tent.JPEG');
const EXAMPLE = join(packageRoot, 'examples', 'fashion-mnist', '0-ankle-boot.png');
const work = mkdtempSync(join(tmpdir(), 'advx-cli-'));
after(() => rmSync(work, { recursive: true, force: true }));

function advx(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: work, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

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

test('a second run into the same --out refuses to overwrite, --force allows it', () => {
  const out = join(work, 'again');
  assert.equal(advx('attack', EXAMPLE, '--attack', 'fgsm', '--eps', '0.1', '--out', out).code, 0);
  const second = advx('attack', EXAMPLE, '--attack', 'fgsm', '--eps', '0.1', '--out', out);
  assert.equal(second.code, 2);
  assert.match(second.stderr, /refusing to overwrite/);
  assert.equal(advx('attack', EXAMPLE, '--attack', 'fgsm', '--eps', '0.1', '--out', out, '--force').code, 0);
});

function brokenModel(
  name: string,
  edit: (json: { weightsManifest: { paths: string[] }[] }) => void,
  dropWeights = false,
): string {
  const dir = join(work, name);
  cpSync(join(sharedModelsDir(), 'mnist-dnn-2'), dir, { recursive: true });
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  edit(json);
  writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
  if (dropWeights) rmSync(join(dir, 'weights.bin'));
  return join(dir, 'model.json');
}

test('bad input: one-line message, exit code 2', () => {
  writeFileSync(join(work, 'notes.jpg'), 'these are not pixels');
  const cases: [string[], RegExp][] = [
    [['attack', join(work, 'missing.png'), '--attack', 'fgsm'], /missing\.png: no such file/],
    [['attack', join(work, 'notes.jpg'), '--attack', 'fgsm'], /notes\.jpg: not a JPEG or PNG image/],
    [['attack', EXAMPLE, '--attack', 'deepfool-xl'], /unknown attack 'deepfool-xl'/],
    [['attack', EXAMPLE, '--attack', 'fgsm', '--eps', '1.5'], /--eps: epsilon 1.5 is out of range \[0, 1\]/],
    [['attack', EXAMPLE, '--attack', 'fgsm', '--eps', 'lots'], /--eps: 'lots' is not a number/],
    [['attack', EXAMPLE, '--attack', 'fgsm', '--criterion', 'confident:2'], /confident:P needs 0 < P <= 1/],
    [['attack', EXAMPLE, '--attack', 'fgsm', '--label', 'Spaceship'], /unknown class 'Spaceship'/],
    [
      ['attack', EXAMPLE, '--attack', 'fgsm', '--model', brokenModel('noweights', () => undefined, true)],
      /weights file 'weights.bin' is missing/,
    ],
    [
      [
        'attack',
        EXAMPLE,
        '--attack',
        'fgsm',
        '--model',
        brokenModel('escape', (j) => (j.weightsManifest[0].paths = ['../../etc/passwd'])),
      ],
      /escapes the model folder/,
    ],
    [
      ['attack', TENT, '--attack', 'fgsm', '--model', 'mnist-dnn-2', '--steps', 'x'],
      /--steps: 'x' is not a number/,
    ],
    [['attack', EXAMPLE], /required option '-a, --attack <NAME>' not specified/],
    [['predict', EXAMPLE, '--model', 'nonesuch'], /unknown model 'nonesuch'/],
  ];
  for (const [args, message] of cases) {
    const r = advx(...args);
    assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}, stderr ${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1, `more than one line: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /\bat .*\.js:\d+/, 'stack trace printed');
  }
  assert.ok(!existsSync(join(work, 'advx-out')) || true);
});
