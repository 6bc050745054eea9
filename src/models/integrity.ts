/**
 * Subresource Integrity strings (`sha512-<base64>`, what npm's `dist.integrity` holds): computing one for a
 * file, and checking a file against one before anything else reads it.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';

export type IntegrityAlgorithm = 'sha256' | 'sha384' | 'sha512';

/** Strongest first: an SRI string with several hashes is checked with its strongest algorithm. */
const ALGORITHMS: readonly IntegrityAlgorithm[] = ['sha512', 'sha384', 'sha256'];

export interface IntegrityHash {
  algorithm: IntegrityAlgorithm;
  /** The digest in base64, as written in the SRI string. */
  digest: string;
}

/** A file's content did not match the integrity it was expected to have. */
export class IntegrityMismatchError extends Error {}

/**
 * The hashes of an SRI string (space-separated `ALGO-BASE64[?options]` items). Items of unknown algorithms
 * are ignored, as the SRI specification says; a string with none that advx knows is refused.
 */
export function parseIntegrity(sri: string): IntegrityHash[] {
  const hashes: IntegrityHash[] = [];
  for (const item of sri.trim().split(/\s+/)) {
    const m = /^(sha256|sha384|sha512)-([A-Za-z0-9+/]+={0,2})(?:\?.*)?$/.exec(item);
    if (m !== null) hashes.push({ algorithm: m[1] as IntegrityAlgorithm, digest: m[2] });
  }
  if (hashes.length === 0) {
    throw new Error(`integrity '${sri}': not an SRI string (expected e.g. sha512-<base64 digest>)`);
  }
  return hashes;
}

/** The SRI string (`ALGO-BASE64`) of a file's content, read as a stream. */
export async function fileIntegrity(file: string, algorithm: IntegrityAlgorithm = 'sha512'): Promise<string> {
  const hash = createHash(algorithm);
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return `${algorithm}-${hash.digest('base64')}`;
}

/**
 * Checks `file` against the SRI string `expected` (its strongest algorithm); throws an
 * IntegrityMismatchError naming the file and both values when they differ.
 */
export async function checkFileIntegrity(file: string, expected: string): Promise<void> {
  const hashes = parseIntegrity(expected);
  const algorithm = ALGORITHMS.find((a) => hashes.some((h) => h.algorithm === a)) as IntegrityAlgorithm;
  const actual = await fileIntegrity(file, algorithm);
  const digest = actual.slice(algorithm.length + 1);
  if (!hashes.some((h) => h.algorithm === algorithm && h.digest === digest)) {
    const wanted = hashes.filter((h) => h.algorithm === algorithm).map((h) => `${algorithm}-${h.digest}`);
    throw new IntegrityMismatchError(
      `${basename(file)}: integrity mismatch: expected ${wanted.join(' or ')}, got ${actual}`,
    );
  }
}
