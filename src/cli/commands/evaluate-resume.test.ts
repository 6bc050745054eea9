/**
 * `advx evaluate` killed with SIGKILL while it runs (mid-attack, inside state saves, at a random moment)
 * resumes (--resume) to the result of an uninterrupted run.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { packageRoot } from '../../data/locations.js';
import type { EvaluationResult } from '../../evaluation/evaluation-result.js';
import { RESULT_FILE, STATE_FILE, type EvaluationState } from '../../evaluation/evaluation-state.js';
import { ADVX_BIN, runAdvx } from '../cli-testing.js';
import { UsageError } from '../errors.js';
import { evaluateAction, EVALUATE_DEFAULTS, type EvaluateFlags } from './evaluate.js';

const work = mkdtempSync(join(tmpdir(), 'advx-evaluate-resume-'));
after(() => rmSync(work, { recursive: true, force: true }));

const env = { ...process.env, ADVX_PROGRESS: '0' };
const advx = (...args: string[]) => runAdvx(args, packageRoot, env);

const BASE = ['evaluate', '--model', 'fashion-mnist-cnn-robust', '--dataset', 'fashion-mnist'];
const flags = (extra: Partial<EvaluateFlags>): EvaluateFlags => ({
  ...EVALUATE_DEFAULTS,
  model: 'fashion-mnist-cnn-robust',
  dataset: 'fashion-mnist',
  eps: '0.1',
  ...extra,
});
const quiet = () => undefined;

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
    const child = spawn(process.execPath, [ADVX_BIN, ...RUN, '--out', out, '--json'], {
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

test('SIGKILL inside state saves (between the temporary file and the rename) and at a random moment, resumed each time: the uninterrupted result', async () => {
  const straight = advx(...RUN, '--json', '--out', join(work, 'straight-2'));
  assert.equal(straight.code, 0, straight.stderr);
  const expected = JSON.parse(straight.stdout) as EvaluationResult;
  const out = join(work, 'killed-in-saves');
  let resume = false;
  // The 1st save (the clean pass), a save inside the noise attack, one inside PGD (counted per run).
  for (const nth of [1, 3, 4]) {
    const r: SpawnSyncReturns<string> = spawnSync(
      process.execPath,
      [ADVX_BIN, ...RUN, '--json', '--out', out, ...(resume ? ['--resume'] : [])],
      {
        cwd: packageRoot,
        env: { ...env, ADVX_KILL_AT: `before-rename-state.json:${nth}` },
        encoding: 'utf8',
        timeout: 300_000,
      },
    );
    assert.equal(r.signal, 'SIGKILL', `killed at save ${nth}: ${r.stderr}`);
    // Killed in the first save of a fresh run, there is no state yet (and a fresh start is right);
    // later, the last complete state survives the kill.
    const state = readState(out);
    assert.ok(state !== null || (nth === 1 && !resume), `a state after the kill at save ${nth}`);
    resume = state !== null;
  }
  // A random moment (seeded by the clock: any moment must do).
  const child = spawn(process.execPath, [ADVX_BIN, ...RUN, '--json', '--out', out, '--resume'], {
    cwd: packageRoot,
    env,
  });
  const delay = 200 + (Date.now() % 1500);
  setTimeout(() => child.kill('SIGKILL'), delay);
  await new Promise((resolve) => child.on('exit', resolve));
  const resumed = advx(...RUN, '--json', '--out', out, '--resume');
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.deepEqual(withoutTimes(JSON.parse(resumed.stdout) as EvaluationResult), withoutTimes(expected));
});
