import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { writeFileAtomically } from './atomic-write.js';

const work = mkdtempSync(join(tmpdir(), 'advx-atomic-'));
after(() => rmSync(work, { recursive: true, force: true }));

test('writeFileAtomically writes the bytes and leaves no temporary file', () => {
  const file = join(work, 'a', 'model.onnx');
  writeFileAtomically(file, Uint8Array.of(1, 2, 3), false);
  assert.deepEqual([...readFileSync(file)], [1, 2, 3]);
  assert.deepEqual(readdirSync(join(work, 'a')), ['model.onnx']);
});

test('writeFileAtomically refuses an existing file unless told to overwrite it', () => {
  const file = join(work, 'b.onnx');
  writeFileSync(file, 'old');
  assert.throws(() => writeFileAtomically(file, Uint8Array.of(9), false), {
    message: `${file} exists; refusing to overwrite it (use --force or another --out)`,
  });
  assert.equal(readFileSync(file, 'utf8'), 'old');
  writeFileAtomically(file, Uint8Array.of(9), true);
  assert.deepEqual([...readFileSync(file)], [9]);
});

test('writeFileAtomically: a folder that cannot be made is one error naming the file, nothing left behind', () => {
  const folder = join(work, 'c');
  mkdirSync(folder);
  const blocker = join(folder, 'blocker');
  writeFileSync(blocker, 'a file, not a folder');
  const file = join(blocker, 'model.onnx');
  assert.throws(
    () => writeFileAtomically(file, Uint8Array.of(1), false),
    (e: Error) => e.message.startsWith(`${file}: cannot write (`) && !e.message.includes('\n'),
  );
  assert.throws(() => writeFileAtomically(folder, Uint8Array.of(1), true), /is a folder, not a file name/);
  assert.deepEqual(readdirSync(folder), ['blocker']);
});
