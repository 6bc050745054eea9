import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadFashionMnist } from './datasets.js';
import { classSlug, exampleFileName, examplesDir, exportFashionMnistExamples } from './export-examples.js';
import { readImageFile } from './image-decode.js';
import { readIdxImages } from './idx.js';
import { fashionMnistDir } from './locations.js';

test('class slugs', () => {
  assert.equal(classSlug('Ankle boot'), 'ankle-boot');
  assert.equal(classSlug('T-shirt/top'), 't-shirt-top');
  assert.equal(exampleFileName(0, 'Ankle boot'), '0-ankle-boot.png');
});

test('the shipped example PNGs decode to the IDX pixels of the first 8 Fashion-MNIST test images', () => {
  const idx = readIdxImages(join(fashionMnistDir(), 't10k-images-idx3-ubyte.gz'));
  const ds = loadFashionMnist('test', 8);
  const files = readdirSync(examplesDir()).filter((f) => f.endsWith('.png'));
  assert.equal(files.length, 8);
  for (let i = 0; i < 8; i++) {
    const name = exampleFileName(i, ds.classNames[ds.labels[i]]);
    assert.ok(files.includes(name), `${name} is shipped`);
    const img = readImageFile(join(examplesDir(), name));
    assert.equal(img.width, 28);
    assert.equal(img.height, 28);
    for (let p = 0; p < 784; p++) {
      const v = idx.pixels[i * 784 + p];
      assert.ok(
        img.data[3 * p] === v && img.data[3 * p + 1] === v && img.data[3 * p + 2] === v,
        `${name} pixel ${p}`,
      );
    }
  }
});

test('exporting again reproduces the shipped files byte for byte', () => {
  const dir = mkdtempSync(join(tmpdir(), 'advx-examples-'));
  try {
    const written = exportFashionMnistExamples(dir, 3, false);
    assert.equal(written.length, 3);
    for (const file of written) {
      const shipped = join(examplesDir(), file.slice(dir.length + 1));
      assert.ok(existsSync(shipped));
      assert.deepEqual(readFileSync(file), readFileSync(shipped));
    }
    assert.throws(() => exportFashionMnistExamples(dir, 1, false), /refusing to overwrite/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
