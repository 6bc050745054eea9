import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { PNG } from 'pngjs';
import { UsageError } from '../errors.js';
import { NOISE_PGD_DEFAULTS } from '../experiment-defaults.js';
import { noisePgdAction, type NoisePgdFlags } from './experiment-noise-pgd.js';

const work = mkdtempSync(join(tmpdir(), 'advx-noise-pgd-cli-'));
after(() => rmSync(work, { recursive: true, force: true }));

const flags = (over: Partial<NoisePgdFlags>): NoisePgdFlags => ({ ...NOISE_PGD_DEFAULTS, ...over });

test('noise-pgd: before/after table, fraction confident, CSV and panel', async () => {
  const out = join(work, 'pgd');
  let text = '';
  await noisePgdAction(
    flags({ mu: '100', sigma: '40', samples: '2', steps: '4', eps: '8/255', target: 'goldfish', out }),
    (s) => (text += s),
  );
  assert.match(text, /mobilenet-v1-0.75: Linf PGD, eps 0.03137, 4 steps/);
  assert.match(text, /targeted: goldfish/);
  assert.match(
    text,
    /classified with p >= 0.9: before \d+\.\d%; after PGD: untargeted \d+\.\d%, targeted \d+\.\d%/,
  );
  const csv = readFileSync(join(out, 'noise_pgd.csv'), 'utf8').trimEnd().split('\n');
  assert.equal(
    csv[0],
    'model,mu,sigma,sample,mode,target,before_class,before_prediction,after_class,after_prediction,success,linf',
  );
  assert.equal(csv.length - 1, 2 * 2);
  for (const line of csv.slice(1)) assert.ok(Number(line.split(',')[11]) <= 8 / 255 + 1e-6);
  const png = PNG.sync.read(readFileSync(join(out, 'noise-pgd-mobilenet-v1-0.75.png')));
  assert.ok(png.width > 400 && png.height > 600);
});

test('noise-pgd: bad options are usage errors before any work', async () => {
  const cases: [Partial<NoisePgdFlags>, RegExp][] = [
    [{ target: 'no-such-class' }, /unknown class 'no-such-class'/],
    [{ eps: '2' }, /--eps: epsilon 2 is out of range/],
    [{ steps: '0' }, /--steps: must be an integer >= 1/],
    [{ mu: 'a:b' }, /--mu/],
  ];
  for (const [over, message] of cases) {
    await assert.rejects(
      noisePgdAction(flags({ ...over, out: join(work, 'bad') })),
      (e: Error) => e instanceof UsageError && message.test(e.message),
    );
  }
});
