import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { initEngine } from '../../engine/backend.js';
import { tf } from '../../engine/tf.js';
import { UsageError } from '../errors.js';
import {
  registerRobustnessCommand,
  robustnessAction,
  ROBUSTNESS_DEFAULTS,
  type RobustnessFlags,
} from './experiment-robustness.js';

let root: string;
const flags = (over: Partial<RobustnessFlags>): RobustnessFlags => ({ ...ROBUSTNESS_DEFAULTS, ...over });

before(async () => {
  await initEngine();
  root = mkdtempSync(join(tmpdir(), 'advx-robustness-'));
});

after(() => rmSync(root, { recursive: true, force: true }));

test('experiment robustness (smoke settings): table on stdout, CSV, PNG and SVG in --out', async () => {
  const out = join(root, 'run');
  const lines: string[] = [];
  const before = tf.memory().numTensors;
  const { result, csv, png, svg } = await robustnessAction(
    flags({
      robustModel: 'none',
      images: '24',
      projectionImages: '4',
      eps: '0,0.1',
      projectionEps: '0,0.1',
      steps: '3',
      restarts: '1',
      projectionSteps: '5',
      projectionRestarts: '1',
      eot: '2',
      latentSteps: '10',
      out,
    }),
    (s) => lines.push(s),
  );
  assert.equal(tf.memory().numTensors, before, 'models, generator and images are disposed');
  const text = lines.join('');
  assert.match(
    text,
    /robust accuracy on the first 24 Fashion-MNIST test images \(projection defense: first 4\)/,
  );
  for (const series of ['fgsm', 'pgd', 'pgd-oblivious', 'bpda-pgd', 'bpda-eot-pgd', 'latent-space'])
    assert.ok(text.includes(series), series);
  assert.ok(existsSync(png) && existsSync(svg));
  assert.equal(readFileSync(png).subarray(1, 4).toString(), 'PNG');
  const rows = readFileSync(csv, 'utf8').trimEnd().split('\n');
  assert.equal(rows[0], 'model,defense,attack,eps,images,robust_accuracy,restarts,steps,step_size,seconds');
  assert.equal(rows.length, 1 + result.rows.length);
  assert.equal(result.rows.length, 12);
  await assert.rejects(
    robustnessAction(
      flags({ robustModel: 'none', generator: 'none', images: '4', eps: '0', out }),
      () => undefined,
    ),
    /exists; refusing to overwrite/,
  );
});

test('experiment robustness: bad input is a usage error naming the option', async () => {
  const out = join(root, 'bad');
  const cases: [Partial<RobustnessFlags>, RegExp][] = [
    [{ eps: '0,2' }, /--eps: epsilon 2 is out of range/],
    [{ steps: '0' }, /--steps: must be an integer >= 1/],
    [{ relStep: '-1' }, /--rel-step: must be > 0/],
    [{ eot: 'x' }, /--eot/],
    [{ images: '0' }, /--images: must be an integer >= 1/],
    [{ model: 'no-such-model' }, /unknown model 'no-such-model'/],
    [{ robustModel: 'none', generator: join(root, 'no-generator') }, /no generator model.json there/],
  ];
  for (const [over, message] of cases) {
    await assert.rejects(
      robustnessAction(flags({ ...over, out }), () => undefined),
      (e) => e instanceof UsageError && message.test(e.message),
      JSON.stringify(over),
    );
  }
  const program = new Command('advx').exitOverride();
  registerRobustnessCommand(program);
  const robustness = program.commands
    .find((c) => c.name() === 'experiment')
    ?.commands.find((c) => c.name() === 'robustness');
  assert.ok(robustness);
  for (const flag of [
    '--model',
    '--robust-model',
    '--generator',
    '--eps',
    '--restarts',
    '--eot',
    '--projection-steps',
    '--out',
    '--json',
  ]) {
    assert.ok(
      robustness.options.some((o) => o.long === flag),
      flag,
    );
  }
});
