import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { isInside, resolveInside, type OutsideReason } from './inside-folder.js';

const work = mkdtempSync(join(tmpdir(), 'advx-inside-'));
after(() => rmSync(work, { recursive: true, force: true }));

const reasonOf = (folder: string, name: string): OutsideReason | 'inside' => {
  try {
    resolveInside(folder, name, (reason) => Object.assign(new Error(reason), { reason }));
    return 'inside';
  } catch (error) {
    return (error as { reason: OutsideReason }).reason;
  }
};

test('lexical: .., absolute paths and URLs leave the folder; names inside stay', () => {
  assert.equal(isInside('/a/b', '/a/b/c'), true);
  assert.equal(isInside('/a/b', '/a/b'), false);
  assert.equal(isInside('/a/b', '/a/bc'), false);
  assert.equal(isInside('/a/b', '/a/b/../c'), false);
  assert.equal(reasonOf(work, '../x'), 'escapes');
  assert.equal(reasonOf(work, 'a/../../x'), 'escapes');
  assert.equal(reasonOf(work, '/etc/passwd'), 'not relative');
  assert.equal(reasonOf(work, 'http://example.com/w.bin'), 'not relative');
  assert.equal(reasonOf(work, ''), 'not relative');
  assert.equal(reasonOf(work, 'a/../w.bin'), 'inside');
});

test('real paths: a link to a file outside, or through a linked folder, leaves; a link inside stays', () => {
  const folder = join(work, 'model');
  const outside = join(work, 'outside');
  mkdirSync(join(folder, 'shards'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret'), 'x');
  writeFileSync(join(folder, 'shards', 'w.bin'), 'x');
  symlinkSync(join(outside, 'secret'), join(folder, 'file-link'));
  symlinkSync(outside, join(folder, 'dir-link'));
  symlinkSync(join(folder, 'shards', 'w.bin'), join(folder, 'inner-link'));
  assert.equal(reasonOf(folder, 'file-link'), 'links outside');
  assert.equal(reasonOf(folder, 'dir-link/secret'), 'links outside');
  assert.equal(reasonOf(folder, 'inner-link'), 'inside');
  assert.equal(reasonOf(folder, 'shards/w.bin'), 'inside');
  // The folder itself may be reached through a link.
  symlinkSync(folder, join(work, 'model-link'));
  assert.equal(reasonOf(join(work, 'model-link'), 'inner-link'), 'inside');
  assert.equal(reasonOf(join(work, 'model-link'), 'file-link'), 'links outside');
});
