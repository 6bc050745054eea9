import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { PNG } from 'pngjs';
import { packageRoot } from '../../data/locations.js';
import { UsageError } from '../errors.js';
import { NOISE_SWEEP_DEFAULTS } from '../experiment-defaults.js';
import { noiseSweepAction, type NoiseSweepFlags, type NoiseSweepReport } from './experiment-noise-sweep.js';

const work = mkdtempSync(join(tmpdir(), 'advx-noise-sweep-cli-'));
after(() => rmSync(work, { recursive: true, force: true }));

const flags = (over: Partial<NoiseSweepFlags>): NoiseSweepFlags => ({ ...NOISE_SWEEP_DEFAULTS, ...over });

test('noise-sweep: CSV rows = models x points x samples x top, grid PNG per model, --json report', async () => {
  const out = join(work, 'sweep');
  let text = '';
  const report = (await noiseSweepAction(
    flags({
      model: ['mobilenet-v1-0.75', 'darknet-tiny'],
      mu: '50:200:50',
      sigma: '10:40:10',
      pairs: 'zip',
      samples: '2',
      top: '3',
      gridImages: '4',
      out,
      json: true,
    }),
    (s) => (text += s),
  )) as NoiseSweepReport;
  assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify(report)));
  assert.equal(report.points, 4);
  const lines = readFileSync(join(out, 'initialization_vals_for_noise.csv'), 'utf8').trimEnd().split('\n');
  assert.equal(lines[0], 'id,class,prediction,sigma,mu,model,rank');
  assert.equal(lines.length - 1, 2 * 4 * 2 * 3);
  assert.equal(report.rows, 2 * 4 * 2 * 3);
  for (const model of ['mobilenet-v1-0.75', 'darknet-tiny']) {
    const png = PNG.sync.read(readFileSync(join(out, `noise-grid-${model}.png`)));
    assert.ok(png.width > 600, `grid ${png.width}`);
    const s = report.summary.find((x) => x.model === model);
    assert.equal(s?.images, 8);
  }

  // grid pairs: every combination; the human output names the CSV and the grids
  let human = '';
  await noiseSweepAction(
    flags({
      model: ['mobilenet-v1-0.75'],
      mu: '100:120:20',
      sigma: '30:50:20',
      pairs: 'grid',
      samples: '1',
      top: '2',
      gridImages: '0',
      out: join(work, 'grid'),
    }),
    (s) => (human += s),
  );
  assert.match(human, /4 \(mu, sigma\) points x 1 samples/);
  assert.match(human, /top-1 p > 0\.5/);
  assert.equal(
    readFileSync(join(work, 'grid', 'initialization_vals_for_noise.csv'), 'utf8')
      .trimEnd()
      .split('\n').length - 1,
    4 * 2,
  );
  assert.ok(!existsSync(join(work, 'grid', 'noise-grid-mobilenet-v1-0.75.png')));
});

test('noise-sweep: bad options are usage errors naming the option; existing outputs need --force', async () => {
  const cases: [Partial<NoiseSweepFlags>, RegExp][] = [
    [{ mu: '200:50:10' }, /--mu: need step > 0 and stop >= start/],
    [{ sigma: 'wide' }, /--sigma: 'wide' is not a number/],
    [{ sigma: '-5' }, /--sigma: values must be >= 0/],
    [{ pairs: 'zap' }, /--pairs: zip or grid/],
    [{ samples: '0' }, /--samples: must be an integer >= 1/],
    [{ gridImages: 'x' }, /--grid-images/],
    [{ model: ['no-such-model'] }, /unknown model 'no-such-model'/],
  ];
  for (const [over, message] of cases) {
    await assert.rejects(
      noiseSweepAction(flags({ ...over, out: join(work, 'bad') })),
      (e: Error) => e instanceof UsageError && message.test(e.message),
    );
  }
  const out = join(work, 'exists');
  await noiseSweepAction(
    flags({ model: ['darknet-tiny'], mu: '100', sigma: '10', samples: '1', top: '1', gridImages: '0', out }),
    () => undefined,
  );
  await assert.rejects(
    noiseSweepAction(flags({ model: ['darknet-tiny'], mu: '100', sigma: '10', out })),
    /initialization_vals_for_noise.csv exists; refusing to overwrite it/,
  );
  writeFileSync(join(work, 'file'), 'x');
  await assert.rejects(noiseSweepAction(flags({ out: join(work, 'file') })), /is not a folder/);

  const r = spawnSync(
    process.execPath,
    [join(packageRoot, 'dist', 'cli', 'main.js'), 'experiment', 'noise-sweep', '--pairs', 'zap'],
    { encoding: 'utf8', cwd: work },
  );
  assert.equal(r.status, 2);
  assert.equal(r.stderr, 'advx: --pairs: zip or grid (got zap)\n');
});
