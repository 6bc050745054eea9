/** Option parsers: every number, count, list and range is checked, with its upper bound, before any work. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LIMITS } from '../limits.js';
import { UsageError } from './errors.js';
import { parseEpsilons, parseInteger, parseNumberList, parseRange, parseSeed } from './options.js';

const usage =
  (pattern: RegExp, code = 'bad-option') =>
  (e: unknown) =>
    e instanceof UsageError && e.code === code && pattern.test(e.message) && !e.message.includes('\n');

test('parseRange counts the values before making any: 1e-9:1:1e-9 is refused at once', () => {
  const started = Date.now();
  assert.throws(
    () => parseRange('1e-9:1:1e-9', '--eps-search'),
    usage(
      /^--eps-search: 1e-9:1:1e-9 makes 1000000000 values; at most 10000 \(use a larger step\)$/,
      'too-large',
    ),
  );
  assert.throws(
    () => parseRange('0:255:1e-9', '--mu'),
    usage(/^--mu: 0:255:1e-9 makes 255000000001 values/, 'too-large'),
  );
  assert.ok(Date.now() - started < 1000, 'the refusal must not build the range');
  assert.deepEqual(parseRange('50:200:50', '--mu'), [50, 100, 150, 200]);
  assert.equal(parseRange('1/255:32/255:1/255', '--eps-search').length, 32);
  assert.equal(parseRange(`0:${LIMITS.listLength - 1}:1`, '--mu').length, LIMITS.listLength);
  assert.throws(() => parseRange('0:9:1', '--mu', 5), usage(/makes 10 values; at most 5/, 'too-large'));
  assert.throws(() => parseRange('5:1:1', '--mu'), usage(/need step > 0 and stop >= start/));
});

test('parseNumberList and parseEpsilons: at most LIMITS.listLength values, each in range for the norm', () => {
  const many = new Array(LIMITS.listLength + 1).fill('0.1').join(',');
  assert.throws(
    () => parseNumberList(many, '--eps'),
    usage(/^--eps: 10001 values; give at most 10000$/, 'too-large'),
  );
  assert.throws(
    () => parseEpsilons('1.5', [0, 1]),
    usage(/^--eps: epsilon 1\.5 is out of range \[0, 1\] for linf/),
  );
  assert.throws(() => parseEpsilons('-1/255', [0, 1]), usage(/epsilon -0\.0039\d* is out of range/));
  assert.deepEqual(parseEpsilons('3', [0, 1], '--eps', 'l2', 224 * 224 * 3), [3]);
  assert.throws(() => parseEpsilons('1e9', [0, 1], '--eps', 'l2', 4), usage(/out of range \[0, 2\] for l2/));
});

test('parseInteger: an integer in [min, max]; each option has a bound (--batch-size 100000 is refused)', () => {
  assert.throws(
    () => parseInteger('1e9', '--samples', 1),
    usage(/^--samples: must be at most 1000000 \(got 1e9\)$/, 'too-large'),
  );
  assert.throws(
    () => parseInteger('100000', '--batch-size', 1),
    usage(/^--batch-size: must be at most 1024/, 'too-large'),
  );
  assert.throws(
    () => parseInteger('0', '--samples', 1),
    usage(/^--samples: must be an integer >= 1 \(got 0\)$/),
  );
  assert.throws(() => parseInteger('2.5', '--steps', 1), usage(/must be an integer >= 1/));
  assert.throws(
    () => parseInteger('70000', '--port', 0),
    usage(/^--port: must be at most 65535/, 'too-large'),
  );
  assert.throws(() => parseInteger('60', '--bisect', 0), usage(/^--bisect: must be at most 52/, 'too-large'));
  assert.equal(parseInteger('1e8', '--max-queries', 1), 1e8);
  assert.equal(parseInteger('7', '--steps', 1, 7), 7);
});

test('--seed: integers in [0, 2^32) only (2^32 would alias seed 0), through random.ts', () => {
  for (const text of ['-1', '1.5', '4294967296', '1e10']) {
    assert.throws(() => parseSeed(text), usage(/^--seed: must be an integer in \[0, 4294967295\]/), text);
    assert.throws(
      () => parseInteger(text, '--seed'),
      usage(/^--seed: must be an integer in \[0, 4294967295\]/),
      text,
    );
  }
  assert.equal(parseSeed('4294967295'), 4294967295);
  assert.equal(parseInteger('0', '--seed', 0), 0);
  assert.throws(
    () => parseSeed('5000000', '--seed', 4294966),
    usage(/^--seed: must be an integer in \[0, 4294966\] \(got 5000000\)$/),
  );
});
