import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { sharedDataDir } from '../../data/locations.js';
import { UsageError } from '../errors.js';
import { attackAction, type AttackFlags } from './attack.js';

const work = mkdtempSync(join(tmpdir(), 'advx-eps-search-cli-'));
after(() => rmSync(work, { recursive: true, force: true }));
const GOLDFISH = join(sharedDataDir(), 'imagenet-sample-images', 'n01443537_goldfish.JPEG');

const flags = (over: Partial<AttackFlags>): AttackFlags => ({
  model: 'mobilenet-v1-0.75',
  attack: 'fgsm',
  eps: '8/255',
  criterion: 'confident:0.9',
  seed: '0',
  top: '3',
  bisect: '6',
  ...over,
});

test('advx attack --eps-search: the smallest grid eps with a confident misclassification, bisected; one grid step lower fails', async () => {
  const out = join(work, 'search');
  let text = '';
  const report = await attackAction(
    [GOLDFISH],
    flags({ epsSearch: '1/255:8/255:1/255', bisect: '4', out, json: true }),
    (s) => (text += s),
  );
  assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify(report)));
  const run = report.images[0].runs[0];
  assert.equal(run.success, true);
  assert.ok(run.search !== undefined && run.search.gridEps !== null);
  assert.ok(run.eps !== null, 'an eps search reports the eps found');
  const gridEps = run.search.gridEps as number;
  const k = Math.round(gridEps * 255);
  assert.ok(Math.abs(gridEps - k / 255) < 1e-9, `grid eps ${gridEps} is on the grid`);
  assert.ok(
    run.eps <= gridEps && run.eps > run.search.failingEps && run.search.failingEps >= (k - 1) / 255 - 1e-12,
  );
  assert.ok(run.eps - run.search.failingEps <= 1 / 255 / 16 + 1e-12, 'four bisection steps');
  assert.ok(run.top[0].p >= 0.9 && run.top[0].index !== report.images[0].label.index);
  assert.ok(run.linf <= run.eps + 1e-6);
  assert.ok(existsSync(run.adversarial) && existsSync(run.perturbation));

  // re-running the plain attack: it succeeds at the grid eps and fails one grid step lower
  const at = async (eps: string) =>
    (
      await attackAction(
        [GOLDFISH],
        flags({ eps, out: join(work, `at-${eps.replace('/', '-')}`) }),
        () => undefined,
      )
    ).images[0].runs[0].success;
  assert.equal(await at(`${k}/255`), true);
  if (k > 1) assert.equal(await at(`${k - 1}/255`), false);

  let human = '';
  await attackAction(
    [GOLDFISH],
    flags({ epsSearch: '1/255:8/255:1/255', bisect: '2', out: join(work, 'human') }),
    (s) => (human += s),
  );
  assert.match(human, /minimal eps 0\.00\d+ \(grid eps 0\.00\d+; fails at 0\.00\d+; \d+ attack runs\)/);
  await assert.rejects(
    attackAction([GOLDFISH], flags({ epsSearch: '0:8/255:1/255', out: join(work, 'bad') })),
    (e: Error) => e instanceof UsageError && /--eps-search/.test(e.message),
  );
  await assert.rejects(
    attackAction([GOLDFISH], flags({ epsSearch: '1/255:8/255:1/255', bisect: '-1', out: join(work, 'bad') })),
    /--bisect/,
  );
});
