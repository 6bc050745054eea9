/** Exit codes: bad input (an AdvxError) is 2, anything else, bugs included, is 1; messages are one line. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { AdvxError } from '../errors.js';
import { asUsage, exitCodeOf, inputErrorOf, UsageError } from './errors.js';

test('exitCodeOf: AdvxError and UsageError 2, commander errors 2, everything else 1', () => {
  assert.equal(exitCodeOf(new AdvxError('bad-input', 'inputs: empty')), 2);
  assert.equal(exitCodeOf(new UsageError('--eps: bad')), 2);
  assert.equal(exitCodeOf(Object.assign(new Error('x'), { code: 'commander.unknownOption' })), 2);
  assert.equal(exitCodeOf(new TypeError("Cannot read properties of undefined (reading 'shape')")), 1);
  assert.equal(exitCodeOf(new Error('Operands could not be broadcast together')), 1);
  assert.equal(exitCodeOf(null), 1);
  const usage = new UsageError('--steps: must be at most 3', { option: '--steps' });
  assert.ok(usage instanceof AdvxError && usage.code === 'bad-option' && usage.option === '--steps');
});

test('asUsage: input errors become AdvxErrors (exit 2), bugs and system failures stay (exit 1)', async () => {
  const missing = Object.assign(new Error("ENOENT: no such file or directory, open 'x.png'"), {
    code: 'ENOENT',
    path: 'x.png',
  });
  const fromFile = inputErrorOf(missing);
  assert.ok(fromFile instanceof UsageError && fromFile.code === 'bad-file' && fromFile.file === 'x.png');
  assert.equal(inputErrorOf(new SyntaxError('Unexpected token } in JSON'))?.code, 'bad-file');
  assert.equal(inputErrorOf(new Error('notes.jpg: not a JPEG or PNG image'))?.code, 'bad-input');
  class DecoderError extends Error {}
  assert.equal(inputErrorOf(new DecoderError('bad archive'))?.code, 'bad-input');
  for (const bug of [
    new TypeError('x is undefined'),
    new RangeError('Invalid array length'),
    new ReferenceError('y'),
  ])
    assert.equal(inputErrorOf(bug), null, bug.name);
  assert.equal(inputErrorOf(Object.assign(new Error('no space left'), { code: 'ENOSPC' })), null);
  const own = new AdvxError('too-large', '--samples: must be at most 9');
  assert.equal(inputErrorOf(own), own);

  await assert.rejects(
    asUsage(() => {
      throw new Error('model.json: not JSON');
    }),
    (e) => exitCodeOf(e) === 2,
  );
  const bug = new TypeError("Cannot read properties of null (reading 'map')");
  await assert.rejects(
    asUsage(() => Promise.reject(bug)),
    (e) => e === bug && exitCodeOf(e) === 1,
  );
  assert.equal(await asUsage(() => 7), 7);
});

test('reportError prints one line: the message, a hint for an internal error, no stack', () => {
  const script = (thrown: string) => `
    import { reportError } from ${JSON.stringify(new URL('./errors.js', import.meta.url).href)};
    process.exitCode = reportError(${thrown});`;
  const run = (thrown: string) =>
    spawnSync(process.execPath, ['--input-type=module', '-e', script(thrown)], {
      encoding: 'utf8',
      env: { ...process.env, ADVX_DEBUG: '' },
    });
  const usage = run(
    `new (await import(${JSON.stringify(new URL('../errors.js', import.meta.url).href)})).AdvxError('bad-input', 'inputs:\\n the batch is empty')`,
  );
  assert.equal(usage.status, 2);
  assert.equal(usage.stderr, 'advx: inputs: the batch is empty\n');
  const bug = run(`new TypeError("Cannot read properties of undefined (reading 'shape')")`);
  assert.equal(bug.status, 1);
  assert.equal(
    bug.stderr,
    "advx: Cannot read properties of undefined (reading 'shape') (an internal error; ADVX_DEBUG=1 prints where)\n",
  );
});
