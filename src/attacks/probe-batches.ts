/**
 * Batches of probes: score- and decision-based attacks send many images per input in one query batch (each
 * input's rows one after another) and keep the working set small by sending them in chunks.
 */
import { tf, type Tensor } from '../engine/tf.js';

/** Each row of `t` repeated `times` times in a row: rows `[a, a, b, b]` for `[a, b]` and 2. */
export function repeatEachRow<T extends Tensor>(t: T, times: number): T {
  return tf.tidy(() => {
    const index: number[] = [];
    for (let i = 0; i < t.shape[0]; i++) for (let k = 0; k < times; k++) index.push(i);
    return tf.gather(t, tf.tensor1d(index, 'int32'));
  }) as T;
}

/** Owners of the rows `repeatEachRow` makes: each of `rows` repeated `times` times. */
export function repeatOwners(rows: readonly number[], times: number): number[] {
  return rows.flatMap((row) => new Array<number>(times).fill(row));
}

/** Number of images of `size` values each that fit a working set of about 2^22 floats (16 MB). */
export function imagesPerChunk(size: number): number {
  return Math.max(1, Math.floor(4_194_304 / size));
}
