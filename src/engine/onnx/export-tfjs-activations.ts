/**
 * Keras activations as ONNX nodes: the `activation` option of Conv/Dense layers and the Activation,
 * ReLU, LeakyReLU, ELU and Softmax layers. Elementwise activations keep the layout of their input;
 * softmax runs over the channel axis wherever the layout put it.
 */
import { channelAxis, type Value } from './export-tfjs-graph.js';
import {
  baseName,
  numberOption,
  single,
  stringOption,
  UnsupportedLayerError,
  type LayerCall,
} from './export-tfjs-layer-call.js';

/** Elementwise activations that are one ONNX op with default attributes. */
const ONE_OP: Record<string, string> = {
  relu: 'Relu',
  sigmoid: 'Sigmoid',
  tanh: 'Tanh',
  elu: 'Elu',
  selu: 'Selu',
  softplus: 'Softplus',
  softsign: 'Softsign',
};

/** Names of the activations the exporter writes. */
export const SUPPORTED_ACTIVATIONS = [
  'linear',
  'relu6',
  'softmax',
  'log_softmax',
  'hard_sigmoid',
  'swish',
  'mish',
  ...Object.keys(ONE_OP),
];

/** tfjs serialises activations in camelCase ('hardSigmoid'); Keras files use snake_case. */
function normalised(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** `x` clipped to [lo, hi] (Clip with its bounds as inputs, opset 11+). */
export function clip(call: LayerCall, x: Value, lo: number, hi: number | null): Value {
  const { graph } = call;
  const inputs = [x.name, graph.scalarConstant('clip_min', lo)];
  if (hi !== null) inputs.push(graph.scalarConstant('clip_max', hi));
  return { ...x, name: graph.node('Clip', inputs, {}, { output: `${baseName(call)}/Clip` }) };
}

/** Applies activation `name` to `x` (the output of `call`'s layer). */
export function applyActivation(call: LayerCall, x: Value, name: string): Value {
  const { graph } = call;
  const base = baseName(call);
  const activation = normalised(name);
  const op = ONE_OP[activation];
  if (op !== undefined) return { ...x, name: graph.node(op, [x.name], {}, { output: `${base}/${op}` }) };
  switch (activation) {
    case 'linear':
      return x;
    case 'relu6':
      return clip(call, x, 0, 6);
    case 'softmax':
    case 'log_softmax': {
      const softmax = activation === 'softmax' ? 'Softmax' : 'LogSoftmax';
      return {
        ...x,
        name: graph.node(softmax, [x.name], { axis: channelAxis(x) }, { output: `${base}/${softmax}` }),
      };
    }
    case 'hard_sigmoid':
      return {
        ...x,
        name: graph.node(
          'HardSigmoid',
          [x.name],
          { alpha: 0.2, beta: 0.5 },
          { output: `${base}/HardSigmoid`, floatAttributes: ['alpha', 'beta'] },
        ),
      };
    case 'swish': {
      const sigmoid = graph.node('Sigmoid', [x.name], {}, { output: `${base}/Sigmoid` });
      return { ...x, name: graph.node('Mul', [x.name, sigmoid], {}, { output: `${base}/swish` }) };
    }
    case 'mish': {
      const softplus = graph.node('Softplus', [x.name], {}, { output: `${base}/Softplus` });
      const tanh = graph.node('Tanh', [softplus], {}, { output: `${base}/Tanh` });
      return { ...x, name: graph.node('Mul', [x.name, tanh], {}, { output: `${base}/mish` }) };
    }
    default:
      throw new UnsupportedLayerError(call, `activation '${name}'`);
  }
}

/** The `activation` option of a Conv/Dense layer, applied to its linear output. */
export function layerActivation(call: LayerCall, x: Value): Value {
  return applyActivation(call, x, stringOption(call, 'activation', 'linear'));
}

export function convertActivation(call: LayerCall): Value {
  return layerActivation(call, single(call));
}

/** ReLU layer: max(x, 0), capped at `maxValue` when it has one. */
export function convertRelu(call: LayerCall): Value {
  const x = single(call);
  const maxValue = call.config.maxValue;
  if (typeof maxValue === 'number') return clip(call, x, 0, maxValue);
  return applyActivation(call, x, 'relu');
}

export function convertLeakyRelu(call: LayerCall): Value {
  const x = single(call);
  const alpha = numberOption(call, 'alpha', 0.3);
  const name = call.graph.node(
    'LeakyRelu',
    [x.name],
    { alpha },
    { output: `${baseName(call)}/LeakyRelu`, floatAttributes: ['alpha'] },
  );
  return { ...x, name };
}

export function convertElu(call: LayerCall): Value {
  const x = single(call);
  const alpha = numberOption(call, 'alpha', 1);
  const name = call.graph.node(
    'Elu',
    [x.name],
    { alpha },
    { output: `${baseName(call)}/Elu`, floatAttributes: ['alpha'] },
  );
  return { ...x, name };
}

/** Softmax layer over `axis` (Keras axis of the channels-last shape). */
export function convertSoftmax(call: LayerCall): Value {
  const x = single(call);
  const rank = x.shape.length;
  const option = call.config.axis;
  const axis = Array.isArray(option) && option.length === 1 ? option[0] : (option ?? -1);
  if (typeof axis !== 'number') throw new UnsupportedLayerError(call, `softmax over axes ${String(option)}`);
  const kerasAxis = axis < 0 ? rank + axis : axis;
  if (kerasAxis !== rank - 1) throw new UnsupportedLayerError(call, `softmax over axis ${axis}`);
  return applyActivation(call, x, 'softmax');
}
