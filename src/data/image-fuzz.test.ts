/**
 * Fuzzing the image decoders (seeded, about 12 s): random mutations of real PNGs and JPEGs (the example
 * images, small sample photos, a progressive JPEG, an interlaced PNG), including header fields rewritten
 * with valid CRCs so that they reach the decoders. Each must decode within the pixel limit or throw a
 * one-line Error naming the file: never crash, hang, or take gigabytes.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Rng } from '../engine/random.js';
import { describeFuzz, fuzz, mutate, type Mutator } from './fuzz-testing.js';
import { decodeImage, type DecodedImage } from './image-decode.js';
import { pngChunks } from './image-header.js';
import { interlacedPng, pngChunk } from './image-testing.js';
import { packageRoot, sharedDataDir } from './locations.js';

const MAX_PIXELS = 4_000_000;
const photos = join(sharedDataDir(), 'imagenet-sample-images');
const examples = join(packageRoot, 'examples', 'fashion-mnist');

/** A 48x32 progressive JPEG (PIL, quality 70) cut from n01440764_tench.JPEG. */
const PROGRESSIVE_JPEG = Buffer.from(
  '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAoHBwgHBgoICAgLCgoLDhgQDg0NDh0VFhEYIx8lJCIfIiEmKzcvJik0KSEiMEExNDk7Pj4+JS5ESUM8SDc9Pjv/2wBDAQoLCw4NDhwQEBw7KCIoOzs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozv/wgARCAAgADADASIAAhEBAxEB/8QAGgAAAgIDAAAAAAAAAAAAAAAAAwQBAgAFBv/EABcBAQEBAQAAAAAAAAAAAAAAAAMBAgT/2gAMAwEAAhADEAAAATLMxmKnpYkkwRywzzYXLbJqt43lmGed/wD/xAAfEAACAgEEAwAAAAAAAAAAAAAAAgEDEQQSEyEUIjH/2gAIAQEAAQUCx08YE7nEKblF2yfRkJI3wcrwTYpXYWzlrNQiHk2Mclh7yTqcDX2WkVNItItJFZ//xAAYEQADAQEAAAAAAAAAAAAAAAAAAQIhEP/aAAgBAwEBPwEw3ihig//EABkRAAMBAQEAAAAAAAAAAAAAAAABAhEDEP/aAAgBAgEBPwEesxeOpRXVH//EACIQAAEDBAAHAAAAAAAAAAAAAAABESECECIxIDJBUWGR4f/aAAgBAQAGPwKzMp8JRTGv2InUnVtE0uTQ1tm3XwRBzqSpijjPHZOH/8QAHhAAAgICAwEBAAAAAAAAAAAAAREAITFBUWFxkaH/2gAIAQEAAT8hAlDGEvIQSIVxUFwgPkNOicgKBknxAZAUWKm1y1AVqIV+oBEEIWbS6ljJbzNCSpQh8UEu6wbnR5WBOzsamSujUzgXsKaLXyI0oMan/9oADAMBAAIAAwAAABDcbW1Gj//EABgRAQEBAQEAAAAAAAAAAAAAAAEAETFB/9oACAEDAQE/EMhBhbDWb5Edv//EABgRAQEBAQEAAAAAAAAAAAAAAAEAESFB/9oACAECAQE/EFyCazh2yL63gv/EACEQAQACAQQDAQEBAAAAAAAAAAERIQAxQWFxUYGRofDB/9oACAEBAAE/EEiQxqETsf3ORyCNwajvE9HFoJ2nern1k4VCL77GAxMX8U4DS8LBem34LUdfXqecNFKSjsWmktfYxqJ2gFR6xUgI8H/c4NShkiLbiI+YZ4plfddYbzVtzUcbzOsfuIA5IMduhkvEdhX64pngDJc2fNfhiuY2WD61w4WwqLuLXtyKhPK/hgQj8DGnAeDXDZJZ/9k=',
  'base64',
);

function seedFiles(): { name: string; bytes: Buffer }[] {
  const files: { name: string; bytes: Buffer }[] = readdirSync(examples)
    .filter((f) => f.endsWith('.png'))
    .map((f) => ({ name: f, bytes: readFileSync(join(examples, f)) }));
  for (const f of ['n03584829_iron.JPEG', 'n01871265_tusker.JPEG', 'n03804744_nail.JPEG'])
    files.push({ name: f, bytes: readFileSync(join(photos, f)) });
  files.push({ name: 'progressive.jpg', bytes: PROGRESSIVE_JPEG });
  const tusker = decodeImage(readFileSync(join(photos, 'n01871265_tusker.JPEG')), 'tusker');
  files.push({ name: 'interlaced.png', bytes: interlacedPng(tusker.width, tusker.height, tusker.data) });
  return files;
}

/** Rewrites every chunk's CRC, so that a mutated header reaches the decoder instead of the CRC check. */
function fixCrcs(png: Buffer): Buffer {
  const parts = [png.subarray(0, 8)];
  for (const c of pngChunks(png)) parts.push(pngChunk(c.type, png.subarray(c.start, c.start + c.length)));
  return Buffer.concat(parts);
}

const SIZES = [0, 1, 2, 3, 28, 255, 1000, 2000, 65535, 0x7fffffff, 0xffffffff];

/** A PNG header field (width, height, bit depth, colour type, interlace...) set to a telling value. */
const pngHeaderField: Mutator = (bytes, rng) => {
  const out = Buffer.from(bytes);
  if (out.length < 29) return out;
  const field = rng.int(7);
  if (field < 2) out.writeUInt32BE(SIZES[rng.int(SIZES.length)], 16 + 4 * field);
  else out[22 + field] = [0, 1, 2, 3, 4, 6, 7, 8, 16, 255][rng.int(10)];
  return out;
};

/** A PNG chunk's length field set to a telling value. */
const pngChunkLength: Mutator = (bytes, rng) => {
  const chunks = pngChunks(bytes);
  const out = Buffer.from(bytes);
  if (chunks.length === 0) return out;
  out.writeUInt32BE(SIZES[rng.int(SIZES.length)], chunks[rng.int(chunks.length)].start - 8);
  return out;
};

/** A field of a JPEG marker segment (frame size, components, sampling, a segment length). */
const jpegSegmentField: Mutator = (bytes, rng) => {
  const out = Buffer.from(bytes);
  const segments: number[] = [];
  for (let at = 2; at + 4 <= out.length && out[at] === 0xff && out[at + 1] !== 0xda;) {
    segments.push(at);
    at += 2 + out.readUInt16BE(at + 2);
  }
  if (segments.length === 0) return out;
  const at = segments[rng.int(segments.length)];
  const offset = at + 2 + rng.int(12);
  if (offset + 1 < out.length) out.writeUInt16BE([0, 1, 2, 8, 255, 0x4000, 0xffff][rng.int(7)], offset);
  return out;
};

test('mutated PNGs and JPEGs decode within the limit or give one-line errors naming the file', async () => {
  const files = seedFiles();
  const report = await fuzz<DecodedImage>({
    seed: Number(process.env.ADVX_FUZZ_SEED ?? 11),
    budgetMs: 12_000,
    maxCases: 4000,
    input(rng: Rng, i: number) {
      const seed = files[rng.int(files.length)];
      const png = seed.name.endsWith('.png');
      const special = png ? [pngHeaderField, pngChunkLength] : [jpegSegmentField];
      let bytes = rng.next() < 0.4 ? mutate(seed.bytes, rng, special) : mutate(seed.bytes, rng);
      if (png && rng.next() < 0.7) bytes = fixCrcs(bytes);
      return { name: `case-${i}-${seed.name}`, bytes };
    },
    parse: (bytes, name) => decodeImage(bytes, name, { maxPixels: MAX_PIXELS }),
    checkResult(img, name) {
      assert.ok(img.width * img.height <= MAX_PIXELS, `${name}: ${img.width}x${img.height}`);
      assert.equal(img.data.length, img.width * img.height * 3, name);
    },
  });
  console.log(describeFuzz('image decoders', report));
  assert.deepEqual(report.failures.slice(0, 3), []);
  assert.ok(report.cases >= 150, `only ${report.cases} cases ran`);
  assert.ok(report.parsed > 0 && report.refused > 0, 'both outcomes seen');
  assert.ok(report.slowestMs < 3000, `${report.slowest} took ${report.slowestMs} ms`);
  assert.ok(report.peakRssMB < 1500, `peak RSS ${report.peakRssMB} MB`);
});
