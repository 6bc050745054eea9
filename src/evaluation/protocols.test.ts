/** Protocols resolve to the attacks they promise, seeded per batch; bad protocol requests are refused. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FGSM } from '../attacks/gradient-descent.js';
import { attackOfBatch, batchSeed, protocolAttacks, type ProtocolContext } from './protocols.js';

const linf: ProtocolContext = { norm: 'linf', eps: 0.1, numClasses: 10 };
const l2: ProtocolContext = { norm: 'l2', eps: 1, numClasses: 10 };
const names = (list: { name: string }[]) => list.map((a) => a.name);

test('pgd: PGD-20, step eps/8, random start, in the evaluation norm, seeded per batch', () => {
  const [pgd] = protocolAttacks('pgd', linf);
  assert.equal(pgd.name, 'linf-pgd');
  const attack = attackOfBatch(pgd, 11);
  assert.equal(attack.norm, 'linf');
  assert.deepEqual(
    { ...attack.describe(), earlyStop: undefined },
    { steps: 20, relStepsize: 0.125, randomStart: true, seed: 11, earlyStop: undefined },
  );
  const [pgd2] = protocolAttacks('pgd', l2);
  assert.equal(pgd2.name, 'l2-pgd');
  assert.equal(attackOfBatch(pgd2, 1).norm, 'l2');
});

test('autoattack and autoattack-rand: the suites in AutoAttack order, each attack seeded by the batch', () => {
  const standard = protocolAttacks('autoattack', linf);
  assert.deepEqual(names(standard), ['apgd-ce', 'apgd-t', 'fab-t', 'square']);
  assert.equal(attackOfBatch(standard[0], 42).describe().seed, 42);
  assert.equal(attackOfBatch(standard[3], 43).describe().seed, 43);
  assert.equal(attackOfBatch(standard[3], 43).countsQueries, true, 'Square is a black-box attack');
  assert.deepEqual(names(protocolAttacks('autoattack-rand', l2)), ['apgd-ce', 'apgd-dlr']);
  assert.throws(() => protocolAttacks('autoattack', { ...linf, numClasses: 3 }), /needs at least 4 classes/);
});

test('custom: registry names (aliases too) or named attacks, in the evaluation norm, each once', () => {
  const attacks = protocolAttacks(
    { name: 'custom', attacks: ['fgsm', 'pgd', { name: 'mine', attack: new FGSM() }] },
    linf,
  );
  assert.deepEqual(names(attacks), ['fgsm', 'linf-pgd', 'mine']);
  assert.equal(attackOfBatch(attacks[1], 9).describe().seed, 9);
  assert.throws(
    () => protocolAttacks({ name: 'custom', attacks: ['fgm'] }, linf),
    /attack 'fgm' measures eps in l2, but the evaluation is in linf/,
  );
  assert.throws(
    () => protocolAttacks({ name: 'custom', attacks: ['pgd', 'linf-pgd'] }, linf),
    /'linf-pgd' is listed twice/,
  );
  assert.throws(
    () => protocolAttacks({ name: 'custom', attacks: [] }, linf),
    /protocol 'custom': give its attacks/,
  );
  assert.throws(
    () => protocolAttacks({ name: 'pgd', attacks: ['fgsm'] }, linf),
    /protocol 'pgd' has fixed attacks/,
  );
  assert.throws(() => protocolAttacks('fab' as never, linf), /unknown protocol 'fab' \(known: autoattack/);
});

test('batch seeds: stable, and distinct across attacks and batches', () => {
  assert.equal(batchSeed(0, 1, 2), batchSeed(0, 1, 2));
  const seeds = new Set<number>();
  for (const seed of [0, 1])
    for (let k = 0; k < 4; k++) for (let b = 0; b < 50; b++) seeds.add(batchSeed(seed, k, b));
  assert.equal(seeds.size, 400);
  for (const s of seeds) assert.ok(Number.isInteger(s) && s >= 0 && s < 2147483647);
});
