/**
 * `advx evaluate`: bad input is one line and exit code 2; --json prints one document; an evaluation
 * killed with SIGKILL while it runs resumes (--resume) to the result of an uninterrupted run.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { packageRoot } from '../../data/locations.js';
import type { EvaluationResult } from '../../evaluation/evaluation-result.js';
import { RESULT_FILE, STATE_FILE, type EvaluationState } from '../../evaluation/evaluation-state.js';
import { UsageError } from '../errors.js';
import { buildProgram } from '../main.js';
import { evaluateAction, EVALUATE_DEFAULTS, type EvaluateFlags } from './evaluate.js';

const work = mkdtempSync(join(tmpdir(), 'advx-evaluate-cli-'));
after(() => rmSync(work, { recursive: true, force: true }));

/**
 * The `advx` binary once src/cli/main.ts registers `evaluate`; until then a two-line program that
 * registers only this command, with main's error handling (the same code path below the parser).
 */
const registered = (await buildProgram()).commands.some((c) => c.name() === 'evaluate');
const STANDALONE = `
import { Command } from 'commander';
import { registerEvaluateCommand } from './dist/cli/commands/evaluate.js';
import { reportError } from './dist/cli/errors.js';
const program = new Command().exitOverride();
registerEvaluateCommand(program);
program.commands.forEach((c) => c.exitOverride());
try { await program.parseAsync(process.argv.slice(1), { from: 'user' }); }
catch (e) { process.exitCode = String(e.code).startsWith('commander.') ? 2 : reportError(e); }
`;
function advxArgs(args: string[]): string[] {
  return registered
    ? [join(packageRoot, 'dist', 'cli', 'main.js'), ...args]
    : ['--input-type=module', '-e', STANDALONE, ...args];
}

const env = { ...process.env, ADVX_PROGRESS: '0' };
function advx(...args: string[]) {
  const r = spawnSync(process.execPath, advxArgs(args), {
    cwd: packageRoot,
    env,
    encoding: 'utf8',
    timeout: 300_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const BASE = ['evaluate', '--model', 'fashion-mnist-cnn-robust', '--dataset', 'fashion-mnist'];
const flags = (extra: Partial<EvaluateFlags>): EvaluateFlags => ({
  ...EVALUATE_DEFAULTS,
  model: 'fashion-mnist-cnn-robust',
  dataset: 'fashion-mnist',
  eps: '0.1',
  ...extra,
});
const quiet = () => undefined;

test('bad input: one line naming the option, exit code 2', async () => {
  const cases: [Partial<EvaluateFlags>, RegExp][] = [
    [
      { protocol: 'deepfool' },
      /^--protocol: unknown protocol 'deepfool' \(known: autoattack, autoattack-rand, pgd, custom\)$/,
    ],
    [
      { dataset: 'svhn' },
      /^--dataset: unknown data set 'svhn' \(known: fashion-mnist, mnist, cifar10, imagenet-samples\)$/,
    ],
    [{ dataset: undefined }, /^--dataset: give the data set/],
    [{ norm: 'l1' }, /^--norm: unknown norm 'l1' \(known: linf, l2\)$/],
    [{ eps: 'big' }, /^--eps: 'big' is not a number/],
    [{ eps: '2' }, /^--eps: 2 is out of range \[0, 1\] for the linf norm and bounds \[0,1\]$/],
    [{ eps: '29', norm: 'l2' }, /^--eps: 29 is out of range \[0, 28\] for the l2 norm/],
    [{ eps: '-0.1' }, /^--eps: -0\.1 is out of range/],
    [
      { attacks: 'fgsm' },
      /^--attacks: only with --protocol custom \(the autoattack protocol fixes its attacks\)$/,
    ],
    [{ protocol: 'custom' }, /^--protocol custom: give --attacks/],
    [{ protocol: 'custom', attacks: 'fgsm,warp' }, /^--attacks: unknown attack 'warp'/],
    [{ protocol: 'custom', attacks: 'fgm' }, /^--attacks: fgm measures eps in l2, but --norm is linf$/],
    [{ resume: true }, /^--resume: give --out/],
    [{ resume: true, force: true, out: join(work, 'x') }, /^--resume and --force exclude each other$/],
    [{ images: '1.5' }, /^--images: must be an integer >= 1/],
    [
      { dataset: 'cifar10', protocol: 'pgd' },
      /^model fashion-mnist-cnn-robust takes \[28,28,1\] inputs, but cifar10 images are \[32,32,3\]$/,
    ],
    [
      { images: '20', offset: '9990', protocol: 'pgd' },
      /^fashion-mnist: images 9990\.\.10009 asked for, but its test set has 10000$/,
    ],
    [
      { protocol: 'pgd', out: join(work, 'never'), resume: true },
      /^--resume: no state\.json in .*never to continue from$/,
    ],
  ];
  for (const [extra, message] of cases) {
    await assert.rejects(
      evaluateAction(flags(extra), quiet, quiet),
      (e) => e instanceof UsageError && message.test(e.message),
      `${JSON.stringify(extra)} should fail with ${message}`,
    );
  }
  const r = advx(...BASE, '--eps', '0.1', '--protocol', 'pgd', '--norm', 'l3');
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, "advx: --norm: unknown norm 'l3' (known: linf, l2)\n");
});

/** Noise first (what it fools depends on its seeds at eps 0.3), then PGD-40 on the rest: killed in PGD. */
const RUN = [
  ...BASE,
  ...['--images', '40', '--batch-size', '8', '--eps', '0.3', '--seed', '5'],
  ...['--protocol', 'custom', '--attacks', 'linf-uniform-noise,linf-pgd'],
];

const RUN_FLAGS: Partial<EvaluateFlags> = {
  images: '40',
  batchSize: '8',
  eps: '0.3',
  seed: '5',
  protocol: 'custom',
  attacks: 'linf-uniform-noise,linf-pgd',
};

function withoutTimes(result: EvaluationResult) {
  return { ...result, attacks: result.attacks.map((a) => ({ ...a, seconds: 0 })) };
}

function readState(out: string): EvaluationState | null {
  if (!existsSync(join(out, STATE_FILE))) return null;
  // Replaced atomically: whenever the file is there, it parses.
  return JSON.parse(readFileSync(join(out, STATE_FILE), 'utf8')) as EvaluationState;
}

/** Starts `advx evaluate` and SIGKILLs it once its state shows a finished batch of PGD. */
function killMidAttack(out: string): Promise<{ state: EvaluationState; signal: string | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, advxArgs([...RUN, '--out', out, '--json']), {
      cwd: packageRoot,
      env,
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let seen: EvaluationState | null = null;
    const poll = setInterval(() => {
      try {
        const state = readState(out);
        if (state !== null && state.attacks[1].batchesDone >= 1 && seen === null) {
          seen = state;
          child.kill('SIGKILL');
        }
      } catch (error) {
        clearInterval(poll);
        child.kill('SIGKILL');
        reject(error as Error);
      }
    }, 20);
    child.on('exit', (_code, signal) => {
      clearInterval(poll);
      if (seen === null) reject(new Error(`the evaluation ended before it could be killed: ${stderr}`));
      else resolve({ state: seen, signal });
    });
  });
}

test('SIGKILL mid-attack, then --resume: no finished image is lost and the JSON equals an uninterrupted run', async () => {
  const straight = advx(...RUN, '--json', '--out', join(work, 'straight'));
  assert.equal(straight.code, 0, straight.stderr);
  const expected = JSON.parse(straight.stdout) as EvaluationResult;
  assert.equal(expected.images, 40);
  assert.deepEqual(JSON.parse(readFileSync(join(work, 'straight', RESULT_FILE), 'utf8')), expected);

  const out = join(work, 'killed');
  const { state, signal } = await killMidAttack(out);
  assert.equal(signal, 'SIGKILL');
  assert.ok(!existsSync(join(out, RESULT_FILE)), 'killed before the end');
  const afterKill = readState(out);
  assert.ok(afterKill !== null && afterKill.attacks[1].batchesDone >= state.attacks[1].batchesDone);
  assert.ok(afterKill.attacks[0].done && !afterKill.attacks[1].done, 'killed inside PGD');
  assert.ok(
    expected.perImage.some((p) => p.fooledBy === 'linf-uniform-noise'),
    'the noise fools some images (its seeds matter)',
  );

  await assert.rejects(
    evaluateAction(flags({ ...RUN_FLAGS, out }), quiet, quiet),
    (e) =>
      e instanceof UsageError && /state\.json exists \(an earlier evaluation\): use --resume/.test(e.message),
    'no silent overwrite of the killed run',
  );

  const resumed = advx(...RUN, '--json', '--out', out, '--resume');
  assert.equal(resumed.code, 0, resumed.stderr);
  const result = JSON.parse(resumed.stdout) as EvaluationResult;
  assert.deepEqual(withoutTimes(result), withoutTimes(expected));
  // The images fooled before the kill are fooled in the end by the same attack.
  const final = readState(out);
  afterKill.perImage.forEach((p, i) => {
    if (p.fooledBy !== null) assert.equal(final?.perImage[i].fooledBy, p.fooledBy);
  });

  const lines: string[] = [];
  await evaluateAction(flags({ ...RUN_FLAGS, out, resume: true }), (text) => lines.push(text), quiet);
  const human = lines.join('');
  assert.match(
    human,
    /^model fashion-mnist-cnn-robust on fashion-mnist test images 0\.\.39 \(40\), linf eps 0\.3, protocol custom: linf-uniform-noise, linf-pgd\nresuming: 40 of 40 images classified before\n/,
  );
  assert.match(human, /\nclean accuracy: [\d.]+% \(\d+\/40\)\n/);
  const robust = `${(100 * expected.robustAccuracy).toFixed(2)}%`;
  assert.match(
    human,
    new RegExp(`\\nrobust accuracy after linf-pgd: ${robust} \\(\\d+/40; \\d+ attacked, [\\d.]+ s\\)\\n`),
  );
  assert.match(
    human,
    new RegExp(`\\nrobust accuracy at eps 0.3: ${robust} \\(clean [\\d.]+%\\)\\nresults: `),
  );
});

test('several eps: one evaluation each, in its own folder, printed as { evaluations, warnings }', async () => {
  const out = join(work, 'curve');
  const printed: string[] = [];
  await evaluateAction(
    flags({ images: '16', protocol: 'custom', attacks: 'fgsm', eps: '0,0.05,0.2', out, json: true }),
    (text) => printed.push(text),
    quiet,
  );
  assert.equal(printed.length, 1, 'one JSON document');
  const document = JSON.parse(printed[0]) as { evaluations: EvaluationResult[]; warnings: string[] };
  assert.deepEqual(
    document.evaluations.map((e) => e.eps),
    [0, 0.05, 0.2],
  );
  const [zero, small, large] = document.evaluations;
  assert.equal(zero.robustAccuracy, zero.cleanAccuracy, 'nothing moves at eps 0');
  assert.ok(large.robustAccuracy < small.robustAccuracy && small.robustAccuracy <= zero.robustAccuracy);
  assert.ok(Array.isArray(document.warnings));
  for (const eps of ['0', '0.05', '0.2'])
    assert.ok(existsSync(join(out, `eps-${eps}`, RESULT_FILE)), `eps-${eps}/${RESULT_FILE}`);
});
