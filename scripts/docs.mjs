// The README's CLI output, produced by running it (`npm run docs`), and the check that it is still true
// (`npm run docs -- --check`, run by src/docs/readme-output.test.ts in CI).
//
// A fenced block right after a line `<!-- docs -->` is a transcript: each line that starts with `$ ` is a
// command, run with bash in a scratch folder (`advx` is the built CLI, dist/cli/main.js; `examples/` and
// `models/` are the repository's; ImageNet sample photos named in a command are copied in; the bad-input
// files of the README's examples are made), stdout and stderr together; the lines after it, up to the next
// command, are its output. Writing replaces each output with the fresh one; --check fails (exit 1) and
// shows the first difference instead. Blocks without the marker (excerpts, long runs, services) are left
// as they are. After `npm run build`:
//
//   node scripts/docs.mjs [--check] [README.md]
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const check = args.includes('--check');
const readmePath = resolve(args.find((a) => !a.startsWith('--')) ?? join(root, 'README.md'));
const { sharedDataDir } = await import(join(root, 'dist', 'data', 'locations.js'));
const photos = join(sharedDataDir(), 'imagenet-sample-images');
const MARKER = '<!-- docs -->';

/** A scratch folder where the README's commands run as a user would run them. */
function scratchFolder() {
  const dir = mkdtempSync(join(tmpdir(), 'advx-docs-'));
  mkdirSync(join(dir, 'bin'));
  const advx = join(dir, 'bin', 'advx');
  writeFileSync(advx, `#!/bin/sh\nexec "${process.execPath}" "${join(root, 'dist', 'cli', 'main.js')}" "$@"\n`);
  chmodSync(advx, 0o755);
  for (const name of ['examples', 'models']) symlinkSync(join(root, name), join(dir, name));
  // The files of the README's bad-input examples.
  copyFileSync(join(photos, 'n03792972_mountain_tent.JPEG'), join(dir, 'photo.jpg'));
  writeFileSync(join(dir, 'notes.jpg'), 'meeting notes, not an image\n');
  mkdirSync(join(dir, 'evil'));
  const model = JSON.parse(readFileSync(join(root, 'models', 'fashion-mnist-cnn', 'model.json'), 'utf8'));
  model.weightsManifest[0].paths = ['../../etc/passwd'];
  writeFileSync(join(dir, 'evil', 'model.json'), JSON.stringify(model));
  return dir;
}

/** Runs one transcript command; its output lines (stdout and stderr as they came), scratch paths relative. */
function run(command, dir) {
  for (const photo of command.match(/n\d{8}_\w+\.JPEG/g) ?? []) {
    if (!existsSync(join(dir, photo))) copyFileSync(join(photos, photo), join(dir, photo));
  }
  const r = spawnSync('bash', ['-c', `${command} 2>&1`], {
    cwd: dir,
    env: { ...process.env, PATH: `${join(dir, 'bin')}:${process.env.PATH}`, ADVX_PROGRESS: '0' },
    encoding: 'utf8',
    timeout: 600_000,
  });
  if (r.error) throw r.error;
  return r.stdout.split(`${dir}/`).join('').replace(/\n+$/, '').split('\n');
}

/** The README's lines with every marked transcript's output run again. */
function regenerate(lines, dir) {
  const out = [];
  for (let i = 0; i < lines.length; i++) {
    out.push(lines[i]);
    if (lines[i].trim() !== MARKER) continue;
    if (!lines[i + 1]?.startsWith('```')) throw new Error(`README line ${i + 1}: ${MARKER} not before a block`);
    out.push(lines[++i]);
    for (i++; i < lines.length && !lines[i].startsWith('```'); i++) {
      if (!lines[i].startsWith('$ ')) continue; // the old output, replaced below
      const command = lines[i].slice(2);
      process.stderr.write(`docs: ${command}\n`);
      out.push(lines[i], ...run(command, dir));
    }
    out.push(lines[i]);
  }
  return out;
}

const before = readFileSync(readmePath, 'utf8').split('\n');
const dir = scratchFolder();
let after;
try {
  after = regenerate(before, dir);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
if (!check) {
  writeFileSync(readmePath, after.join('\n'));
  process.stderr.write(`docs: ${readmePath} written\n`);
} else {
  const first = after.findIndex((line, i) => line !== before[i]);
  if (first === -1 && after.length === before.length) {
    process.stderr.write('docs: the README output is what the commands print\n');
  } else {
    const at = first === -1 ? Math.min(after.length, before.length) : first;
    process.stderr.write(
      `docs: the README differs from what the commands print, from line ${at + 1}:\n` +
        `  README:   ${before[at] ?? '(end)'}\n  printed:  ${after[at] ?? '(end)'}\n` +
        'run `npm run docs` to write the fresh output\n',
    );
    process.exitCode = 1;
  }
}
