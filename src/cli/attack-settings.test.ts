/** An option the chosen attack does not take is noted, never silently dropped. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ATTACK_FLAGS, createAttackRecordingReads, unusedFlags } from './attack-settings.js';

const unused = (name: string, settings: Parameters<typeof unusedFlags>[0]) => {
  const { read } = createAttackRecordingReads(name, settings);
  return unusedFlags(settings, read, ATTACK_FLAGS);
};

test('the settings an attack ignores are the ones its factory never reads', () => {
  assert.deepEqual(unused('fgsm', { steps: 5, absStepsize: 0.01, seed: 0 }), ['--steps', '--step-size']);
  assert.deepEqual(unused('linf-pgd', { steps: 5, absStepsize: 0.01, randomStart: true, seed: 0 }), []);
  assert.deepEqual(unused('linf-pgd', { repeats: 3, maxQueries: 100, seed: 0 }), [
    '--repeats',
    '--max-queries',
  ]);
  assert.deepEqual(unused('l2-gaussian-noise', { repeats: 3, steps: 2, seed: 0 }), ['--steps']);
  assert.deepEqual(unused('fgsm', { seed: 0 }), [], 'nothing given, nothing noted');
  const { attack } = createAttackRecordingReads('pgd', { steps: 7, seed: 0 });
  assert.equal(attack.describe().steps, 7, 'the proxy passes the values through');
});
