/**
 * Seeded, time-bounded fuzzing for tests: random mutations (bit flips, byte changes, truncations,
 * insertions, deletions, duplicated slices, huge 32-bit fields) of real files, each fed to a parser that
 * must either succeed or throw a one-line Error naming its input; never throw something else, never
 * take long on one input, never grow the process to gigabytes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Rng } from '../engine/random.js';

export type Mutator = (bytes: Buffer, rng: Rng) => Buffer;

const INTERESTING_32 = [0, 1, 2, 0x7f, 0xff, 0x7fff, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff];

/** Flips 1 to 8 random bits. */
const flipBits: Mutator = (bytes, rng) => {
  const out = Buffer.from(bytes);
  for (let k = 1 + rng.int(8); k > 0; k--) out[rng.int(out.length)] ^= 1 << rng.int(8);
  return out;
};

/** Sets 1 to 4 random bytes to 0x00, 0xff or a random value. */
const setBytes: Mutator = (bytes, rng) => {
  const out = Buffer.from(bytes);
  for (let k = 1 + rng.int(4); k > 0; k--) out[rng.int(out.length)] = [0, 0xff, rng.int(256)][rng.int(3)];
  return out;
};

/** Writes an interesting 32-bit value (big- or little-endian) at a random offset. */
const setInt32: Mutator = (bytes, rng) => {
  const out = Buffer.from(bytes);
  if (out.length < 4) return out;
  const at = rng.int(out.length - 3);
  const value = INTERESTING_32[rng.int(INTERESTING_32.length)];
  if (rng.next() < 0.5) out.writeUInt32BE(value, at);
  else out.writeUInt32LE(value, at);
  return out;
};

/** Cuts the file at a random point. */
const truncate: Mutator = (bytes, rng) => bytes.subarray(0, rng.int(bytes.length));

/** Inserts up to 64 random bytes. */
const insertBytes: Mutator = (bytes, rng) => {
  const at = rng.int(bytes.length + 1);
  const extra = Buffer.from(Array.from({ length: 1 + rng.int(64) }, () => rng.int(256)));
  return Buffer.concat([bytes.subarray(0, at), extra, bytes.subarray(at)]);
};

/** Deletes a random slice of up to 256 bytes. */
const deleteSlice: Mutator = (bytes, rng) => {
  const at = rng.int(bytes.length);
  return Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1 + rng.int(256))]);
};

/** Repeats a random slice of up to 1 kB in place. */
const duplicateSlice: Mutator = (bytes, rng) => {
  const at = rng.int(bytes.length);
  const slice = bytes.subarray(at, at + 1 + rng.int(1024));
  return Buffer.concat([bytes.subarray(0, at), slice, slice, bytes.subarray(at)]);
};

export const BYTE_MUTATORS: readonly Mutator[] = [
  flipBits,
  setBytes,
  setInt32,
  truncate,
  insertBytes,
  deleteSlice,
  duplicateSlice,
];

/** 1 to 3 mutations, each drawn from `mutators`. */
export function mutate(bytes: Buffer, rng: Rng, mutators: readonly Mutator[] = BYTE_MUTATORS): Buffer {
  let out = bytes;
  for (let k = 1 + rng.int(3); k > 0 && out.length > 0; k--)
    out = mutators[rng.int(mutators.length)](out, rng);
  return out;
}

export interface FuzzOptions<T> {
  seed: number;
  /** Stop after this long (ms) ... */
  budgetMs: number;
  /** ... or after this many cases. */
  maxCases: number;
  /** The input of case `i`, and the name it is given to the parser under. */
  input(rng: Rng, i: number): { name: string; bytes: Buffer };
  /** Parses; throws on bad input. */
  parse(bytes: Buffer, name: string): T | Promise<T>;
  /** Checks what a successful parse returned (throws when it is wrong). */
  checkResult?(result: T, name: string): void;
}

export interface FuzzReport {
  cases: number;
  parsed: number;
  refused: number;
  /** Inputs whose error was not a one-line Error naming the input, or whose result was wrong. */
  failures: string[];
  slowestMs: number;
  slowest: string;
  peakRssMB: number;
  /** How often each error message (input name removed, numbers as #) came. */
  messages: Map<string, number>;
}

/** With ADVX_FUZZ_DUMP=folder, failing and slow inputs are written there to be replayed. */
function dump(name: string, bytes: Buffer, why: string): void {
  const folder = process.env.ADVX_FUZZ_DUMP;
  if (folder === undefined || folder === '') return;
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, `${why}-${basename(name)}-${name.length}`), bytes);
}

/** Runs the fuzz loop; returns what happened (the caller asserts). */
export async function fuzz<T>(options: FuzzOptions<T>): Promise<FuzzReport> {
  const rng = new Rng(options.seed);
  const report: FuzzReport = {
    cases: 0,
    parsed: 0,
    refused: 0,
    failures: [],
    slowestMs: 0,
    slowest: '',
    peakRssMB: 0,
    messages: new Map(),
  };
  const started = performance.now();
  while (report.cases < options.maxCases && performance.now() - started < options.budgetMs) {
    const { name, bytes } = options.input(rng, report.cases);
    report.cases++;
    const t = performance.now();
    try {
      const result = await options.parse(bytes, name);
      report.parsed++;
      options.checkResult?.(result, name);
    } catch (error) {
      report.refused++;
      const message = error instanceof Error ? error.message : undefined;
      if (
        !(error instanceof Error) ||
        message === undefined ||
        /\n/.test(message) ||
        !message.includes(name)
      ) {
        report.failures.push(`${name}: ${error instanceof Error ? error.stack : `threw ${String(error)}`}`);
      } else {
        const key = message.split(name).join('<input>').replace(/\d+/g, '#').slice(0, 120);
        report.messages.set(key, (report.messages.get(key) ?? 0) + 1);
      }
    }
    const ms = performance.now() - t;
    if (ms > 1000) dump(name, bytes, `slow-${Math.round(ms)}ms`);
    if (ms > report.slowestMs) {
      report.slowestMs = ms;
      report.slowest = name;
    }
    report.peakRssMB = Math.max(report.peakRssMB, process.memoryUsage().rss / 2 ** 20);
  }
  return report;
}

/** One line for the test log: counts, slowest case, peak memory and the most frequent errors. */
export function describeFuzz(what: string, report: FuzzReport): string {
  const top = [...report.messages.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 6)
    .map(([m, n]) => `${n}x ${m}`)
    .join(' | ');
  return (
    `${what}: ${report.cases} cases, ${report.parsed} parsed, ${report.refused} refused, ` +
    `slowest ${report.slowestMs.toFixed(0)} ms (${report.slowest}), peak RSS ${report.peakRssMB.toFixed(0)} MB; ${top}`
  );
}
