/**
 * autoAttackSuite: AutoAttack's versions as fra31/auto-attack's set_version configures them (names,
 * order, fixed hyper-parameters, norm, seed), target classes capped by the model's classes, and one clear
 * line for bad options.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { autoAttackSuite } from './autoattack.js';

const describe = (norm: 'linf' | 'l2', version: 'standard' | 'rand', numClasses = 10) =>
  autoAttackSuite({ norm, eps: 0.1, version, numClasses, seed: 7 }).map(({ name, attack }) => ({
    name,
    attackName: attack.name,
    norm: attack.norm,
    countsQueries: attack.countsQueries,
    options: attack.describe(),
  }));

test('standard: APGD-CE, APGD-T (9 targets), FAB-T (9 targets), Square (5000 queries), in that order', () => {
  for (const norm of ['linf', 'l2'] as const) {
    const suite = describe(norm, 'standard');
    assert.deepEqual(
      suite.map((a) => a.name),
      ['apgd-ce', 'apgd-t', 'fab-t', 'square'],
    );
    const prefix = norm === 'l2' ? 'l2-' : '';
    assert.deepEqual(
      suite.map((a) => a.attackName),
      ['apgd-ce', 'apgd-t', 'fab-t', 'square'].map((n) => prefix + n),
    );
    suite.forEach((a) => assert.equal(a.norm, norm));
    const [ce, t, fab, square] = suite.map((a) => a.options);
    assert.deepEqual(ce, { norm, steps: 100, restarts: 1, rho: 0.75, eotIterations: 1, seed: 7, loss: 'ce' });
    assert.deepEqual(t, {
      norm,
      steps: 100,
      restarts: 1,
      rho: 0.75,
      eotIterations: 1,
      seed: 7,
      targetClasses: 9,
    });
    assert.deepEqual(fab, {
      norm,
      steps: 100,
      restarts: 1,
      alphaMax: 0.1,
      eta: 1.05,
      beta: 0.9,
      seed: 7,
      targetClasses: 9,
    });
    assert.deepEqual(square, { norm, maxQueries: 5000, pInit: 0.8, rescaleSchedule: false, seed: 7 });
    assert.deepEqual(
      suite.map((a) => a.countsQueries),
      [false, false, false, true],
    );
  }
});

test('rand: APGD-CE and APGD-DLR with 20 gradients per step (EOT)', () => {
  const suite = describe('linf', 'rand');
  assert.deepEqual(
    suite.map((a) => a.name),
    ['apgd-ce', 'apgd-dlr'],
  );
  suite.forEach((a) => {
    assert.equal(a.options.eotIterations, 20);
    assert.equal(a.options.restarts, 1);
  });
});

test('target classes are capped by the classes a model has', () => {
  const suite = describe('linf', 'standard', 5);
  assert.equal(suite[1].options.targetClasses, 4);
  assert.equal(suite[2].options.targetClasses, 4);
});

test('bad options get one clear line', () => {
  const ok = { norm: 'linf' as const, eps: 0.1, numClasses: 10 };
  assert.throws(
    () => autoAttackSuite({ ...ok, eps: 0 }),
    /autoattack: eps must be a finite number > 0 \(got 0\)/,
  );
  assert.throws(
    () => autoAttackSuite({ ...ok, norm: 'l1' as 'linf' }),
    /autoattack: norm must be one of linf, l2 \(got l1\)/,
  );
  assert.throws(
    () => autoAttackSuite({ ...ok, version: 'plus' as 'standard' }),
    /autoattack: version must be one of standard, rand \(got plus\)/,
  );
  assert.throws(
    () => autoAttackSuite({ ...ok, numClasses: 3 }),
    /autoattack: version 'standard' needs at least 4 classes \(APGD-T's targeted DLR loss\), the model has 3/,
  );
  assert.throws(
    () => autoAttackSuite({ ...ok, numClasses: 2, version: 'rand' }),
    /autoattack: version 'rand' needs at least 3 classes \(APGD-DLR\), the model has 2/,
  );
  assert.throws(() => autoAttackSuite({ ...ok, numClasses: 1.5 }), /numClasses must be an integer >= 2/);
});
