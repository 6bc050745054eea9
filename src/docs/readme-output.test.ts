/**
 * The README's CLI output stays true: every transcript marked `<!-- docs -->` is run again by
 * scripts/docs.mjs --check (the built CLI, in a scratch folder) and must print what the README shows.
 * `npm run docs` writes the fresh output when a change of advx changes it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { packageRoot } from '../data/locations.js';

test('the README shows what its marked commands print (npm run docs -- --check)', () => {
  const readme = readFileSync(join(packageRoot, 'README.md'), 'utf8');
  const marked = readme.split('\n').filter((line) => line.trim() === '<!-- docs -->').length;
  assert.ok(marked >= 10, `only ${marked} transcripts are checked`);
  const r = spawnSync(process.execPath, [join(packageRoot, 'scripts', 'docs.mjs'), '--check'], {
    cwd: packageRoot,
    encoding: 'utf8',
    timeout: 600_000,
  });
  assert.equal(
    r.status,
    0,
    r.stderr
      .split('\n')
      .filter((l) => !l.startsWith('docs: ') || /differs|README|printed/.test(l))
      .join('\n'),
  );
});
