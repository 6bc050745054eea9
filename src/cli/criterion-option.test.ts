/** `--criterion`: checked against the model before any attack. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from './errors.js';
import { parseCriterion } from './criterion-option.js';

const CLASSES = Array.from({ length: 10 }, (_, i) => `class${i}`);
const refused = (pattern: RegExp) => (e: unknown) => e instanceof UsageError && pattern.test(e.message);

test('each criterion parses; what the model cannot have is a usage error naming --criterion', () => {
  assert.equal(parseCriterion('misclassification', [1], CLASSES).description, 'misclassification');
  assert.equal(
    parseCriterion('confident:0.9', [1], CLASSES).description,
    'confident misclassification (p >= 0.9)',
  );
  assert.deepEqual(parseCriterion('targeted:class3', [1, 2], CLASSES).goal(), {
    labels: [3, 3],
    targeted: true,
  });
  assert.equal(parseCriterion('topk:9', [1], CLASSES).description, 'top-9 misclassification');
  const cases: [string, RegExp][] = [
    ['topk:100', /^--criterion topk:K needs K < 10, the model's number of classes \(got 100\)$/],
    ['topk:10', /needs K < 10/],
    ['topk:0', /^--criterion topk:K: must be an integer >= 1 \(got 0\)$/],
    ['topk:', /^--criterion topk:K needs its value \(got 'topk:'\)$/],
    [
      'misclassification:xyz',
      /^--criterion misclassification takes no value \(got 'misclassification:xyz'\)$/,
    ],
    ['confident:2', /^--criterion confident:P needs 0 < P <= 1 \(got 2\)$/],
    ['confident', /^--criterion confident:P needs its value/],
    ['targeted:', /^--criterion targeted:CLASS needs its value/],
    ['fooled', /^--criterion: unknown criterion 'fooled'/],
  ];
  for (const [spec, pattern] of cases)
    assert.throws(() => parseCriterion(spec, [1], CLASSES), refused(pattern), spec);
});
