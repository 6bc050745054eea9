/** The state folder: refusing to overwrite, starting over, resuming only the same configuration. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  configDifference,
  newState,
  openState,
  RESULT_FILE,
  saveState,
  startState,
  STATE_FILE,
  type EvaluationConfig,
} from './evaluation-state.js';

const root = mkdtempSync(join(tmpdir(), 'advx-state-'));
after(() => rmSync(root, { recursive: true, force: true }));

const CONFIG: EvaluationConfig = {
  model: 'm',
  dataset: 'fashion-mnist',
  images: 10,
  offset: 0,
  data: 'abc',
  protocol: 'pgd',
  attacks: ['linf-pgd'],
  norm: 'linf',
  eps: 0.1,
  seed: 0,
  batchSize: 5,
};

test('a new folder gets a fresh state; the state file is replaced whole, without temporary files left', () => {
  const out = join(root, 'fresh');
  const state = openState(out, CONFIG, {});
  assert.ok(!existsSync(out), 'opening touches nothing');
  startState(out, state, false);
  state.perImage.push({ index: 0, label: 3, clean: true, fooledBy: null });
  saveState(out, state);
  assert.deepEqual(readdirSync(out), [STATE_FILE]);
  assert.deepEqual(JSON.parse(readFileSync(join(out, STATE_FILE), 'utf8')), state);
});

test('an earlier evaluation is not overwritten unless forced; force starts over', () => {
  const out = join(root, 'earlier');
  const state = newState(CONFIG);
  startState(out, state, false);
  writeFileSync(join(out, RESULT_FILE), '{}');
  assert.throws(
    () => openState(out, CONFIG, {}),
    /state\.json exists \(an earlier evaluation\): use --resume to continue it, --force to start over/,
  );
  const fresh = openState(out, CONFIG, { force: true });
  startState(out, fresh, false);
  assert.ok(!existsSync(join(out, RESULT_FILE)), 'the earlier result is gone');
  const file = join(root, 'a-file');
  writeFileSync(file, 'x');
  assert.throws(() => openState(file, CONFIG, {}), /a-file: not a folder/);
});

test('resume continues only the same configuration, and says which setting differs', () => {
  const out = join(root, 'resume');
  const state = newState(CONFIG);
  state.perImage.push({ index: 0, label: 1, clean: false, fooledBy: null });
  startState(out, state, false);
  saveState(out, state);
  writeFileSync(join(out, `.${STATE_FILE}.tmp-123-456`), '{"half');
  const resumed = openState(out, CONFIG, { resume: true });
  assert.deepEqual(resumed, state);
  startState(out, resumed, true);
  assert.deepEqual(readdirSync(out), [STATE_FILE], 'a killed writer’s temporary file is removed');
  assert.throws(
    () => openState(out, { ...CONFIG, eps: 0.2 }, { resume: true }),
    /--resume: .*state\.json was made with eps 0\.1, not 0\.2; resume with the same settings/,
  );
  assert.throws(
    () => openState(out, { ...CONFIG, attacks: ['fgsm'] }, { resume: true }),
    /made with attacks \["linf-pgd"\], not \["fgsm"\]/,
  );
  assert.throws(() => openState(join(root, 'none'), CONFIG, { resume: true }), /--resume: no state\.json in/);
  writeFileSync(join(out, STATE_FILE), '{"version": 1}');
  assert.throws(() => openState(out, CONFIG, { resume: true }), /state\.json: not an advx evaluation state/);
  writeFileSync(join(out, STATE_FILE), '{"trunc');
  assert.throws(
    () => openState(out, CONFIG, { resume: true }),
    /state\.json: cannot read the evaluation state/,
  );
  assert.equal(configDifference(CONFIG, { ...CONFIG }), null);
});
