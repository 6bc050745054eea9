/**
 * End-to-end on ONNX Runtime: `advx attack` on an .onnx model exported from PyTorch, ResNet-50 (the book's
 * model, fetched into the cache on first use) on both cores, and bad ONNX input as one line with exit 2.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { packageRoot, sharedDataDir } from '../data/locations.js';

const BIN = join(packageRoot, 'dist', 'cli', 'main.js');
const TORCH_ONNX = join(packageRoot, 'models', 'fashion-mnist-torch', 'model.onnx');
const BOOT = join(packageRoot, 'examples', 'fashion-mnist', '0-ankle-boot.png');
const TENT = join(sharedDataDir(), 'imagenet-sample-images', 'n03792972_mountain_tent.JPEG');
const work = mkdtempSync(join(tmpdir(), 'advx-onnx-cli-'));
after(() => rmSync(work, { recursive: true, force: true }));

function advx(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: work, encoding: 'utf8', timeout: 600_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('advx attack x.png --model my.onnx --bounds 0,1 --attack fgsm: a model exported from PyTorch', () => {
  const r = advx(
    'attack',
    BOOT,
    '--model',
    TORCH_ONNX,
    '--bounds',
    '0,1',
    '--attack',
    'fgsm',
    '--eps',
    '0.1',
    '--out',
    join(work, 'torch'),
    '--json',
  );
  assert.equal(r.code, 0, r.stderr);
  const image = JSON.parse(r.stdout).images[0];
  assert.equal(image.clean.top[0].name, 'Ankle boot', 'labels from the sidecar labels.txt');
  assert.equal(image.runs[0].success, true);
  assert.ok(Math.abs(image.runs[0].linf - 0.1) < 1e-6);
});

test('the book model: advx attack tent.jpg --model resnet50 --attack linf-pgd --eps 2/255 --steps 10 on ONNX Runtime', () => {
  const r = advx(
    'attack',
    TENT,
    '--model',
    'resnet50',
    '--attack',
    'linf-pgd',
    '--eps',
    '2/255',
    '--steps',
    '10',
    '--out',
    join(work, 'resnet'),
    '--json',
  );
  assert.equal(r.code, 0, r.stderr);
  const image = JSON.parse(r.stdout).images[0];
  assert.equal(image.clean.top[0].name, 'mountain_tent');
  assert.equal(image.runs[0].success, true);
  assert.notEqual(image.runs[0].top[0].name, 'mountain_tent');
  const fgsm = advx('attack', TENT, '--model', 'resnet50', '--attack', 'fgsm', '--eps', '2/255', '--json');
  assert.equal(fgsm.code, 0, fgsm.stderr);
  const flipped = JSON.parse(fgsm.stdout).images[0].runs[0];
  console.log(`resnet50 FGSM 2/255 on the tent: ${flipped.top[0].name} ${flipped.top[0].p.toFixed(4)}`);
  assert.equal(flipped.success, true, 'FGSM at 2/255 flips the tent');
});

test('bad ONNX input: a corrupt file, a bad --layout, --engine tfjs for an .onnx: one line, exit 2', () => {
  const corrupt = join(work, 'corrupt.onnx');
  writeFileSync(corrupt, 'not onnx');
  const cases: [string[], RegExp][] = [
    [['predict', BOOT, '--model', corrupt], /corrupt\.onnx: not a valid ONNX file/],
    [['predict', BOOT, '--model', TORCH_ONNX, '--layout', 'CHWN'], /--layout: one of NCHW, NHWC/],
    [['predict', BOOT, '--model', TORCH_ONNX, '--engine', 'tfjs'], /runs on ONNX Runtime only/],
    [['predict', BOOT, '--model', 'fashion-mnist-cnn', '--threads', '0'], /--threads/],
  ];
  for (const [args, message] of cases) {
    const r = advx(...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  }
});
