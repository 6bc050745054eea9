/**
 * Folders advx makes inside a user's folder (a training checkpoint, GAN sample grids) carry a marker file
 * naming their kind. advx writes into, clears or deletes such a folder only when it finds its own marker:
 * a folder of the same name that the user made is never touched.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const ADVX_FOLDER_MARKER = '.advx-folder';

/** A folder is in the way that advx did not make (or made for something else). One-line message. */
export class ForeignFolderError extends Error {}

/** The kind recorded in `dir`'s marker; null when `dir` is missing, not a folder, or carries no marker of ours. */
export function advxFolderKind(dir: string): string | null {
  try {
    if (!statSync(dir).isDirectory()) return null;
    const marker = JSON.parse(readFileSync(join(dir, ADVX_FOLDER_MARKER), 'utf8')) as {
      madeBy?: unknown;
      kind?: unknown;
    };
    return marker.madeBy === 'advx' && typeof marker.kind === 'string' ? marker.kind : null;
  } catch {
    return null;
  }
}

/** Writes the marker of `kind` into the existing folder `dir` (for folders advx made before markers existed). */
export function markAdvxFolder(dir: string, kind: string): void {
  writeFileSync(join(dir, ADVX_FOLDER_MARKER), JSON.stringify({ madeBy: 'advx', kind }) + '\n');
}

/**
 * Makes sure `dir` is advx's folder of `kind`: creates and marks it when missing; accepts it when it
 * carries that marker; throws ForeignFolderError otherwise (`what` names it in the message).
 */
export function ensureAdvxFolder(dir: string, kind: string, what = dir): void {
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true });
    markAdvxFolder(dir, kind);
    return;
  }
  if (!statSync(dir).isDirectory())
    throw new ForeignFolderError(
      `${what} is a file, not advx's ${kind} folder; move it away or choose another --out`,
    );
  if (advxFolderKind(dir) !== kind) {
    throw new ForeignFolderError(
      `${what} exists and was not made by advx (no ${kind} marker); advx will not write into it or delete it: move it away or choose another --out`,
    );
  }
}
