/**
 * `advx evaluate`: bad input is one line and exit code 2; --json prints one document (several eps: one
 * evaluation each). Killed and resumed runs: evaluate-resume.test.ts.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { packageRoot } from '../../data/locations.js';
import type { EvaluationResult } from '../../evaluation/evaluation-result.js';
import { RESULT_FILE } from '../../evaluation/evaluation-state.js';
import { runAdvx } from '../cli-testing.js';
import { UsageError } from '../errors.js';
import { evaluateAction, EVALUATE_DEFAULTS, type EvaluateFlags } from './evaluate.js';

const work = mkdtempSync(join(tmpdir(), 'advx-evaluate-cli-'));
after(() => rmSync(work, { recursive: true, force: true }));

const env = { ...process.env, ADVX_PROGRESS: '0' };
const advx = (...args: string[]) => runAdvx(args, packageRoot, env);

const BASE = ['evaluate', '--model', 'fashion-mnist-cnn-robust', '--dataset', 'fashion-mnist'];
const flags = (extra: Partial<EvaluateFlags>): EvaluateFlags => ({
  ...EVALUATE_DEFAULTS,
  model: 'fashion-mnist-cnn-robust',
  dataset: 'fashion-mnist',
  eps: '0.1',
  ...extra,
});
const quiet = () => undefined;

test('bad input: one line naming the option, exit code 2', async () => {
  const cases: [Partial<EvaluateFlags>, RegExp][] = [
    [
      { protocol: 'deepfool' },
      /^--protocol: unknown protocol 'deepfool' \(known: autoattack, autoattack-rand, pgd, custom\)$/,
    ],
    [
      { dataset: 'svhn' },
      /^--dataset: unknown data set 'svhn' \(known: fashion-mnist, mnist, cifar10, imagenet-samples\)$/,
    ],
    [{ dataset: undefined }, /^--dataset: give the data set/],
    [{ norm: 'l1' }, /^--norm: unknown norm 'l1' \(known: linf, l2\)$/],
    [{ eps: 'big' }, /^--eps: 'big' is not a number/],
    [{ eps: '2' }, /^--eps: 2 is out of range \[0, 1\] for the linf norm and bounds \[0,1\]$/],
    [{ eps: '29', norm: 'l2' }, /^--eps: 29 is out of range \[0, 28\] for the l2 norm/],
    [{ eps: '-0.1' }, /^--eps: -0\.1 is out of range/],
    [
      { attacks: 'fgsm' },
      /^--attacks: only with --protocol custom \(the autoattack protocol fixes its attacks\)$/,
    ],
    [{ protocol: 'custom' }, /^--protocol custom: give --attacks/],
    [{ protocol: 'custom', attacks: 'fgsm,warp' }, /^--attacks: unknown attack 'warp'/],
    [{ protocol: 'custom', attacks: 'fgm' }, /^--attacks: fgm measures eps in l2, but --norm is linf$/],
    [{ resume: true }, /^--resume: give --out/],
    [{ resume: true, force: true, out: join(work, 'x') }, /^--resume and --force exclude each other$/],
    [{ images: '1.5' }, /^--images: must be an integer >= 1/],
    [
      { dataset: 'cifar10', protocol: 'pgd' },
      /^model fashion-mnist-cnn-robust takes \[28,28,1\] inputs, but cifar10 images are \[32,32,3\]$/,
    ],
    [
      { images: '20', offset: '9990', protocol: 'pgd' },
      /^fashion-mnist: images 9990\.\.10009 asked for, but its test set has 10000$/,
    ],
    [
      { protocol: 'pgd', out: join(work, 'never'), resume: true },
      /^--resume: no state\.json in .*never to continue from$/,
    ],
  ];
  for (const [extra, message] of cases) {
    await assert.rejects(
      evaluateAction(flags(extra), quiet, quiet),
      (e) => e instanceof UsageError && message.test(e.message),
      `${JSON.stringify(extra)} should fail with ${message}`,
    );
  }
  const r = advx(...BASE, '--eps', '0.1', '--protocol', 'pgd', '--norm', 'l3');
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, "advx: --norm: unknown norm 'l3' (known: linf, l2)\n");
});

test('several eps: one evaluation each, in its own folder, printed as { evaluations, warnings }', async () => {
  const out = join(work, 'curve');
  const printed: string[] = [];
  await evaluateAction(
    flags({ images: '16', protocol: 'custom', attacks: 'fgsm', eps: '0,0.05,0.2', out, json: true }),
    (text) => printed.push(text),
    quiet,
  );
  assert.equal(printed.length, 1, 'one JSON document');
  const document = JSON.parse(printed[0]) as { evaluations: EvaluationResult[]; warnings: string[] };
  assert.deepEqual(
    document.evaluations.map((e) => e.eps),
    [0, 0.05, 0.2],
  );
  const [zero, small, large] = document.evaluations;
  assert.equal(zero.robustAccuracy, zero.cleanAccuracy, 'nothing moves at eps 0');
  assert.ok(large.robustAccuracy < small.robustAccuracy && small.robustAccuracy <= zero.robustAccuracy);
  assert.ok(Array.isArray(document.warnings));
  for (const eps of ['0', '0.05', '0.2'])
    assert.ok(existsSync(join(out, `eps-${eps}`, RESULT_FILE)), `eps-${eps}/${RESULT_FILE}`);
});
