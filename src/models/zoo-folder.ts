/**
 * Which zoo model a folder on disk is, by real path: a zoo model loaded by its folder's path (e.g.
 * `../shared/models/mobilenet_v1_0.75_224`, or a link to it) is that zoo model, with the entry's name,
 * preprocessing and labels, as when it is loaded by name. A copy elsewhere is just a folder.
 */
import { existsSync, realpathSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { ZOO, zooNames } from './zoo.js';

/** The real path of a model folder, or of the folder of a model.json; undefined when it does not exist. */
function realFolder(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  const real = realpathSync(path);
  return statSync(real).isDirectory() ? real : dirname(real);
}

/** The zoo name of the model in `folder` (a folder or its model.json), looking in `home`; or undefined. */
export function zooNameOfFolder(folder: string, home?: string): string | undefined {
  const target = realFolder(folder);
  if (target === undefined) return undefined;
  for (const name of zooNames()) {
    let dir: string;
    try {
      dir = ZOO[name].dir(home);
    } catch {
      continue; // a model whose files the user has not located
    }
    if (!/^https?:\/\//i.test(dir) && realFolder(dir) === target) return name;
  }
  return undefined;
}
