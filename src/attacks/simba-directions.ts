/**
 * The orthonormal search directions of SimBA (Guo et al. 2019) and the order it tries them in:
 * - `pixel`: the standard basis, in a random order;
 * - `dct`: the 2-D DCT basis (orthonormal DCT-II per channel over the whole image, the inverse DCT of one
 *   coefficient), low frequencies first: a random order within the `freqDims` x `freqDims` block of lowest
 *   frequencies, then within each band of `stride` more rows and columns (the reference's "strided" order).
 * A direction is an index into the `[H, W, C]` coefficients: (u * W + v) * C + c for frequency (u, v) of
 * channel c, or the pixel (h, w, c).
 */
import type { Rng } from '../engine/random.js';

export type SimbaBasis = 'dct' | 'pixel';

/** Orthonormal DCT-II basis functions of length n: row k is alpha_k cos(pi (2i + 1) k / 2n), i < n. */
function dctTable(n: number): Float32Array {
  const table = new Float32Array(n * n);
  for (let k = 0; k < n; k++) {
    const alpha = Math.sqrt((k === 0 ? 1 : 2) / n);
    for (let i = 0; i < n; i++) table[k * n + i] = alpha * Math.cos((Math.PI * (2 * i + 1) * k) / (2 * n));
  }
  return table;
}

export class SimbaDirections {
  private readonly rowTable: Float32Array;
  private readonly colTable: Float32Array;

  constructor(
    readonly basis: SimbaBasis,
    readonly shape: readonly [number, number, number],
  ) {
    this.rowTable = basis === 'dct' ? dctTable(shape[0]) : new Float32Array(0);
    this.colTable = basis === 'dct' ? dctTable(shape[1]) : new Float32Array(0);
  }

  get count(): number {
    return this.shape[0] * this.shape[1] * this.shape[2];
  }

  /** The order in which directions are tried: pixels at random; DCT coefficients low frequencies first. */
  order(rng: Rng, freqDims: number, stride: number): Int32Array {
    if (this.basis === 'pixel') return rng.permutation(this.count);
    const [h, w, c] = this.shape;
    const out = new Int32Array(this.count);
    let filled = 0;
    const band = (lo: number, hi: number) => {
      // every coefficient whose larger frequency index max(u, v) is in [lo, hi), in a random order
      const members: number[] = [];
      for (let u = 0; u < Math.min(hi, h); u++)
        for (let v = 0; v < Math.min(hi, w); v++)
          if (Math.max(u, v) >= lo) for (let k = 0; k < c; k++) members.push((u * w + v) * c + k);
      const shuffle = rng.permutation(members.length);
      for (let j = 0; j < members.length; j++) out[filled++] = members[shuffle[j]];
    };
    band(0, freqDims);
    for (let lo = freqDims; lo < Math.max(h, w); lo += stride) band(lo, lo + stride);
    return out;
  }

  /** Direction `index` as image values `[H, W, C]` (unit L2 norm). */
  vector(index: number): Float32Array {
    const [h, w, c] = this.shape;
    const out = new Float32Array(this.count);
    if (this.basis === 'pixel') {
      out[index] = 1;
      return out;
    }
    const k = index % c;
    const v = Math.floor(index / c) % w;
    const u = Math.floor(index / (c * w));
    for (let i = 0; i < h; i++) {
      const rowValue = this.rowTable[u * h + i];
      for (let j = 0; j < w; j++) out[(i * w + j) * c + k] = rowValue * this.colTable[v * w + j];
    }
    return out;
  }
}
