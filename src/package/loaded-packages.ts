/**
 * The npm packages a Node process loads: runs `node --import module-recorder.js ARGS...` and reads the
 * module URLs it reports. Repository tooling for the start-up checks (what `import 'advx'` and
 * `advx --help` pull in).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const RECORDER = fileURLToPath(new URL('./module-recorder.js', import.meta.url));

/** `node_modules/@scope/name/...` or `node_modules/name/...` -> the package name (innermost node_modules). */
export function packageOfUrl(url: string): string | undefined {
  const m = /.*\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  return m === null ? undefined : m[1];
}

export interface LoadedPackages {
  packages: Set<string>;
  status: number | null;
  stdout: string;
}

export function loadedPackages(args: readonly string[], cwd: string): LoadedPackages {
  const run = spawnSync(process.execPath, ['--import', RECORDER, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ADVX_PROGRESS: '0' },
    maxBuffer: 64 * 1024 * 1024,
  });
  const packages = new Set<string>();
  for (const line of run.stderr.split('\n')) {
    if (!line.startsWith('advx-module ')) continue;
    const name = packageOfUrl(line.slice('advx-module '.length));
    if (name !== undefined) packages.add(name);
  }
  return { packages, status: run.status, stdout: run.stdout };
}
