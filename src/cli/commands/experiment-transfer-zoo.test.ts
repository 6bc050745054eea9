import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { sharedDataDir } from '../../data/locations.js';
import { isAdvxError } from '../../errors.js';
import { TRANSFER_ZOO_DEFAULTS } from '../experiment-defaults.js';
import { transferZooAction, type TransferZooFlags } from './experiment-transfer-zoo.js';

const work = mkdtempSync(join(tmpdir(), 'advx-transfer-cli-'));
after(() => rmSync(work, { recursive: true, force: true }));
const photo = (name: string) => join(sharedDataDir(), 'imagenet-sample-images', name);
const flags = (over: Partial<TransferZooFlags>): TransferZooFlags => ({ ...TRANSFER_ZOO_DEFAULTS, ...over });

test('transfer-zoo on given photos: matrix table, CSV, --json', async () => {
  const out = join(work, 'tz');
  let text = '';
  const files = [photo('n01443537_goldfish.JPEG'), photo('n03792972_mountain_tent.JPEG')];
  await transferZooAction(
    files,
    flags({ model: ['mobilenet-v1-0.75'], eps: '2/255', out, json: true }),
    (s) => (text += s),
  );
  const report = JSON.parse(text);
  assert.deepEqual(report.files, files);
  assert.equal(report.attack, 'fgsm');
  assert.deepEqual(report.cleanAccuracy, [1]);
  assert.deepEqual(report.matrix[0][0], {
    source: 'mobilenet-v1-0.75',
    target: 'mobilenet-v1-0.75',
    evaluated: 2,
    flipped: 2,
    flipRate: 1,
  });
  const csv = readFileSync(join(out, 'transfer_zoo.csv'), 'utf8').trimEnd().split('\n');
  assert.equal(csv[0], 'source,target,attack,eps,evaluated,flipped,flip_rate');
  assert.equal(csv[1], 'mobilenet-v1-0.75,mobilenet-v1-0.75,fgsm,0.00784314,2,2,1');
});

test('transfer-zoo: bad input is a usage error', async () => {
  const cases: [string[], Partial<TransferZooFlags>, RegExp][] = [
    [[], { attack: 'nope' }, /unknown attack 'nope'/],
    [[], { eps: '1/255,2/255' }, /--eps: give one epsilon/],
    [[], { images: '0' }, /--images: must be an integer >= 1/],
    [['/tmp/cat.jpg'], {}, /cannot tell its ImageNet class/],
  ];
  for (const [files, over, message] of cases) {
    await assert.rejects(
      transferZooAction(files, flags({ model: ['mobilenet-v1-0.75'], ...over, out: join(work, 'bad') })),
      (e: Error) => isAdvxError(e) && message.test(e.message),
    );
  }
});
