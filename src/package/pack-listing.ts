/**
 * What `npm pack` would put in the package's tarball, without writing one: `npm pack --dry-run --json`
 * run in the package's folder (scripts not run). Repository tooling for the package's own checks.
 */
import { spawnSync } from 'node:child_process';

export interface PackListing {
  /** Paths inside the package, '/'-separated. */
  files: string[];
  /** Bytes of the gzipped tarball. */
  size: number;
  /** Bytes of all files unpacked. */
  unpackedSize: number;
}

interface NpmPackJson {
  files: { path: string }[];
  size: number;
  unpackedSize: number;
}

export function packListing(packageDir: string): PackListing {
  const run = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: packageDir,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.status !== 0)
    throw new Error(`npm pack --dry-run failed (exit ${run.status}): ${run.stderr.trim().split('\n')[0]}`);
  const [listing] = JSON.parse(run.stdout) as NpmPackJson[];
  return {
    files: listing.files.map((f) => f.path).sort(),
    size: listing.size,
    unpackedSize: listing.unpackedSize,
  };
}
