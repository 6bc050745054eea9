/**
 * The package as a user installs it: the tarball of this checkout installed with npm into a new project,
 * where the `advx` command runs and the README's library examples (blocks marked `<!-- example -->`)
 * type-check against the shipped declarations and run as written, printing what the README says.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import ts from 'typescript';
import { advxHome, packageRoot, sharedDataDir } from '../data/locations.js';
import { readmeExamples } from './readme-examples.js';
import { npmPack } from '../models/npm-tarball.js';
import { installInScratchProject } from './scratch-install.js';

const scratch = mkdtempSync(join(tmpdir(), 'advx-installed-'));
const project = join(scratch, 'project');
const installed = join(project, 'node_modules', 'advx');
const examples = readmeExamples(readFileSync(join(packageRoot, 'README.md'), 'utf8'));

before(async () => {
  const destination = join(scratch, 'pack');
  mkdirSync(destination);
  const { file } = await npmPack(packageRoot, destination, { log: () => undefined });
  installInScratchProject(file, project);
});
after(() => rmSync(scratch, { recursive: true, force: true }));

function run(command: string, args: string[]) {
  return spawnSync(command, args, {
    cwd: project,
    encoding: 'utf8',
    timeout: 600_000,
    env: { ...process.env, ADVX_HOME: advxHome() },
  });
}

test('npm installs tfjs as peers of advx, not the umbrella package', () => {
  const tensorflow = readdirSync(join(project, 'node_modules', '@tensorflow')).sort();
  for (const peer of ['tfjs-backend-cpu', 'tfjs-backend-wasm', 'tfjs-converter', 'tfjs-core', 'tfjs-layers'])
    assert.ok(
      tensorflow.includes(peer),
      `@tensorflow/${peer} not installed (have: ${tensorflow.join(', ')})`,
    );
  for (const absent of ['tfjs', 'tfjs-data', 'tfjs-backend-webgl'])
    assert.ok(!tensorflow.includes(absent), `@tensorflow/${absent} installed in a Node project`);
});

test('the installed advx command predicts a shipped example image', () => {
  const image = join(installed, 'examples', 'fashion-mnist', '0-ankle-boot.png');
  const r = run(join(project, 'node_modules', '.bin', 'advx'), ['predict', image, '--top', '1', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const { images } = JSON.parse(r.stdout) as { images: { top: { name: string; p: number }[] }[] };
  assert.equal(images[0].top[0].name, 'Ankle boot', r.stdout);
});

test('the README has library examples, each saying what it prints', () => {
  assert.ok(examples.length >= 2, `only ${examples.length} examples marked`);
  for (const e of examples)
    assert.ok(e.expected.length > 0, `README line ${e.line}: prints nothing it shows`);
});

test('the README library examples type-check against the installed package', () => {
  examples.forEach((e, k) => writeFileSync(join(project, `example-${k}.ts`), e.code));
  const typeRoots = join(packageRoot, 'node_modules', '@types');
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        module: 'nodenext',
        target: 'es2022',
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        typeRoots: [typeRoots],
        types: ['node'],
      },
      include: ['example-*.ts'],
    }),
  );
  const tsc = join(packageRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = run(process.execPath, [tsc, '-p', 'tsconfig.json']);
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

for (const [k, example] of examples.entries()) {
  test(`README example at line ${example.line} runs from the installed package and prints what it shows`, () => {
    // The first example attacks the user's photo of a tent; here it is the sample photo of one.
    const tent = join(sharedDataDir(), 'imagenet-sample-images', 'n03792972_mountain_tent.JPEG');
    if (!existsSync(join(project, 'tent.jpg'))) copyFileSync(tent, join(project, 'tent.jpg'));
    const js = ts.transpileModule(example.code, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    writeFileSync(join(project, `example-${k}.mjs`), js);
    const r = run(process.execPath, [`example-${k}.mjs`]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trimEnd().split('\n'), example.expected, r.stderr);
  });
}
