/**
 * Flushing written files to the disk (fsync) before they are published by a rename, so that a crash of
 * the machine, not only of the process, cannot leave a published name pointing at unwritten data.
 */
import { closeSync, fsyncSync, openSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** fsync of one file or folder; file systems that cannot fsync a folder are tolerated. */
export function syncPath(path: string, isFolder: boolean): void {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    if (isFolder) return;
    throw error;
  }
  try {
    fsyncSync(fd);
  } catch (error) {
    if (!isFolder) throw error;
  } finally {
    closeSync(fd);
  }
}

/** fsync of every file under `dir`, then of the folders themselves (deepest first). */
export function syncTree(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) syncTree(path);
    else if (entry.isFile()) syncPath(path, false);
  }
  syncPath(dir, true);
}
