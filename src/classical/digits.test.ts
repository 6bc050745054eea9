/** The scikit-learn 8x8 digits reader on the real CSV shipped by python3-sklearn. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadDigits, parseDigitsCsv } from './digits.js';

test('loadDigits: 1797 images of 8x8x1 in [0,1], ten classes, the known first image', () => {
  const digits = loadDigits();
  assert.equal(digits.count, 1797);
  assert.deepEqual(digits.shape, [8, 8, 1]);
  assert.equal(digits.images.length, 1797 * 64);
  assert.deepEqual(digits.classNames, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  assert.ok(digits.images.every((v) => v >= 0 && v <= 1 && Number.isInteger(v * 16)));
  const perClass = new Array<number>(10).fill(0);
  digits.labels.forEach((y) => perClass[y]++);
  assert.ok(
    perClass.every((n) => n >= 170 && n <= 190),
    `class sizes ${perClass}`,
  );
  // scikit-learn's digits.images[0] starts 0, 0, 5, 13, 9, 1, 0, 0 and is a zero.
  assert.deepEqual(
    Array.from(digits.images.subarray(0, 8), (v) => v * 16),
    [0, 0, 5, 13, 9, 1, 0, 0],
  );
  assert.equal(digits.labels[0], 0);
  assert.equal(loadDigits(10).count, 10);
});

test('loadDigits: clear errors for a missing or malformed file', () => {
  assert.throws(
    () => loadDigits(undefined, '/nonexistent/digits.csv.gz'),
    /digits data set not found at \/nonexistent\/digits.csv.gz/,
  );
  assert.throws(
    () => parseDigitsCsv('1,2,3\n', 'bad.csv'),
    /bad.csv: line 1 has 3 values, expected 64 pixels and a label/,
  );
  const dir = mkdtempSync(join(tmpdir(), 'advx-digits-'));
  const file = join(dir, 'digits.csv');
  writeFileSync(file, Array.from({ length: 64 }, () => '17').join(',') + ',3\n');
  try {
    assert.throws(() => loadDigits(undefined, file), /line 1, value 1 is '17', expected an integer 0..16/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
