/**
 * "This file lies inside this folder", the one check every file a model names goes through (weights of a
 * model.json, external data of an .onnx): lexically (no `..`, no absolute path) and by real path, so that
 * a symbolic link (to a file, or a linked folder on the way) cannot lead outside.
 */
import { existsSync, realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';

/** Whether `path` lies strictly inside `folder` (both resolved the same way: lexically or both real). */
export function isInside(folder: string, path: string): boolean {
  const rel = relative(resolve(folder), resolve(path));
  return rel !== '' && rel !== '..' && !rel.startsWith('..' + sep) && !isAbsolute(rel);
}

/** Why a named file is refused, for the caller's message. */
export type OutsideReason = 'not relative' | 'escapes' | 'links outside';

/**
 * Resolves `name` (relative, as a model file gives it) inside `folder`. `refuse(reason)` makes the error
 * thrown when it is absolute or a URL, leaves the folder lexically, or (when it exists) its real path lies
 * outside the folder's real path. Returns the resolved (not real) path.
 */
export function resolveInside(
  folder: string,
  name: string,
  refuse: (reason: OutsideReason) => Error,
): string {
  if (typeof name !== 'string' || name === '' || isAbsolute(name) || /^[a-z][a-z0-9+.-]*:/i.test(name))
    throw refuse('not relative');
  const full = resolve(folder, name);
  if (!isInside(folder, full)) throw refuse('escapes');
  if (existsSync(full) && !isInside(realpathSync(folder), realpathSync(full))) throw refuse('links outside');
  return full;
}
