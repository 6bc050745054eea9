/**
 * Merge layers (Add, Multiply, Average, Maximum, Minimum, Concatenate): the branches of a
 * functional model (ResNet's shortcuts). All inputs are brought to one layout first: NCHW when any 4-D
 * input already is, so that the branches meet without transposing back.
 */
import type { Layout, Value } from './export-tfjs-graph.js';
import { baseName, UnsupportedLayerError, type LayerCall } from './export-tfjs-layer-call.js';

/** The inputs of a merge layer in one common layout. */
function aligned(call: LayerCall): { inputs: Value[]; layout: Layout } {
  const ranks = new Set(call.inputs.map((v) => v.shape.length));
  if (call.inputs.length < 2 || ranks.size !== 1)
    throw new UnsupportedLayerError(
      call,
      `merging inputs of ranks [${call.inputs.map((v) => v.shape.length)}]`,
    );
  const layout: Layout = call.inputs.some((v) => v.layout === 'NCHW') ? 'NCHW' : 'NHWC';
  return { inputs: call.inputs.map((v) => call.graph.inLayout(v, layout)), layout };
}

/** Folds the inputs pairwise with a binary op (Add, Mul). */
function chain(call: LayerCall, op: 'Add' | 'Mul'): Value {
  const { inputs, layout } = aligned(call);
  let name = inputs[0].name;
  for (const next of inputs.slice(1))
    name = call.graph.node(op, [name, next.name], {}, { output: `${baseName(call)}/${op}` });
  return { name, shape: call.outputShape, layout };
}

export function convertAdd(call: LayerCall): Value {
  return chain(call, 'Add');
}

export function convertMultiply(call: LayerCall): Value {
  return chain(call, 'Mul');
}

/** The sum times 1/n, as tfjs computes it. */
export function convertAverage(call: LayerCall): Value {
  const sum = chain(call, 'Add');
  const base = baseName(call);
  const factor = call.graph.scalarConstant(`${base}/factor`, 1 / call.inputs.length);
  return { ...sum, name: call.graph.node('Mul', [sum.name, factor], {}, { output: `${base}/Mul` }) };
}

function variadic(call: LayerCall, op: 'Max' | 'Min'): Value {
  const { inputs, layout } = aligned(call);
  const name = call.graph.node(
    op,
    inputs.map((v) => v.name),
    {},
    { output: `${baseName(call)}/${op}` },
  );
  return { name, shape: call.outputShape, layout };
}

export function convertMaximum(call: LayerCall): Value {
  return variadic(call, 'Max');
}

export function convertMinimum(call: LayerCall): Value {
  return variadic(call, 'Min');
}

/** Keras axis of a channels-last 4-D shape -> the same axis of its NCHW layout. */
const NHWC_AXIS_IN_NCHW = [0, 2, 3, 1];

export function convertConcatenate(call: LayerCall): Value {
  const { inputs, layout } = aligned(call);
  const rank = inputs[0].shape.length;
  const option = call.config.axis ?? -1;
  if (typeof option !== 'number') throw new UnsupportedLayerError(call, `axis ${JSON.stringify(option)}`);
  const kerasAxis = option < 0 ? rank + option : option;
  if (kerasAxis <= 0 || kerasAxis >= rank) throw new UnsupportedLayerError(call, `axis ${option}`);
  const axis = layout === 'NCHW' ? NHWC_AXIS_IN_NCHW[kerasAxis] : kerasAxis;
  const name = call.graph.node(
    'Concat',
    inputs.map((v) => v.name),
    { axis },
    { output: `${baseName(call)}/Concat` },
  );
  return { name, shape: call.outputShape, layout };
}
