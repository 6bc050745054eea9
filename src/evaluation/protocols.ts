/**
 * The attack lists an evaluation runs, by protocol:
 * - `autoattack` / `autoattack-rand`: AutoAttack's standard (APGD-CE, APGD-T, FAB-T, Square) and
 *   randomized-defense (APGD-CE, APGD-DLR with EOT) suites, `autoAttackSuite` of ./autoattack.ts;
 * - `pgd`: one PGD run, 20 steps of eps/8 from a random start (Madry et al.'s step 2.5 eps / steps; the
 *   project's PGD-20 protocol of src/defenses/evaluation.ts, which uses 0.0125 at eps 0.1), in the
 *   evaluation's norm (LinfPGD or L2PGD);
 * - `custom`: attacks by registry name (src/attacks/registry.ts) or given as `{ name, attack }`.
 *
 * An attack may be a fixed instance or a factory of the batch seed: the runner creates one per batch
 * with `batchSeed(seed, attack position, batch number)`, so that a resumed evaluation draws the same
 * random numbers as an uninterrupted one.
 */
import type { Attack } from '../attacks/attack.js';
import { L2PGD, LinfPGD } from '../attacks/gradient-descent.js';
import { createAttack } from '../attacks/registry.js';
import { autoAttackSuite } from './autoattack.js';

export const PROTOCOL_NAMES = ['autoattack', 'autoattack-rand', 'pgd', 'custom'] as const;
export type ProtocolName = (typeof PROTOCOL_NAMES)[number];

/** The norms an evaluation measures eps in. */
export const EVALUATION_NORMS = ['linf', 'l2'] as const;
export type EvaluationNorm = (typeof EVALUATION_NORMS)[number];

/** One attack of a protocol: an instance, or a factory of the batch seed (see `batchSeed`). */
export interface NamedAttack {
  name: string;
  attack: Attack | ((seed: number) => Attack);
}

/** A protocol by name; `custom` takes its attacks (registry names or named attacks). */
export interface Protocol {
  name: ProtocolName;
  attacks?: readonly (string | NamedAttack)[];
}

export interface ProtocolContext {
  norm: EvaluationNorm;
  eps: number;
  numClasses: number;
}

/** murmur3's 32-bit finalizer: a bijection that spreads every input bit over the output. */
function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The seed of one batch of one attack: a hash of the evaluation seed, the attack's position and the batch. */
export function batchSeed(seed: number, attackIndex: number, batch: number): number {
  let h = mix(Math.floor(seed) ^ 0x9e3779b9);
  for (const v of [attackIndex, batch]) h = mix(h ^ mix((v + 0x632be5ab) >>> 0));
  return h % 2147483647;
}

/** The attack of one batch. */
export function attackOfBatch(named: NamedAttack, seed: number): Attack {
  return typeof named.attack === 'function' ? named.attack(seed) : named.attack;
}

export const PGD_PROTOCOL = { steps: 20, relStepsize: 1 / 8, randomStart: true } as const;

function pgdProtocol({ norm }: ProtocolContext): NamedAttack[] {
  const name = norm === 'linf' ? 'linf-pgd' : 'l2-pgd';
  const create = (seed: number) =>
    norm === 'linf' ? new LinfPGD({ ...PGD_PROTOCOL, seed }) : new L2PGD({ ...PGD_PROTOCOL, seed });
  return [{ name, attack: create }];
}

function customProtocol(protocol: Protocol, { norm }: ProtocolContext): NamedAttack[] {
  const attacks = protocol.attacks ?? [];
  if (attacks.length === 0) throw new Error("protocol 'custom': give its attacks (e.g. fgsm,linf-pgd)");
  const named = attacks.map((a): NamedAttack => {
    if (typeof a !== 'string') return a;
    const probe = createAttack(a);
    if (probe.norm !== norm)
      throw new Error(`attack '${a}' measures eps in ${probe.norm}, but the evaluation is in ${norm}`);
    return { name: probe.name, attack: (seed: number) => createAttack(a, { seed }) };
  });
  const names = named.map((a) => a.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) throw new Error(`attack '${twice}' is listed twice`);
  return named;
}

function autoAttackProtocol(version: 'standard' | 'rand', context: ProtocolContext): NamedAttack[] {
  const options = { norm: context.norm, eps: context.eps, numClasses: context.numClasses, version };
  const names = autoAttackSuite({ ...options, seed: 0 }).map((a) => a.name);
  return names.map((name, k): NamedAttack => ({
    name,
    attack: (seed: number) => autoAttackSuite({ ...options, seed })[k].attack,
  }));
}

export function isProtocolName(name: string): name is ProtocolName {
  return (PROTOCOL_NAMES as readonly string[]).includes(name);
}

/** The named attacks of a protocol, in the order they run. */
export function protocolAttacks(protocol: ProtocolName | Protocol, context: ProtocolContext): NamedAttack[] {
  const spec: Protocol = typeof protocol === 'string' ? { name: protocol } : protocol;
  if (!isProtocolName(spec.name))
    throw new Error(`unknown protocol '${spec.name}' (known: ${PROTOCOL_NAMES.join(', ')})`);
  if (spec.name !== 'custom' && spec.attacks !== undefined && spec.attacks.length > 0)
    throw new Error(`protocol '${spec.name}' has fixed attacks: list attacks with protocol 'custom' only`);
  switch (spec.name) {
    case 'pgd':
      return pgdProtocol(context);
    case 'custom':
      return customProtocol(spec, context);
    case 'autoattack':
      return autoAttackProtocol('standard', context);
    case 'autoattack-rand':
      return autoAttackProtocol('rand', context);
  }
}
