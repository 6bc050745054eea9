/** SRI strings: parsing, a file's integrity (checked against coreutils' sha512sum), and the check. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { checkFileIntegrity, fileIntegrity, IntegrityMismatchError, parseIntegrity } from './integrity.js';

const work = mkdtempSync(join(tmpdir(), 'advx-integrity-'));
after(() => rmSync(work, { recursive: true, force: true }));
const file = join(work, 'package.tgz');
writeFileSync(file, randomBytes(200_003));

/** The SRI string of `file` from coreutils (hex digest -> base64), independent of node:crypto. */
function coreutils(algorithm: 'sha256' | 'sha512'): string {
  const hex = execFileSync(`${algorithm}sum`, [file], { encoding: 'utf8' }).split(' ')[0];
  return `${algorithm}-${Buffer.from(hex, 'hex').toString('base64')}`;
}

test("a file's integrity equals coreutils' digest", async () => {
  assert.equal(await fileIntegrity(file), coreutils('sha512'));
  assert.equal(await fileIntegrity(file, 'sha256'), coreutils('sha256'));
});

test('SRI strings: several hashes, options and unknown algorithms ignored, garbage refused', () => {
  assert.deepEqual(parseIntegrity('sha1-abc= sha512-QUJD?opt sha256-eHl6'), [
    { algorithm: 'sha512', digest: 'QUJD' },
    { algorithm: 'sha256', digest: 'eHl6' },
  ]);
  assert.throws(() => parseIntegrity('md5-xyz'), /integrity 'md5-xyz': not an SRI string/);
  assert.throws(() => parseIntegrity(''), /not an SRI string/);
});

test('the check passes for the right digest and names both values when it fails; the strongest algorithm decides', async () => {
  const right512 = coreutils('sha512');
  const right256 = coreutils('sha256');
  const wrong512 = `sha512-${Buffer.alloc(64, 7).toString('base64')}`;
  const wrong256 = `sha256-${Buffer.alloc(32, 7).toString('base64')}`;
  await checkFileIntegrity(file, right512);
  await checkFileIntegrity(file, `${wrong256} ${right512}`);
  await checkFileIntegrity(file, `${wrong512} ${right512}`); // any hash of the strongest algorithm
  await assert.rejects(checkFileIntegrity(file, `${right256} ${wrong512}`), IntegrityMismatchError);
  await assert.rejects(checkFileIntegrity(file, wrong512), (error: Error) => {
    assert.ok(error instanceof IntegrityMismatchError);
    assert.equal(error.message, `package.tgz: integrity mismatch: expected ${wrong512}, got ${right512}`);
    return true;
  });
});
