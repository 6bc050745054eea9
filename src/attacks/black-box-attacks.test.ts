/** The black-box attacks' registry entries: names, settings passed through, aliases that resolve. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BLACKBOX_ALIASES, BLACKBOX_ATTACKS } from './black-box-attacks.js';
import { FixedEpsilonAttack, MinimizationAttack } from './attack.js';

test('every entry makes its attack, counting queries, with the settings given', () => {
  const kinds: Record<string, 'fixed' | 'minimization'> = {
    nes: 'fixed',
    spsa: 'fixed',
    simba: 'minimization',
    'simba-pixel': 'minimization',
    boundary: 'minimization',
    'hop-skip-jump': 'minimization',
    'linf-hop-skip-jump': 'minimization',
  };
  assert.deepEqual(Object.keys(BLACKBOX_ATTACKS).sort(), Object.keys(kinds).sort());
  for (const [name, entry] of Object.entries(BLACKBOX_ATTACKS)) {
    const attack = entry.create({ steps: 7, seed: 5, maxQueries: 321 });
    assert.equal(attack.name, name.replace('simba-pixel', 'simba'));
    assert.equal(attack.countsQueries, true, `${name} counts queries`);
    assert.ok(
      kinds[name] === 'fixed' ? attack instanceof FixedEpsilonAttack : attack instanceof MinimizationAttack,
      `${name} is a ${kinds[name]} attack`,
    );
    const described = attack.describe();
    assert.equal(described.maxQueries, 321, `${name}: maxQueries`);
    assert.equal(described.seed, 5, `${name}: seed`);
    assert.equal(described.steps ?? described.maxIterations, 7, `${name}: steps`);
    assert.ok(entry.description.length > 10);
  }
  assert.equal(BLACKBOX_ATTACKS['simba-pixel'].create({}).describe().basis, 'pixel');
  assert.equal(BLACKBOX_ATTACKS['linf-hop-skip-jump'].create({}).norm, 'linf');
  for (const [alias, name] of Object.entries(BLACKBOX_ALIASES)) assert.ok(name in BLACKBOX_ATTACKS, alias);
});
