/**
 * `advx --help` and `--version` load no command (so no tfjs, ONNX Runtime, vega or BullMQ) and list the
 * commands from their summaries exactly as the loaded commands would; a command's own help loads it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { packageRoot } from '../data/locations.js';
import { loadedPackages } from '../package/loaded-packages.js';
import { COMMAND_SUMMARIES } from './command-summaries.js';
import { COMMAND_NAMES, commandOfArgs } from './command-table.js';
import { buildProgram } from './main.js';

const MAIN = join(packageRoot, 'dist', 'cli', 'main.js');

test('the summaries are the registered commands: term and description', async () => {
  const program = await buildProgram();
  const help = program.createHelp();
  const registered = program.commands.map((c) => [
    c.name(),
    { term: help.subcommandTerm(c), description: c.description() },
  ]);
  assert.deepEqual(registered, Object.entries(COMMAND_SUMMARIES));
  assert.deepEqual(Object.keys(COMMAND_SUMMARIES), COMMAND_NAMES);
});

test('the program help from summaries equals the help with every command loaded', async () => {
  const lazy = await buildProgram([]);
  const full = await buildProgram();
  assert.equal(lazy.helpInformation(), full.helpInformation());
  assert.match(lazy.helpInformation(), /attack \[options\] <images\.\.\.>/);
});

test('commandOfArgs: the command word, also after help; none for options or unknown words', () => {
  assert.equal(commandOfArgs(['attack', 'x.png', '--eps', '0.1']), 'attack');
  assert.equal(commandOfArgs(['help', 'experiment']), 'experiment');
  assert.equal(commandOfArgs(['--help']), undefined);
  assert.equal(commandOfArgs(['help']), undefined);
  assert.equal(commandOfArgs(['atack']), undefined);
  assert.equal(commandOfArgs(['toString']), undefined);
});

test('advx --help loads commander only', () => {
  const run = loadedPackages([MAIN, '--help'], packageRoot);
  assert.equal(run.status, 0);
  assert.match(run.stdout, /Commands:\n {2}predict/);
  assert.deepEqual([...run.packages], ['commander']);
});

test('advx attack --help loads the attack command and prints its options; a typo is exit 2', () => {
  const attack = spawnSync(process.execPath, [MAIN, 'attack', '--help'], { encoding: 'utf8' });
  assert.equal(attack.status, 0);
  assert.match(attack.stdout, /Usage: advx attack \[options\] <images\.\.\.>/);
  assert.match(attack.stdout, /--eps <LIST>/);
  const typo = spawnSync(process.execPath, [MAIN, 'atack', 'x.png'], { encoding: 'utf8' });
  assert.equal(typo.status, 2);
  assert.match(typo.stderr, /unknown command 'atack'/);
});
