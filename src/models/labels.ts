/** Class names for the zoo's data sets. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HOME_HINT, sharedDataDir } from '../data/locations.js';

export interface ImagenetClass {
  index: number;
  wnid: string;
  name: string;
}

/** Class lists read, by file. */
const imagenet = new Map<string, ImagenetClass[]>();

/**
 * The 1000 ImageNet classes in the standard (sorted-wnid, Keras/PyTorch) order, from
 * `data/imagenet-classes` of the home folder (`home`, default: see data/locations.ts).
 */
export function imagenetClasses(home?: string): ImagenetClass[] {
  const file = join(sharedDataDir(home), 'imagenet-classes', 'imagenet_class_index.json');
  const known = imagenet.get(file);
  if (known !== undefined) return known;
  if (!existsSync(file)) throw new Error(`ImageNet class list not found at ${file} (${HOME_HINT})`);
  const raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, [string, string]>;
  const classes = Object.entries(raw)
    .map(([i, [wnid, name]]) => ({ index: Number(i), wnid, name }))
    .sort((a, b) => a.index - b.index);
  imagenet.set(file, classes);
  return classes;
}

export function imagenetLabels(home?: string): string[] {
  return imagenetClasses(home).map((c) => c.name);
}

/** outputOrder for a network whose outputs follow `wnidsInNetworkOrder`: canonical j -> network index. */
export function outputOrderFromWnids(wnidsInNetworkOrder: readonly string[], home?: string): number[] {
  const position = new Map(wnidsInNetworkOrder.map((w, i) => [w, i]));
  return imagenetClasses(home).map((c) => {
    const i = position.get(c.wnid);
    if (i === undefined)
      throw new Error(`class ${c.wnid} (${c.name}) is missing from the network's class list`);
    return i;
  });
}

/** Finds a class index by number or by name (case-insensitive, spaces or underscores). */
export function classIndex(labels: readonly string[], query: string): number {
  const trimmed = query.trim();
  if (/^\d+$/.test(trimmed)) {
    const i = Number(trimmed);
    if (i >= labels.length)
      throw new Error(`class ${i} is out of range (the model has ${labels.length} classes)`);
    return i;
  }
  const norm = (s: string) =>
    s
      .toLowerCase()
      .replace(/[\s_-]+/g, ' ')
      .trim();
  const i = labels.findIndex((l) => norm(l) === norm(trimmed));
  if (i < 0)
    throw new Error(
      `unknown class '${query}' (give an index 0..${labels.length - 1} or an exact class name)`,
    );
  return i;
}
