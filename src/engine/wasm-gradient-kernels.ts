/**
 * Gradient kernels that tfjs' wasm backend lacks (tfjs 4.22): Conv2DBackpropFilter,
 * DepthwiseConv2dNativeBackpropInput and DepthwiseConv2dNativeBackpropFilter.
 *
 * Each is written with ops the wasm backend does have (strided slices, matMul, depthwise forward
 * convolution), so they run at wasm speed. A kernel may return a Tensor: the engine then uses it as the
 * output as it is (see Engine.runKernelFunc), and tidy() disposes every intermediate.
 */
import { spread } from './fast-conv-ops.js';
import { tf, type Tensor4D } from './tf.js';

type PoolAttrs = {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
};

type ConvAttrs = {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dilations?: number | [number, number];
};

function assertChannelsLast(kernel: string, dataFormat: string | undefined): void {
  if (dataFormat !== undefined && dataFormat !== 'NHWC') {
    throw new Error(`advx: ${kernel} on wasm supports NHWC only (got ${dataFormat})`);
  }
}

function convInfo(xShape: number[], filterShape: number[], attrs: ConvAttrs, depthwise: boolean) {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    depthwise,
  );
}

/** The input window that kernel tap (kh, kw) sees for every output position: [N, outH, outW, C]. */
function tapSlice(xPadded: Tensor4D, kh: number, kw: number, info: tf.backend_util.Conv2DInfo): Tensor4D {
  const [n, , , c] = xPadded.shape;
  const top = kh * info.dilationHeight;
  const left = kw * info.dilationWidth;
  return tf.stridedSlice(
    xPadded,
    [0, top, left, 0],
    [
      n,
      top + (info.outHeight - 1) * info.strideHeight + 1,
      left + (info.outWidth - 1) * info.strideWidth + 1,
      c,
    ],
    [1, info.strideHeight, info.strideWidth, 1],
  ) as Tensor4D;
}

function padForConv(x: Tensor4D, info: tf.backend_util.Conv2DInfo): Tensor4D {
  const p = info.padInfo;
  // Rows/columns past the last window can be cut: they never reach an output.
  return tf.pad(x, [
    [0, 0],
    [p.top, Math.max(0, p.bottom)],
    [p.left, Math.max(0, p.right)],
    [0, 0],
  ]);
}

/**
 * For stride 1 the input gradient is one convolution of dy with the flipped filter, padded by
 * (k - 1 - pad) on each side: no dilation, no crop, no copies. Null when a side would need negative
 * padding (then the general path runs).
 */
function stride1Padding(
  info: tf.backend_util.Conv2DInfo,
  kh: number,
  kw: number,
): tf.backend_util.ExplicitPadding | null {
  if (info.strideHeight !== 1 || info.strideWidth !== 1) return null;
  const p = info.padInfo;
  const sides = [kh - 1 - p.top, kh - 1 - p.bottom, kw - 1 - p.left, kw - 1 - p.right];
  if (sides.some((v) => v < 0)) return null;
  return [
    [0, 0],
    [sides[0], sides[1]],
    [sides[2], sides[3]],
    [0, 0],
  ];
}

/** Crops a gradient computed on the padded input grid back to the input's own window. */
function cropToInput(full: Tensor4D, inputShape: number[], info: tf.backend_util.Conv2DInfo): Tensor4D {
  const [n, h, w, c] = inputShape;
  const p = info.padInfo;
  const paddedH = h + p.top + p.bottom;
  const paddedW = w + p.left + p.right;
  const grown = tf.pad(full, [
    [0, 0],
    [0, Math.max(0, paddedH - full.shape[1])],
    [0, Math.max(0, paddedW - full.shape[2])],
    [0, 0],
  ]);
  return tf.slice(grown, [0, p.top, p.left, 0], [n, h, w, c]);
}

/**
 * dx of a convolution (also the forward pass of a transposed convolution), as a forward convolution:
 * a 1x1 stride-1 convolution's input gradient is one matMul; in general it is a stride-1 convolution of
 * the dilated, fully padded dy with the flipped filter whose in/out channels are swapped. This runs on
 * XNNPACK, where wasm's own Conv2DBackpropInput kernel is a naive loop (15x slower on MobileNet).
 */
export function conv2dInputGradient(
  dy: Tensor4D,
  filter: Tensor4D,
  inputShape: number[],
  attrs: ConvAttrs,
): Tensor4D {
  return tf.tidy(() => {
    const info = convInfo(inputShape, filter.shape, attrs, false);
    if (info.dilationHeight !== 1 || info.dilationWidth !== 1) {
      throw new Error('advx: conv2d input gradient on wasm supports dilation 1 only');
    }
    const [kh, kw] = filter.shape;
    const p = info.padInfo;
    const pointwise =
      kh === 1 &&
      kw === 1 &&
      info.strideHeight === 1 &&
      info.strideWidth === 1 &&
      p.top === 0 &&
      p.left === 0;
    const transposed = tf.transpose(filter, [0, 1, 3, 2]) as Tensor4D;
    const swapped = kh === 1 && kw === 1 ? transposed : (tf.reverse(transposed, [0, 1]) as Tensor4D);
    if (pointwise && info.outHeight === inputShape[1] && info.outWidth === inputShape[2]) {
      return tf.conv2d(dy, swapped, 1, 'valid'); // 1x1: a forward 1x1 convolution with in/out swapped
    }
    const direct = stride1Padding(info, kh, kw);
    if (direct !== null) return tf.conv2d(dy, swapped, 1, direct);
    const spread = tf.pad(dilate(dy, info.strideHeight, info.strideWidth), [
      [0, 0],
      [kh - 1, kh - 1],
      [kw - 1, kw - 1],
      [0, 0],
    ]);
    return cropToInput(tf.conv2d(spread, swapped, 1, 'valid'), inputShape, info);
  });
}

/**
 * dW[kh,kw,ci,co] = sum over n,oh,ow of xPadded[n, oh*s+kh, ow*s+kw, ci] * dy[n,oh,ow,co]: itself one
 * convolution on XNNPACK, of xPadded with batch and channels swapped ([ci, H, W, n]) by dy used as the
 * filter ([oh, ow, n, co]) at dilation = stride. (Formulation first used in the project by the GAN and
 * adversarial-training code; 10-25x faster than per-tap matMuls.)
 */
export function conv2dFilterGradient(
  x: Tensor4D,
  dy: Tensor4D,
  filterShape: number[],
  attrs: ConvAttrs,
): tf.Tensor {
  return tf.tidy(() => {
    const info = convInfo(x.shape, filterShape, attrs, false);
    if (info.dilationHeight !== 1 || info.dilationWidth !== 1) {
      throw new Error('advx: conv2d filter gradient on wasm supports dilation 1 only');
    }
    const [kh, kw, ci, co] = filterShape;
    const xp = padForConv(x, info);
    if (kh === 1 && kw === 1) {
      // 1x1: one matMul of the strided input against dy is faster than the convolution below.
      const rows = x.shape[0] * info.outHeight * info.outWidth;
      const taps = tf.reshape(tapSlice(xp, 0, 0, info), [rows, ci]);
      return tf.reshape(tf.matMul(tf.transpose(taps), tf.reshape(dy, [rows, co])), filterShape);
    }
    const swapped = tf.transpose(xp, [3, 1, 2, 0]) as Tensor4D;
    const dyFilter = tf.transpose(dy, [1, 2, 0, 3]) as Tensor4D;
    const dilations: [number, number] = [info.strideHeight, info.strideWidth];
    const full = tf.conv2d(swapped, dyFilter, 1, 'valid', 'NHWC', dilations);
    const taps = tf.slice(full, [0, 0, 0, 0], [ci, kh, kw, co]);
    return tf.transpose(taps, [1, 2, 0, 3]);
  });
}

/** Spreads dy onto a grid `stride` times finer, zeros between: [N, (H-1)*s+1, (W-1)*s+1, C]. */
function dilate(dy: Tensor4D, sh: number, sw: number): Tensor4D {
  if (sh === 1 && sw === 1) return dy;
  const [n, h, w, c] = dy.shape;
  return tf.slice(spread(dy, [sh, sw]), [0, 0, 0, 0], [n, (h - 1) * sh + 1, (w - 1) * sw + 1, c]);
}

/**
 * dx of a depthwise convolution: a stride-1 depthwise convolution of the dilated, fully padded dy with
 * the spatially flipped filter, then cropped back to the input's window.
 */
export function depthwiseInputGradient(
  dy: Tensor4D,
  filter: Tensor4D,
  inputShape: number[],
  attrs: ConvAttrs,
): Tensor4D {
  return tf.tidy(() => {
    const info = convInfo(inputShape, filter.shape, attrs, true);
    if (info.dilationHeight !== 1 || info.dilationWidth !== 1) {
      throw new Error('advx: depthwise input gradient on wasm supports dilation 1 only');
    }
    const [kh, kw, c, mult] = filter.shape;
    const n = inputShape[0];
    const flipped = tf.reverse(filter, [0, 1]);
    const direct = stride1Padding(info, kh, kw);
    let full: Tensor4D | null = null;
    for (let m = 0; m < mult; m++) {
      const dyM =
        mult === 1
          ? dy
          : (tf.reshape(
              tf.slice(
                tf.reshape(dy, [n, info.outHeight, info.outWidth, c, mult]),
                [0, 0, 0, 0, m],
                [-1, -1, -1, -1, 1],
              ),
              [n, info.outHeight, info.outWidth, c],
            ) as Tensor4D);
      const fM = mult === 1 ? flipped : tf.slice(flipped, [0, 0, 0, m], [-1, -1, -1, 1]);
      if (direct !== null) {
        const part = tf.depthwiseConv2d(dyM, fM as Tensor4D, 1, direct);
        full = full === null ? part : tf.add(full, part);
        continue;
      }
      const spread = tf.pad(dilate(dyM, info.strideHeight, info.strideWidth), [
        [0, 0],
        [kh - 1, kh - 1],
        [kw - 1, kw - 1],
        [0, 0],
      ]);
      const part = tf.depthwiseConv2d(spread, fM as Tensor4D, 1, 'valid');
      full = full === null ? part : tf.add(full, part);
    }
    return direct !== null ? (full as Tensor4D) : cropToInput(full as Tensor4D, inputShape, info);
  });
}

/** dW[kh,kw,c,m] = sum over n,oh,ow of xPadded[n, oh*s+kh, ow*s+kw, c] * dy[n,oh,ow,c*mult+m]. */
export function depthwiseFilterGradient(
  x: Tensor4D,
  dy: Tensor4D,
  filterShape: number[],
  attrs: ConvAttrs,
): tf.Tensor {
  return tf.tidy(() => {
    const info = convInfo(x.shape, filterShape, attrs, true);
    const [kh, kw, c, mult] = filterShape;
    const xp = padForConv(x, info);
    const dy5 = tf.reshape(dy, [x.shape[0], info.outHeight, info.outWidth, c, mult]);
    const taps: tf.Tensor[] = [];
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        taps.push(tf.sum(tf.mul(tf.expandDims(tapSlice(xp, i, j, info), 4), dy5), [0, 1, 2]));
      }
    }
    return tf.reshape(tf.stack(taps), [kh, kw, c, mult]);
  });
}

/**
 * dx of a max pool, the reference semantics of the cpu backend: each window's gradient goes to its first
 * maximum in scan order. (tfjs-wasm 4.22's own MaxPoolGrad sends it to the wrong pixel: max error 1.07
 * against cpu on random inputs, 2.7 when a window is all negative, as after LeakyReLU in Darknet.)
 * One pass over the typed arrays: on wasm this beats any composition of tf ops (strided slices,
 * transposes and broadcast comparisons all take slow paths there).
 */
export function maxPoolInputGradient(dy: Tensor4D, x: Tensor4D, attrs: PoolAttrs): Tensor4D {
  const info = tf.backend_util.computePool2DInfo(
    x.shape,
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const [n, h, w, c] = x.shape;
  const { outHeight, outWidth, strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const { top, left } = info.padInfo;
  const xs = x.dataSync();
  const dys = dy.dataSync();
  const dx = new Float32Array(x.size);
  const best = new Float32Array(c);
  const where = new Int32Array(c);
  for (let b = 0; b < n; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        best.fill(-Infinity);
        where.fill(-1);
        for (let i = 0; i < filterHeight; i++) {
          const row = oh * strideHeight - top + i;
          if (row < 0 || row >= h) continue;
          for (let j = 0; j < filterWidth; j++) {
            const col = ow * strideWidth - left + j;
            if (col < 0 || col >= w) continue;
            const base = ((b * h + row) * w + col) * c;
            for (let k = 0; k < c; k++) {
              if (xs[base + k] > best[k] || where[k] < 0) {
                best[k] = xs[base + k];
                where[k] = base + k;
              }
            }
          }
        }
        const out = ((b * outHeight + oh) * outWidth + ow) * c;
        for (let k = 0; k < c; k++) if (where[k] >= 0) dx[where[k]] += dys[out + k];
      }
    }
  }
  return tf.tensor4d(dx, x.shape);
}

/** out[s] = sum of the rows of x whose segment id is s (the gradient of gather): one matMul. */
export function unsortedSegmentSum(x: tf.Tensor, segmentIds: tf.Tensor, numSegments: number): tf.Tensor {
  return tf.tidy(() => {
    const rows = x.shape[0];
    // tf.oneHot refuses depth 1: one segment holds every row whose id is 0.
    const onehot =
      numSegments === 1
        ? tf.reshape(tf.cast(tf.equal(segmentIds, 0), 'float32'), [rows, 1])
        : tf.oneHot(tf.cast(segmentIds, 'int32') as tf.Tensor1D, numSegments);
    const sums = tf.matMul(tf.transpose(onehot), tf.reshape(tf.cast(x, 'float32'), [rows, -1]));
    return tf.cast(tf.reshape(sums, [numSegments, ...x.shape.slice(1)]), x.dtype);
  });
}

let registered = false;

/** Registers the missing gradient kernels for the wasm backend (idempotent). */
export function registerWasmGradientKernels(): void {
  if (registered) return;
  registered = true;
  const have = new Set(tf.getKernelsForBackend('wasm').map((k) => k.kernelName));
  const add = (kernelName: string, kernelFunc: tf.KernelFunc, replace = false) => {
    if (have.has(kernelName)) {
      if (!replace) return;
      tf.unregisterKernel(kernelName, 'wasm');
    }
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
  };
  add(
    'Conv2DBackpropInput',
    ({ inputs, attrs }) => {
      const a = attrs as unknown as ConvAttrs & { inputShape: number[] };
      assertChannelsLast('Conv2DBackpropInput', a.dataFormat);
      return conv2dInputGradient(
        inputs.dy as Tensor4D,
        inputs.filter as Tensor4D,
        a.inputShape,
        a,
      ) as unknown as tf.TensorInfo;
    },
    true,
  );
  add('Conv2DBackpropFilter', ({ inputs, attrs }) => {
    const a = attrs as unknown as ConvAttrs & { filterShape: number[] };
    assertChannelsLast('Conv2DBackpropFilter', a.dataFormat);
    return conv2dFilterGradient(
      inputs.x as Tensor4D,
      inputs.dy as Tensor4D,
      a.filterShape,
      a,
    ) as unknown as tf.TensorInfo;
  });
  add(
    'MaxPoolGrad',
    ({ inputs, attrs }) =>
      maxPoolInputGradient(
        inputs.dy as Tensor4D,
        inputs.input as Tensor4D,
        attrs as unknown as PoolAttrs,
      ) as unknown as tf.TensorInfo,
    true,
  );
  add('UnsortedSegmentSum', ({ inputs, attrs }) => {
    const { numSegments } = attrs as unknown as { numSegments: number };
    return unsortedSegmentSum(
      inputs.x as tf.Tensor,
      inputs.segmentIds as tf.Tensor,
      numSegments,
    ) as unknown as tf.TensorInfo;
  });
  add('DepthwiseConv2dNativeBackpropInput', ({ inputs, attrs }) => {
    const a = attrs as unknown as ConvAttrs & { inputShape: number[] };
    return depthwiseInputGradient(
      inputs.dy as Tensor4D,
      inputs.filter as Tensor4D,
      a.inputShape,
      a,
    ) as unknown as tf.TensorInfo;
  });
  add('DepthwiseConv2dNativeBackpropFilter', ({ inputs, attrs }) => {
    const a = attrs as unknown as ConvAttrs & { filterShape: number[] };
    return depthwiseFilterGradient(
      inputs.x as Tensor4D,
      inputs.dy as Tensor4D,
      a.filterShape,
      a,
    ) as unknown as tf.TensorInfo;
  });
}
