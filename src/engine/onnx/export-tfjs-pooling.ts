/**
 * Pooling layers -> ONNX MaxPool / AveragePool (NCHW, TF 'same' as explicit pads; padded cells are never
 * the max and are not counted in averages, as in TF) and global pooling (GlobalAveragePool + Flatten on
 * an NCHW value, ReduceMean/ReduceMax over H and W on a channels-last one: no Transpose either way).
 */
import { paddingAttributes } from './export-tfjs-padding.js';
import type { Value } from './export-tfjs-graph.js';
import {
  baseName,
  pairOption,
  requireChannelsLast,
  single,
  type LayerCall,
} from './export-tfjs-layer-call.js';

function pool(call: LayerCall, op: 'MaxPool' | 'AveragePool'): Value {
  requireChannelsLast(call);
  const x = call.graph.inLayout(single(call), 'NCHW');
  const kernel = pairOption(call, 'poolSize', [2, 2]);
  const strides = pairOption(call, 'strides', kernel);
  const name = call.graph.node(
    op,
    [x.name],
    { kernel_shape: kernel, strides, ...paddingAttributes(call, x, { kernel, strides, dilations: [1, 1] }) },
    { output: `${baseName(call)}/${op}` },
  );
  return { name, shape: call.outputShape, layout: 'NCHW' };
}

export function convertMaxPooling2d(call: LayerCall): Value {
  return pool(call, 'MaxPool');
}

export function convertAveragePooling2d(call: LayerCall): Value {
  return pool(call, 'AveragePool');
}

function globalPool(call: LayerCall, kind: 'Average' | 'Max'): Value {
  requireChannelsLast(call);
  const x = single(call);
  const base = baseName(call);
  const { graph } = call;
  if (x.layout === 'NCHW') {
    const pooled = graph.node(`Global${kind}Pool`, [x.name], {}, { output: `${base}/Global${kind}Pool` });
    const name = graph.node('Flatten', [pooled], { axis: 1 }, { output: `${base}/Flatten` });
    return { name, shape: call.outputShape, layout: 'NHWC' };
  }
  const op = kind === 'Average' ? 'ReduceMean' : 'ReduceMax';
  const name = graph.node(op, [x.name], { axes: [1, 2], keepdims: 0 }, { output: `${base}/${op}` });
  return { name, shape: call.outputShape, layout: 'NHWC' };
}

export function convertGlobalAveragePooling2d(call: LayerCall): Value {
  return globalPool(call, 'Average');
}

export function convertGlobalMaxPooling2d(call: LayerCall): Value {
  return globalPool(call, 'Max');
}
