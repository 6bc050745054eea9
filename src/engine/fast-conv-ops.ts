/**
 * Convolution gradients written as forward convolutions, for training on the wasm backend (the ops; the
 * layer patch that makes networks use them is in unfused-layers.ts).
 *
 * On wasm (tfjs 4.22) the weight gradient of a convolution (Conv2DBackpropFilter, provided by the engine
 * as strided slices + matMuls) and the native Conv2DBackpropInput are 10-25x slower than a forward
 * convolution of the same size (measured: the 4x4 stride-2 32->64 layer of the GAN's discriminator, batch
 * 64: 1545 ms vs 60 ms). Both gradients are themselves convolutions:
 *
 * - dW = conv(x with batch and channels swapped, dy as the filter, dilation = stride): one XNNPACK conv;
 * - dx = conv(dy spread onto the stride grid and padded, the filter flipped with in/out swapped).
 *
 * `fastConv2d` and `fastConv2dTranspose` are ops with these gradients (tf.customGrad). Both gradients are
 * checked against tfjs' kernels in fast-conv-ops.test.ts.
 */
import { tf, type Tensor4D } from './tf.js';

export type ConvPadding = 'same' | 'valid';
type Pair = [number, number];

/** A stride, kernel size or dilation as [rows, columns]. */
export const pair = (v: number | number[]): Pair => (Array.isArray(v) ? [v[0], v[1] ?? v[0]] : [v, v]);

function convInfo(xShape: number[], filterShape: number[], strides: Pair, pad: ConvPadding) {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    1,
    pad,
  );
}

/** Weight gradient of y = conv2d(x, w, strides, pad): dW[kh,kw,ci,co] = sum x[n, oh*s+kh, ow*s+kw, ci] dy[n,oh,ow,co]. */
export function conv2dFilterGradient(
  x: Tensor4D,
  dy: Tensor4D,
  filterShape: number[],
  strides: number | number[],
  pad: ConvPadding,
): Tensor4D {
  return tf.tidy(() => {
    const s = pair(strides);
    const info = convInfo(x.shape, filterShape, s, pad);
    const [kh, kw] = filterShape;
    const p = info.padInfo;
    // Rows/columns beyond the last window never reach an output: pad what is needed, crop the rest
    // (slices are slow on wasm: crop only when there is something to crop).
    const needH = (info.outHeight - 1) * s[0] + kh;
    const needW = (info.outWidth - 1) * s[1] + kw;
    let xp = tf.pad(x, [
      [0, 0],
      [p.top, Math.max(0, needH - p.top - x.shape[1])],
      [p.left, Math.max(0, needW - p.left - x.shape[2])],
      [0, 0],
    ]);
    if (xp.shape[1] !== needH || xp.shape[2] !== needW)
      xp = tf.slice(xp, [0, 0, 0, 0], [-1, needH, needW, -1]);
    const swapped = tf.transpose(xp, [3, 1, 2, 0]) as Tensor4D; // [ci, H, W, N]
    const filter = tf.transpose(dy, [1, 2, 0, 3]) as Tensor4D; // [oh, ow, N, co]
    const out = tf.conv2d(swapped, filter, 1, 'valid', 'NHWC', s); // [ci, kh, kw, co]
    return tf.transpose(out, [1, 2, 0, 3]) as Tensor4D;
  });
}

/** Spreads dy onto the stride grid, zeros between and s-1 zero rows/columns after: [N, H*sh, W*sw, C]. */
export function spread(dy: Tensor4D, [sh, sw]: Pair): Tensor4D {
  if (sh === 1 && sw === 1) return dy;
  const [n, h, w, c] = dy.shape;
  const grown = tf.pad(tf.reshape(dy, [n, h, 1, w, 1, c]), [
    [0, 0],
    [0, 0],
    [0, sh - 1],
    [0, 0],
    [0, sw - 1],
    [0, 0],
  ]);
  return tf.reshape(grown, [n, h * sh, w * sw, c]);
}

/**
 * Input gradient of y = conv2d(x, w, strides, pad) for x of `inputShape`, as forward convolutions. With
 * a stride s > 1 that divides the input size, it is computed phase by phase (the s*s sub-grids of x
 * each get a stride-1 convolution of dy with a sub-kernel: no multiplications by the zeros of a
 * spread-out dy); otherwise as one convolution of the spread-out dy.
 */
export function conv2dInputGradient(
  dy: Tensor4D,
  w: Tensor4D,
  inputShape: number[],
  strides: number | number[],
  pad: ConvPadding,
): Tensor4D {
  const s = pair(strides);
  if ((s[0] > 1 || s[1] > 1) && inputShape[1] % s[0] === 0 && inputShape[2] % s[1] === 0) {
    return phasedInputGradient(dy, w, inputShape, s, pad);
  }
  return spreadInputGradient(dy, w, inputShape, s, pad);
}

/** Pads (or crops, for negative amounts) rows and columns of x: [top, bottom], [left, right]. */
function padOrCrop(x: Tensor4D, [top, bottom]: Pair, [left, right]: Pair): Tensor4D {
  let out = x;
  if (top > 0 || bottom > 0 || left > 0 || right > 0) {
    out = tf.pad(out, [
      [0, 0],
      [Math.max(0, top), Math.max(0, bottom)],
      [Math.max(0, left), Math.max(0, right)],
      [0, 0],
    ]);
  }
  if (top < 0 || bottom < 0 || left < 0 || right < 0) {
    const rows = out.shape[1] - Math.max(0, -top) - Math.max(0, -bottom);
    const cols = out.shape[2] - Math.max(0, -left) - Math.max(0, -right);
    out = tf.slice(out, [0, Math.max(0, -top), Math.max(0, -left), 0], [-1, rows, cols, -1]);
  }
  return out;
}

/**
 * dx[s*q + r] = sum_m dy[q + c - m] * w[a + s*m] per phase r (rows; columns alike), with
 * a = (r + padTop) mod s and c = (r + padTop - a) / s: a stride-1 correlation of dy, padded by
 * M - 1 - c on top (M = number of taps of the sub-kernel), with the flipped sub-kernel w[a::s].
 */
function phasedInputGradient(
  dy: Tensor4D,
  w: Tensor4D,
  inputShape: number[],
  s: Pair,
  pad: ConvPadding,
): Tensor4D {
  return tf.tidy(() => {
    const info = convInfo(inputShape, w.shape, s, pad);
    const [kh, kw, ci] = w.shape;
    const [n, h, wd] = inputShape;
    const [oh, ow] = [dy.shape[1], dy.shape[2]];
    const qh = h / s[0];
    const qw = wd / s[1];
    const phase = (r: number, padBefore: number, stride: number, k: number, q: number, o: number) => {
      const a = (r + padBefore) % stride;
      const c = (r + padBefore - a) / stride;
      const taps = Math.max(0, Math.ceil((k - a) / stride));
      const before = taps - 1 - c;
      return { a, taps, before, after: q + taps - 1 - before - o };
    };
    const rows: Tensor4D[] = [];
    for (let r = 0; r < s[0]; r++) {
      const pr = phase(r, info.padInfo.top, s[0], kh, qh, oh);
      const cols: Tensor4D[] = [];
      for (let c = 0; c < s[1]; c++) {
        const pc = phase(c, info.padInfo.left, s[1], kw, qw, ow);
        if (pr.taps === 0 || pc.taps === 0) {
          cols.push(tf.zeros([n, qh, qw, ci]));
          continue;
        }
        const sub = tf.stridedSlice(
          w,
          [pr.a, pc.a, 0, 0],
          [kh, kw, w.shape[2], w.shape[3]],
          [s[0], s[1], 1, 1],
        ) as Tensor4D;
        const filter = tf.transpose(tf.reverse(sub, [0, 1]), [0, 1, 3, 2]) as Tensor4D;
        const input = padOrCrop(dy, [pr.before, pr.after], [pc.before, pc.after]);
        cols.push(tf.conv2d(input, filter, 1, 'valid'));
      }
      // Interleave the column phases: [N, qh, qw, s1, ci] -> [N, qh, W, ci].
      rows.push(s[1] === 1 ? cols[0] : (tf.reshape(tf.stack(cols, 3), [n, qh, wd, ci]) as Tensor4D));
    }
    return s[0] === 1 ? rows[0] : (tf.reshape(tf.stack(rows, 2), [n, h, wd, ci]) as Tensor4D);
  });
}

function spreadInputGradient(
  dy: Tensor4D,
  w: Tensor4D,
  inputShape: number[],
  s: Pair,
  pad: ConvPadding,
): Tensor4D {
  return tf.tidy(() => {
    const info = convInfo(inputShape, w.shape, s, pad);
    const [kh, kw] = w.shape;
    const [, h, wd] = inputShape;
    const p = info.padInfo;
    const d = spread(dy, s);
    // d holds (oh-1)*s+1 meaningful rows then s-1 zero rows; the conv input needs h + kh - 1 rows:
    // `top` zeros, the spread dy, zeros to the end. Negative amounts are crops (slices are slow on wasm,
    // so crop only when needed).
    const top = kh - 1 - p.top;
    const left = kw - 1 - p.left;
    const rows = h + kh - 1;
    const cols = wd + kw - 1;
    const bottom = rows - top - d.shape[1];
    const right = cols - left - d.shape[2];
    let padded = tf.pad(d, [
      [0, 0],
      [Math.max(0, top), Math.max(0, bottom)],
      [Math.max(0, left), Math.max(0, right)],
      [0, 0],
    ]);
    if (top < 0 || left < 0 || padded.shape[1] !== rows || padded.shape[2] !== cols) {
      padded = tf.slice(padded, [0, Math.max(0, -top), Math.max(0, -left), 0], [-1, rows, cols, -1]);
    }
    const filter = tf.transpose(tf.reverse(w, [0, 1]), [0, 1, 3, 2]) as Tensor4D;
    return tf.conv2d(padded as Tensor4D, filter, 1, 'valid');
  });
}

/**
 * conv2d(x, w) whose gradients are forward convolutions (see the file comment). With `weightGradient`
 * false the gradient with respect to w is zero (for input-only gradients: attacks, projections).
 */
export function fastConv2d(
  x: Tensor4D,
  w: Tensor4D,
  strides: number | number[],
  pad: ConvPadding,
  weightGradient = true,
): Tensor4D {
  const s = pair(strides);
  const op = tf.customGrad(((xi: tf.Tensor, wi: tf.Tensor, save: tf.GradSaveFunc) => {
    save([xi, wi]);
    return {
      value: tf.conv2d(xi as Tensor4D, wi as Tensor4D, s, pad),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ws] = saved as Tensor4D[];
        const dw = weightGradient
          ? conv2dFilterGradient(xs, dy as Tensor4D, ws.shape, s, pad)
          : tf.zerosLike(ws);
        return [conv2dInputGradient(dy as Tensor4D, ws, xs.shape, s, pad), dw];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(x, w) as Tensor4D;
}

/**
 * The transposed convolution of tfjs' conv2dTranspose (w: [kh, kw, outChannels, inChannels]) producing
 * `outputShape`, with forward-convolution gradients.
 */
export function fastConv2dTranspose(
  x: Tensor4D,
  w: Tensor4D,
  outputShape: [number, number, number, number],
  strides: number | number[],
  pad: ConvPadding,
  weightGradient = true,
): Tensor4D {
  const s = pair(strides);
  const op = tf.customGrad(((xi: tf.Tensor, wi: tf.Tensor, save: tf.GradSaveFunc) => {
    save([xi, wi]);
    return {
      value: conv2dInputGradient(xi as Tensor4D, wi as Tensor4D, outputShape, s, pad),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ws] = saved as Tensor4D[];
        const dw = weightGradient
          ? conv2dFilterGradient(dy as Tensor4D, xs, ws.shape, s, pad)
          : tf.zerosLike(ws);
        return [tf.conv2d(dy as Tensor4D, ws, s, pad), dw];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(x, w) as Tensor4D;
}
