/** The built `advx` binary run as a user runs it, for the CLI's end-to-end tests. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../data/locations.js';

export const ADVX_BIN = join(packageRoot, 'dist', 'cli', 'main.js');

export interface AdvxRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `advx ...args` in `cwd` (5 min at most) and returns its exit code and output. */
export function runAdvx(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): AdvxRun {
  const r = spawnSync(process.execPath, [ADVX_BIN, ...args], {
    cwd,
    env,
    encoding: 'utf8',
    timeout: 300_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
