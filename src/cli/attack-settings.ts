/**
 * An attack built from command-line settings, with a note (notes.ts) for each setting the user gave that
 * the chosen attack does not take (`--steps` with fgsm). Which settings an attack takes is what its
 * registry factory reads: the settings go in behind a proxy that records the keys read.
 */
import { createAttack, type Attack, type AttackSettings } from '../attacks/index.js';
import { note } from './notes.js';

/** The command-line option of each setting a user may give. */
export type SettingFlags = Partial<Record<keyof AttackSettings, string>>;

/** The settings an attack's factory reads, and the attack. */
export function createAttackRecordingReads(
  name: string,
  settings: AttackSettings,
): { attack: Attack; read: ReadonlySet<string> } {
  const read = new Set<string>();
  const watched = new Proxy(settings, {
    get(target, key, receiver) {
      if (typeof key === 'string') read.add(key);
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
  return { attack: createAttack(name, watched), read };
}

/** The settings given (not undefined) among `flags` that the attack does not take, as their options. */
export function unusedFlags(
  settings: AttackSettings,
  read: ReadonlySet<string>,
  flags: SettingFlags,
): string[] {
  return (Object.entries(flags) as [keyof AttackSettings, string][])
    .filter(([key]) => settings[key] !== undefined && !read.has(key))
    .map(([, flag]) => flag);
}

/** `createAttack(name, settings)`, noting on stderr each of `flags` given that the attack ignores. */
export function createAttackFromFlags(name: string, settings: AttackSettings, flags: SettingFlags): Attack {
  const { attack, read } = createAttackRecordingReads(name, settings);
  for (const flag of unusedFlags(settings, read, flags))
    note(`${flag} is ignored: ${attack.name} does not take it`);
  return attack;
}

/** The options of `advx attack` (and the experiments that take them) behind each setting. */
export const ATTACK_FLAGS: SettingFlags = {
  steps: '--steps',
  absStepsize: '--step-size',
  randomStart: '--random-start',
  repeats: '--repeats',
  maxQueries: '--max-queries',
};
