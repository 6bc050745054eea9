/**
 * `advx experiment transfer` as a user runs it (the built binary) on the 8x8 digits: bad options exit 2
 * with a one-line message naming the option, outputs are written (CSV, JSON, PNG, --json on stdout) and
 * are not overwritten without --force.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { PNG } from 'pngjs';
import { packageRoot } from '../../data/locations.js';
import { exitCodeOf, UsageError } from '../errors.js';
import { parseTransferFlags, type TransferFlags } from './experiment-transfer.js';

const BIN = join(packageRoot, 'dist', 'cli', 'main.js');
const work = mkdtempSync(join(tmpdir(), 'advx-transfer-cli-'));
after(() => rmSync(work, { recursive: true, force: true }));

function advx(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, 'experiment', 'transfer', ...args], {
    cwd: work,
    encoding: 'utf8',
    timeout: 300_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('bad options are usage errors (exit code 2) naming the option', () => {
  const cases: [TransferFlags, RegExp][] = [
    [
      { dataset: 'cifar10' },
      /--dataset: unknown data set 'cifar10' \(available: fashion-mnist, mnist, digits\)/,
    ],
    [{ models: 'dnn,cnn' }, /--models: unknown model 'cnn' \(available: dnn, lr, svm, tree, knn, ens\)/],
    [{ models: 'lr,svm,lr' }, /--models: 'lr' given twice/],
    [{ models: ' , ' }, /--models: give at least one/],
    [{ attack: 'cw' }, /--attack: fgsm or pgd \(got 'cw'\)/],
    [{ eps: '1.5' }, /--eps: epsilon 1.5 is out of range \[0, 1\]/],
    [{ eps: '0' }, /--eps: give one epsilon in \(0, 1\]/],
    [{ eps: '0.1,0.3' }, /--eps: give one epsilon/],
    [{ eps: 'big' }, /--eps: 'big' is not a number/],
    [{ samples: '0' }, /--samples: must be an integer >= 1/],
    [{ samples: '2.5' }, /--samples/],
    [{ seed: '-3' }, /--seed/],
    [{ trainSize: '10' }, /--train-size: must be an integer >= 20/],
    [{ steps: '10' }, /--steps: only for --attack pgd/],
    [{ attack: 'pgd', steps: '0' }, /--steps: must be an integer >= 1/],
    [{ substituteSeeds: '5' }, /--substitute-seeds: must be an integer >= 10/],
    [{ substituteRounds: '11' }, /--substitute-rounds: at most 10/],
  ];
  for (const [flags, message] of cases) {
    assert.throws(
      () => parseTransferFlags(flags),
      (error: unknown) => {
        assert.ok(error instanceof UsageError, `${JSON.stringify(flags)}: ${String(error)}`);
        assert.equal(exitCodeOf(error), 2);
        assert.match(error.message, message);
        return true;
      },
    );
  }
  const ok = parseTransferFlags({ attack: 'PGD', eps: '8/255', models: 'lr, tree', steps: '20' });
  assert.deepEqual(ok.options.models, ['lr', 'tree']);
  assert.equal(ok.options.attack, 'pgd');
  assert.ok(Math.abs(ok.options.eps - 8 / 255) < 1e-12);
  assert.equal(ok.dataset, 'fashion-mnist');
  assert.equal(ok.samples, undefined, 'default: 500, or the whole test split when smaller');
});

test('the binary: bad input exits 2 with one clear line; options checked against the data set', () => {
  for (const [args, message] of [
    [['--dataset', 'svhn'], /^advx: --dataset: unknown data set 'svhn'/],
    [
      ['--dataset', 'digits', '--samples', '400'],
      /^advx: --samples: 400 asked, the digits test split has 360 images/,
    ],
    [
      ['--dataset', 'digits', '--train-size', '2000'],
      /^advx: --train-size: 2000 exceeds the 1437 training images of digits/,
    ],
  ] as [string[], RegExp][]) {
    const r = advx(...args, '--out', join(work, 'never'));
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.equal(r.stdout, '');
  }
  assert.equal(existsSync(join(work, 'never')), false, 'nothing written');
  const file = join(work, 'a-file');
  writeFileSync(file, 'x');
  const r = advx('--dataset', 'digits', '--out', file);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--out: .*a-file exists and is not a folder/);
});

test('the binary on digits: CSV (one row per source), JSON, heatmap; refuses to overwrite without --force', () => {
  const out = join(work, 'run');
  const args = [
    '--dataset',
    'digits',
    '--models',
    'lr,tree,knn',
    '--samples',
    '60',
    '--substitute-seeds',
    '50',
    '--substitute-rounds',
    '2',
    '--seed',
    '2',
    '--out',
    out,
  ];
  const r = advx(...args, '--json');
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.deepEqual(report.models, ['lr', 'tree', 'knn']);
  assert.equal(report.samples, 60);
  assert.equal(report.attack.name, 'fgsm');
  assert.equal(report.attack.eps, 0.3);
  assert.equal(report.sources[2].substitute.queries, 100);
  assert.deepEqual(report.files, {
    csv: join(out, 'transfer-digits.csv'),
    json: join(out, 'transfer-digits.json'),
    png: join(out, 'transfer-digits.png'),
  });
  const csv = readFileSync(report.files.csv, 'utf8').trimEnd().split('\n');
  assert.equal(csv[0], 'source,lr,tree,knn,clean_accuracy,attacked,successful,method');
  assert.deepEqual(
    csv.slice(1).map((l) => l.split(',')[0]),
    ['lr', 'tree', 'knn'],
  );
  assert.deepEqual(JSON.parse(readFileSync(report.files.json, 'utf8')).matrix, report.matrix);
  const png = PNG.sync.read(readFileSync(report.files.png));
  assert.ok(png.width > 300 && png.height > 200);

  const mtime = statSync(report.files.csv).mtimeMs;
  const again = advx(...args);
  assert.equal(again.code, 2);
  assert.match(
    again.stderr,
    /transfer-digits\.csv exists; refusing to overwrite it \(use --force or another --out\)/,
  );
  assert.equal(statSync(report.files.csv).mtimeMs, mtime);

  const forced = advx(...args, '--force');
  assert.equal(forced.code, 0, forced.stderr);
  assert.match(forced.stdout, /transfer: FGSM eps 0\.3 on digits/);
  assert.match(forced.stdout, /clean accuracy/);
  assert.match(forced.stdout, /knn: black-box: fgsm on an MLP substitute \(2 rounds, 100 queries\)/);
  // Same seed, same matrix.
  assert.deepEqual(JSON.parse(readFileSync(report.files.json, 'utf8')).matrix, report.matrix);
});
