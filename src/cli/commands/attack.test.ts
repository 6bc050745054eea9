/**
 * `advx attack` with minimization attacks: without --eps each image's smallest adversarial found is
 * reported (`eps: null`, its l2 and linf, the PNGs; a line per image in the text output); with --eps they
 * are clipped per epsilon as every attack; fixed-epsilon attacks keep their default --eps 8/255.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { packageRoot } from '../../data/locations.js';
import { attackAction, type AttackFlags } from './attack.js';

const work = mkdtempSync(join(tmpdir(), 'advx-attack-cli-'));
after(() => rmSync(work, { recursive: true, force: true }));
const IMAGES = ['0-ankle-boot.png', '1-pullover.png'].map((f) =>
  join(packageRoot, 'examples', 'fashion-mnist', f),
);

const flags = (over: Partial<AttackFlags>): AttackFlags => ({
  model: 'fashion-mnist-cnn',
  attack: 'deepfool',
  criterion: 'misclassification',
  seed: '0',
  top: '3',
  ...over,
});

test('a minimization attack without --eps reports the smallest adversarial per image (JSON and text)', async () => {
  let text = '';
  const report = await attackAction(
    IMAGES,
    flags({ out: join(work, 'json'), json: true }),
    (s) => (text += s),
  );
  assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify(report)));
  assert.equal(report.attack.name, 'deepfool');
  for (const image of report.images) {
    assert.equal(image.runs.length, 1);
    const run = image.runs[0];
    assert.equal(run.eps, null);
    assert.equal(run.success, true);
    assert.notEqual(run.top[0].index, image.label.index, 'the adversarial is misclassified');
    assert.ok(run.l2 > 0 && run.l2 < 3, `l2 ${run.l2}`);
    assert.ok(run.linf > 0 && run.linf <= run.l2, `linf ${run.linf}`);
    assert.match(run.adversarial, /-deepfool-minimal-adversarial\.png$/);
    assert.ok(existsSync(run.adversarial) && existsSync(run.perturbation));
  }

  let human = '';
  await attackAction(IMAGES, flags({ out: join(work, 'text') }), (s) => (human += s));
  const lines = human.split('\n').filter((l) => l.startsWith('smallest adversarial: SUCCESS'));
  assert.equal(lines.length, 2, human);
  report.images.forEach((image, n) =>
    assert.ok(lines[n].includes(`l2 ${image.runs[0].l2.toFixed(4)}`), `${lines[n]} vs ${image.runs[0].l2}`),
  );
  assert.match(
    human,
    /smallest adversarial found for 2\/2 images, median l2 \d\.\d{4}, median linf \d\.\d{5}/,
  );
});

test('with --eps, a minimization attack is clipped per epsilon; fixed-epsilon attacks default to 8/255', async () => {
  const clipped = await attackAction(
    IMAGES,
    flags({ eps: '0.05,1', out: join(work, 'eps'), json: true }),
    () => undefined,
  );
  for (const image of clipped.images) {
    assert.deepEqual(
      image.runs.map((r) => r.eps),
      [0.05, 1],
    );
    assert.equal(image.runs[0].success, false, 'l2 0.05 is too small for this model');
    assert.ok(image.runs[0].l2 <= 0.05 + 1e-5);
    assert.ok(image.runs[1].l2 <= 1 + 1e-5);
    assert.equal(image.runs[1].success, true, 'DeepFool needs less than l2 1 on these images');
  }
  const fgsm = await attackAction(
    IMAGES.slice(0, 1),
    flags({ attack: 'fgsm', out: join(work, 'fgsm'), json: true }),
    () => undefined,
  );
  assert.equal(fgsm.images[0].runs[0].eps, 8 / 255);
  const noise = await attackAction(
    IMAGES.slice(0, 1),
    flags({ attack: 'salt-and-pepper', steps: '20', out: join(work, 'noise'), json: true }),
    () => undefined,
  );
  assert.equal(noise.images[0].runs[0].eps, null, 'salt-and-pepper is a minimization attack too');
});
