import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tf } from '../tf.js';
import { samePads, transposedConvPads } from './export-tfjs-padding.js';

test("samePads is tfjs' own 'same' padding (computeConv2DInfo) for every size, kernel, stride, dilation", () => {
  let checked = 0;
  for (let size = 1; size <= 12; size++) {
    for (let kernel = 1; kernel <= 5; kernel++) {
      for (let stride = 1; stride <= 3; stride++) {
        for (const dilation of stride === 1 ? [1, 2, 3] : [1]) {
          const info = tf.backend_util.computeConv2DInfo(
            [1, size, size + 1, 1],
            [kernel, kernel, 1, 1],
            [stride, stride],
            [dilation, dilation],
            'same',
          );
          const where = `size ${size} kernel ${kernel} stride ${stride} dilation ${dilation}`;
          assert.deepEqual(
            samePads(size, kernel, stride, dilation),
            [info.padInfo.top, info.padInfo.bottom],
            where,
          );
          assert.deepEqual(
            samePads(size + 1, kernel, stride, dilation),
            [info.padInfo.left, info.padInfo.right],
            where,
          );
          checked++;
        }
      }
    }
  }
  assert.equal(checked, 12 * 5 * (3 + 1 + 1));
});

test('transposedConvPads gives the output size of tfjs Conv2DTranspose, same and valid', () => {
  for (let size = 1; size <= 7; size++) {
    for (let kernel = 1; kernel <= 5; kernel++) {
      for (let stride = 1; stride <= 3; stride++) {
        for (const padding of ['same', 'valid'] as const) {
          const layer = tf.layers.conv2dTranspose({
            filters: 1,
            kernelSize: kernel,
            strides: stride,
            padding,
          });
          const expected = (layer.computeOutputShape([null, size, size, 1]) as number[])[1];
          const { pads, outputPadding } = transposedConvPads(size, kernel, stride, padding);
          const where = `size ${size} kernel ${kernel} stride ${stride} ${padding}`;
          assert.equal((size - 1) * stride + kernel - pads[0] - pads[1] + outputPadding, expected, where);
          assert.ok(
            outputPadding < stride || outputPadding === 0,
            `${where}: ONNX needs output_padding < stride`,
          );
          assert.ok(
            pads[0] <= pads[1] && pads[1] - pads[0] <= 1,
            `${where}: TF pads the extra row at the end`,
          );
        }
      }
    }
  }
});
