/**
 * scikit-learn's 8x8 handwritten digits (1797 images, UCI optdigits test set): a small, fast data set
 * for the classical classifiers. The CSV (`digits.csv.gz`, one image a line: 64 pixel counts 0..16 then
 * the label) ships with scikit-learn (Debian `python3-sklearn`).
 *
 * Location: `ADVX_DIGITS` (the .csv.gz file), or the Debian path.
 */
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { DIGIT_CLASSES, type ImageDataset } from '../data/datasets.js';

export const DEFAULT_DIGITS_FILE = '/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz';

export function digitsFile(): string {
  const fromEnv = process.env.ADVX_DIGITS;
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : DEFAULT_DIGITS_FILE;
}

/** Parses the digits CSV text: pixel values are divided by 16 so that they lie in [0,1]. */
export function parseDigitsCsv(text: string, file = 'digits.csv', limit?: number): ImageDataset {
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  const count = Math.min(lines.length, limit ?? lines.length);
  const images = new Float32Array(count * 64);
  const labels = new Uint8Array(count);
  for (let n = 0; n < count; n++) {
    const cells = lines[n].split(',');
    if (cells.length !== 65)
      throw new Error(`${file}: line ${n + 1} has ${cells.length} values, expected 64 pixels and a label`);
    for (let j = 0; j < 65; j++) {
      const v = Number(cells[j]);
      const max = j < 64 ? 16 : 9;
      if (!Number.isInteger(v) || v < 0 || v > max)
        throw new Error(
          `${file}: line ${n + 1}, value ${j + 1} is '${cells[j]}', expected an integer 0..${max}`,
        );
      if (j < 64) images[n * 64 + j] = v / 16;
      else labels[n] = v;
    }
  }
  if (count === 0) throw new Error(`${file}: no images`);
  return { name: 'digits', images, labels, count, shape: [8, 8, 1], classNames: [...DIGIT_CLASSES] };
}

/** Loads the 8x8 digits (pixels in [0,1], shape [8,8,1], classes '0'..'9'). */
export function loadDigits(limit?: number, file: string = digitsFile()): ImageDataset {
  if (!existsSync(file))
    throw new Error(
      `digits data set not found at ${file} (apt-get install python3-sklearn, or set ADVX_DIGITS)`,
    );
  let text: string;
  try {
    const raw = readFileSync(file);
    text = (file.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
  } catch (error) {
    throw new Error(`${file}: cannot read the digits CSV (${(error as Error).message})`, { cause: error });
  }
  return parseDigitsCsv(text, file, limit);
}
