/**
 * End-to-end: the `advx` binary given bad input, as a user gives it: one line naming the problem, exit
 * code 2, and the user's files untouched.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, test } from 'node:test';
import { runAdvx } from './cli-testing.js';
import { packageRoot, sharedDataDir, sharedModelsDir } from '../data/locations.js';

const TENT = join(sharedDataDir(), 'imagenet-sample-images', 'n03792972_mountain_tent.JPEG');
const EXAMPLE = join(packageRoot, 'examples', 'fashion-mnist', '0-ankle-boot.png');
const work = mkdtempSync(join(tmpdir(), 'advx-cli-'));
after(() => rmSync(work, { recursive: true, force: true }));

const advx = (...args: string[]) => runAdvx(args, work);

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

/** Every file under `dir` with the SHA-256 of its bytes. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    out[relative(dir, path)] = createHash('sha256').update(readFileSync(path)).digest('hex');
  }
  return out;
}

test('bad input (issue 11): every count, range and seed bounded, criteria checked; exit 2, one line, nothing touched', () => {
  const user = join(work, 'user');
  const out = join(user, 'out');
  mkdirSync(out, { recursive: true });
  const image = join(user, 'boot.png');
  cpSync(EXAMPLE, image);
  writeFileSync(join(out, 'notes.txt'), 'results I keep');
  const attack = (...more: string[]) => ['attack', image, '--attack', 'fgsm', '--out', out, ...more];
  const sweep = (...more: string[]) => ['experiment', 'noise-sweep', '--out', out, ...more];
  const cases: [string[], RegExp][] = [
    [
      attack('--eps-search', '1e-9:1:1e-9'),
      /^advx: --eps-search: 1e-9:1:1e-9 makes 1000000000 values; at most 10000/,
    ],
    [attack('--bisect', '100', '--eps-search'), /^advx: --bisect: must be at most 52 \(got 100\)/],
    [attack('--seed', '-1'), /^advx: --seed: must be an integer in \[0, 4294967295\] \(got -1\)/],
    [attack('--seed', '1.5'), /--seed: must be an integer in \[0, 4294967295\] \(got 1\.5\)/],
    [attack('--seed', '4294967296'), /--seed: must be an integer in \[0, 4294967295\] \(got 4294967296\)/],
    [
      attack('--criterion', 'topk:100'),
      /--criterion topk:K needs K < 10, the model's number of classes \(got 100\)/,
    ],
    [attack('--criterion', 'misclassification:xyz'), /--criterion misclassification takes no value/],
    [attack('--max-queries', '1e9'), /--max-queries: must be at most 100000000/],
    [
      ['attack', image, '--attack', 'linf-pgd', '--steps', '1e9', '--out', out],
      /--steps: must be at most 1000000/,
    ],
    [
      ['attack', image, '--attack', 'l2-pgd', '--eps', '100', '--out', out],
      /--eps: epsilon 100 is out of range \[0, 28\] for l2/,
    ],
    [sweep('--mu', '0:255:1e-9'), /^advx: --mu: 0:255:1e-9 makes 255000000001 values/],
    [
      sweep('--mu', '100', '--sigma', '10', '--samples', '1e9'),
      /^advx: --samples: must be at most 1000000 \(got 1e9\)/,
    ],
    [
      sweep('--mu', '0:255:1', '--sigma', '0:400:1', '--pairs', 'grid'),
      /^advx: --pairs grid: 256 --mu x 401 --sigma values make 102656 points; at most 100000/,
    ],
    [sweep('--mu', '-50'), /^advx: --mu: values must be in \[0, 255\], pixel units \(got -50\)/],
    [
      ['experiment', 'noise-pgd', '--mu', '100', '--sigma', '10', '--samples', '2000', '--out', out],
      /--samples: 1 \(mu, sigma\) points x 2000 samples = 2000 noise images; at most 1024/,
    ],
    [
      ['experiment', 'robustness', '--seed', '5000000', '--out', out],
      /^advx: --seed: must be an integer in \[0, 4294966\] \(got 5000000\)/,
    ],
    [
      ['train', '--batch-size', '100000', '--out', join(out, 'model')],
      /^advx: --batch-size: must be at most 1024 \(got 100000\)/,
    ],
  ];
  const before = snapshot(user);
  let handled = 0;
  for (const [args, message] of cases) {
    const r = advx(...args);
    assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}, stderr ${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1, `more than one line: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /\bat .*\.js:\d+/, 'stack trace printed');
    assert.deepEqual(snapshot(user), before, `${args.join(' ')} changed the user's files`);
    handled++;
  }
  assert.equal(handled, cases.length);
});
