/**
 * What `npm pack` would put in the package's tarball, without writing one: `npm pack --dry-run --json`
 * run in the package's folder (scripts not run). Repository tooling for the package's own checks.
 */
import { npm } from './scratch-install.js';

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
  const [listing] = JSON.parse(
    npm(['pack', '--dry-run', '--json', '--ignore-scripts'], packageDir),
  ) as NpmPackJson[];
  return {
    files: listing.files.map((f) => f.path).sort(),
    size: listing.size,
    unpackedSize: listing.unpackedSize,
  };
}
