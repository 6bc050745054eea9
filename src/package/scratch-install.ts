/**
 * The package as a user gets it: the tarball of the built checkout (models/npm-tarball.ts `npmPack`)
 * installed with npm into a new project folder. Repository tooling for the package's own checks (not shipped).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Runs `npm ...args` in `cwd` and returns its stdout; a failure throws with npm's stderr. */
export function npm(args: string[], cwd: string): string {
  const run = spawnSync('npm', args, {
    cwd,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    // onnxruntime-node ships its CPU binary: never let its install script download one.
    env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' },
  });
  if (run.status !== 0)
    throw new Error(`npm ${args.join(' ')} failed (exit ${run.status}):\n${run.stderr.trim()}`);
  return run.stdout;
}

/**
 * A new ES-module project in `project` with `tarball` installed as a dependency, the way a user installs
 * it (peer dependencies installed by npm). Packages come from npm's cache where it has them.
 */
export function installInScratchProject(tarball: string, project: string): void {
  mkdirSync(project, { recursive: true });
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'advx-scratch', version: '1.0.0', private: true, type: 'module' }, null, 2),
  );
  npm(['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball], project);
}
