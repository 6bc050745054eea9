import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OutcomeWindow } from './outcome-window.js';

test('an outcome window holds the last outcomes, is full at capacity, and clears', () => {
  const window = new OutcomeWindow(4);
  [true, false, true].forEach((o) => window.push(o));
  assert.equal(window.full, false);
  window.push(true);
  assert.equal(window.full, true);
  assert.equal(window.mean, 0.75);
  window.push(false); // the oldest (true) leaves
  assert.equal(window.mean, 0.5);
  window.clear();
  assert.equal(window.full, false);
  assert.ok(Number.isNaN(window.mean));
  assert.throws(() => new OutcomeWindow(0), /outcome window: capacity must be an integer >= 1/);
});
