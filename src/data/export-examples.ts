/**
 * Writes the first Fashion-MNIST test images as PNG files, `<testIndex>-<class-slug>.png` (e.g.
 * `0-ankle-boot.png`), into `examples/fashion-mnist/` of the package, so the CLI can be tried offline.
 *
 *   node dist/data/export-examples.js [COUNT] [--out DIR]
 */
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadFashionMnist } from './datasets.js';
import { packageRoot } from './locations.js';
import { encodePng, writePngFile } from './png.js';

/** `Ankle boot` -> `ankle-boot`, `T-shirt/top` -> `t-shirt-top`. */
export function classSlug(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

export function examplesDir(): string {
  return join(packageRoot, 'examples', 'fashion-mnist');
}

/** The file name of Fashion-MNIST test image `index` with label name `className`. */
export function exampleFileName(index: number, className: string): string {
  return `${index}-${classSlug(className)}.png`;
}

/** Writes the first `count` Fashion-MNIST test images as 28x28 gray PNGs; returns the paths written. */
export function exportFashionMnistExamples(outDir = examplesDir(), count = 8, overwrite = true): string[] {
  const data = loadFashionMnist('test', count);
  const [h, w, c] = data.shape;
  const size = h * w * c;
  const files: string[] = [];
  for (let i = 0; i < data.count; i++) {
    const file = join(outDir, exampleFileName(i, data.classNames[data.labels[i]]));
    const png = encodePng(data.images.subarray(i * size, (i + 1) * size), h, w, c as 1, [0, 1]);
    writePngFile(file, png, { overwrite });
    files.push(file);
  }
  return files;
}

function main(argv: string[]): void {
  let outDir = examplesDir();
  let count = 8;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out') outDir = resolve(argv[++i] ?? '.');
    else if (/^\d+$/.test(argv[i])) count = Number(argv[i]);
    else throw new Error(`export-examples: unknown argument '${argv[i]}' (usage: [COUNT] [--out DIR])`);
  }
  for (const file of exportFashionMnistExamples(outDir, count)) console.log(file);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    console.error((error as Error).message);
    process.exitCode = 1;
  }
}
