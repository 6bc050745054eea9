/**
 * The loss of the logits and its analytic gradient dL/dz, as graph nodes (src/models/loss.ts defines the
 * losses; `lossOfLogits` is the reference the tests hold this to). The gradient of the sum over the batch
 * is what seeds the backward pass.
 *
 * Graph inputs by kind: `labels` int64 [N] (all but 'logits'), `targets` int64 [N] ('dlr-targeted'),
 * `sign` float [1] ('crossentropy', 'margin': +1 untargeted, -1 targeted), `weights` float [N,K] ('logits').
 */
import type { LossKind } from '../../models/loss.js';
import type { GraphBuilder } from './graph-builder.js';
import { reduceNode } from './gradients/reduce-to-shape.js';
import { DataType, valueInfo, type onnx } from './proto.js';

export interface LossHead {
  /** Per-input loss [N] (named as asked). */
  loss: string;
  /** dL/dlogits [N,K]. */
  gradient: string;
  /** Graph inputs the loss needs. */
  inputs: onnx.IValueInfoProto[];
}

/** Inputs a loss kind needs, in the order the graph declares them. */
export function lossInputs(kind: LossKind): onnx.IValueInfoProto[] {
  const labels = valueInfo('labels', ['N'], DataType.INT64);
  const sign = valueInfo('sign', [1]);
  switch (kind) {
    case 'crossentropy':
    case 'margin':
      return [labels, sign];
    case 'dlr':
      return [labels];
    case 'dlr-targeted':
      return [labels, valueInfo('targets', ['N'], DataType.INT64)];
    case 'logits':
      return [valueInfo('weights', ['N', 'K'])];
  }
}

/** Value used by `lossOfLogits` to push the own class out of a maximum. */
const EXCLUDE = 1e9;

export function buildLossHead(
  b: GraphBuilder,
  opset: number,
  logits: string,
  kind: LossKind,
  lossName: string,
): LossHead {
  const inputs = lossInputs(kind);
  const classes = b.op('Slice', [b.op('Shape', [logits]), b.intConstant([1]), b.intConstant([2])]);
  const offOn = b.floatConstant([0, 1]);
  const oneHot = (indices: string) => b.op('OneHot', [indices, classes, offOn], { axis: -1 });
  const column = (indices: string) => b.op('Unsqueeze', [indices, b.intConstant([1])]);
  /** z[n, indices[n]] as [N,1]. */
  const pick = (indices: string) => b.op('GatherElements', [logits, column(indices)], { axis: 1 });
  const toVector = (x: string, name?: string) =>
    name === undefined
      ? b.op('Squeeze', [x, b.intConstant([1])])
      : b.opInto(name, 'Squeeze', [x, b.intConstant([1])]);
  /** max_{i != label} z_i [N,1] and the one-hot of where it is. */
  const largestOther = (labelMask: string) => {
    const excluded = b.op('Sub', [logits, b.op('Mul', [labelMask, b.scalar(EXCLUDE)])]);
    const value = reduceNode(b, opset, 'ReduceMax', excluded, [1], true);
    const where = oneHot(b.op('ArgMax', [excluded], { axis: 1, keepdims: 0 }));
    return { value, where };
  };
  /** The k-th largest logits [N,1] and their one-hots, k = 1..count. */
  const topK = (count: number) => {
    const [values, indices] = b.nodeWithOutputs('TopK', [logits, b.intConstant([count])], 2, {
      axis: 1,
      largest: 1,
      sorted: 1,
    });
    return Array.from({ length: count }, (_, k) => {
      const at = [b.intConstant([k]), b.intConstant([k + 1]), b.intConstant([1])];
      const value = b.op('Slice', [values, ...at]);
      const index = toVector(b.op('Slice', [indices, ...at]));
      return { value, where: oneHot(index) };
    });
  };

  switch (kind) {
    case 'crossentropy': {
      const logProbabilities = b.op('LogSoftmax', [logits], { axis: 1 });
      const picked = b.op('GatherElements', [logProbabilities, column('labels')], { axis: 1 });
      const loss = b.op('Mul', [toVector(b.op('Neg', [picked])), 'sign']);
      const softmaxMinusOneHot = b.op('Sub', [b.op('Exp', [logProbabilities]), oneHot('labels')]);
      return {
        loss: b.opInto(lossName, 'Identity', [loss]),
        gradient: b.op('Mul', [softmaxMinusOneHot, 'sign']),
        inputs,
      };
    }
    case 'margin': {
      const labelMask = oneHot('labels');
      const other = largestOther(labelMask);
      const difference = b.op('Sub', [other.value, pick('labels')]);
      return {
        loss: toVector(b.op('Mul', [difference, 'sign']), lossName),
        gradient: b.op('Mul', [b.op('Sub', [other.where, labelMask]), 'sign']),
        inputs,
      };
    }
    case 'dlr': {
      // L = -(z_y - max_{i!=y} z_i) / (z_pi1 - z_pi3 + 1e-12) = -a / s.
      const labelMask = oneHot('labels');
      const other = largestOther(labelMask);
      const [first, , third] = topK(3);
      const a = b.op('Sub', [pick('labels'), other.value]);
      const da = b.op('Sub', [labelMask, other.where]);
      const s = b.op('Add', [b.op('Sub', [first.value, third.value]), b.scalar(1e-12)]);
      const ds = b.op('Sub', [first.where, third.where]);
      return ratioLoss(b, a, da, s, ds, lossName, toVector, inputs);
    }
    case 'dlr-targeted': {
      // L = -(z_y - z_t) / (z_pi1 - (z_pi3 + z_pi4) / 2 + 1e-12).
      const [first, , third, fourth] = topK(4);
      const a = b.op('Sub', [pick('labels'), pick('targets')]);
      const da = b.op('Sub', [oneHot('labels'), oneHot('targets')]);
      const half = b.scalar(0.5);
      const lowMean = b.op('Mul', [b.op('Add', [third.value, fourth.value]), half]);
      const s = b.op('Add', [b.op('Sub', [first.value, lowMean]), b.scalar(1e-12)]);
      const ds = b.op('Sub', [first.where, b.op('Mul', [b.op('Add', [third.where, fourth.where]), half])]);
      return ratioLoss(b, a, da, s, ds, lossName, toVector, inputs);
    }
    case 'logits': {
      const weighted = b.op('Mul', ['weights', logits]);
      return {
        loss: b.opInto(lossName, 'ReduceSum', [weighted, b.intConstant([1])], { keepdims: 0 }),
        gradient: 'weights',
        inputs,
      };
    }
  }
}

/** L = -a/s with a, s [N,1] and their logit gradients da, ds [N,K]: dL = -da/s + (a/s^2) ds. */
function ratioLoss(
  b: GraphBuilder,
  a: string,
  da: string,
  s: string,
  ds: string,
  lossName: string,
  toVector: (x: string, name?: string) => string,
  inputs: onnx.IValueInfoProto[],
): LossHead {
  const ratio = b.op('Div', [a, s]);
  const loss = toVector(b.op('Neg', [ratio]), lossName);
  const gradient = b.op('Sub', [b.op('Mul', [ds, b.op('Div', [ratio, s])]), b.op('Div', [da, s])]);
  return { loss, gradient, inputs };
}
