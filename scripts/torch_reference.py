"""PyTorch as advx's reference: interprets an ONNX graph with torch ops and writes its logits and the input
gradients of a loss of those logits, computed by torch autograd. A test and benchmark reference only, never a
runtime dependency of advx (src/reference/torch-reference.ts spawns it).

Usage (always the Debian interpreter, /usr/bin/python3, which has python3-torch and python3-onnx):

  /usr/bin/python3 scripts/torch_reference.py MODEL.onnx --input X --out DIR
      [--shape N,C,H,W] [--labels 3,1,...] [--loss crossentropy|margin|dlr|dlr-targeted] [--targeted]
      [--targets 5,2,...] [--logit-weights W.f32] [--dtype float64|float32] [--threads T]
  /usr/bin/python3 scripts/torch_reference.py --batch JOBS.json
  /usr/bin/python3 scripts/torch_reference.py --version

- X: raw float32 little-endian values (then --shape is required) or a .npy file. It is fed to the graph's one
  data input as is (NCHW for torch exports; whatever layout the graph takes).
- The graph's first output must be logits [N, K].
- --labels (and --loss, --targeted, --targets) ask for the input gradient of the loss summed over the batch;
  the losses are those of src/models/loss.ts: crossentropy (targeted: -CE(z, t), the labels holding the
  targets), margin (max_{i!=y} z_i - z_y; targeted z_t - max_{i!=t} z_i), dlr, dlr-targeted (--targets).
- --logit-weights W ([N, K] raw float32): also the gradient of sum(W * z), as DeepFool and FAB need it.
- --dtype: float64 (default: weights, input and every float op in double) or float32.

Writes into DIR (raw float32 little-endian, C order): logits.f32 [N, K]; gradient.f32 (shaped like X, with
--labels); logit-weights-gradient.f32 (shaped like X, with --logit-weights). Prints one JSON object on stdout:

  { "torch": str, "onnx": str, "dtype": str, "opset": int, "threads": int,
    "input": {"name": str, "shape": [int]}, "output": {"name": str, "shape": [N, K]},
    "loss": {"kind": str, "targeted": bool, "values": [float per input]} | null,
    "logitWeights": {"values": [sum_k w_nk z_nk per input]} | null,
    "files": {"logits": path, "gradient": path | null, "logitWeightsGradient": path | null},
    "ops": {op type: count}, "seconds": float }

Bad input (a file, shape, option, or an op this interpreter does not know) prints one line
`torch_reference: ...` on stderr and exits with 2; anything else exits with 1.

--batch JOBS.json runs many such calls in one process (importing torch costs seconds): JOBS.json is a list of
argument lists (each as above, without --batch); stdout is a JSON list with each job's summary, or
{"error": "torch_reference: ..."} for a job with bad input.
"""
from __future__ import annotations

import argparse
import functools
import json
import math
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass
from typing import Callable, Optional, Sequence

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper

Tensor = torch.Tensor
Inputs = Sequence[Optional[Tensor]]


class BadInput(Exception):
    """Bad input: reported as one line, exit code 2."""


@dataclass
class Context:
    opset: int
    dtype: torch.dtype


@dataclass
class Node:
    op: str
    name: str
    inputs: list[str]
    outputs: list[str]
    attrs: dict


# ---------------------------------------------------------------------------------------------- values


def as_torch(array: np.ndarray, dtype: torch.dtype) -> Tensor:
    """An ONNX value as a torch tensor: floats in the compute dtype, integers as int64, booleans as bool."""
    if array.dtype.kind == "f":
        return torch.from_numpy(np.array(array, dtype=np.float64)).to(dtype)
    if array.dtype.kind == "b":
        return torch.from_numpy(np.array(array, dtype=bool))
    if array.dtype.kind in "iu":
        return torch.from_numpy(np.array(array, dtype=np.int64))
    raise BadInput(f"tensor of numpy dtype {array.dtype} is not supported")


def attribute_values(node: onnx.NodeProto) -> dict:
    """Attributes as Python values; tensors as numpy arrays (made torch tensors by the op, in its dtype)."""
    out = {}
    for attr in node.attribute:
        value = onnx.helper.get_attribute_value(attr)
        if isinstance(value, bytes):
            value = value.decode()
        elif isinstance(value, onnx.TensorProto):
            value = numpy_helper.to_array(value)
        elif attr.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS):
            raise BadInput(f"node '{node.name}' ({node.op_type}): subgraph attributes are not supported")
        out[attr.name] = value
    return out


def ints(t: Optional[Tensor]) -> Optional[list[int]]:
    return None if t is None else [int(v) for v in t.reshape(-1).tolist()]


def axis_of(axis: int, rank: int) -> int:
    return axis + rank if axis < 0 else axis


# ---------------------------------------------------------------------------------------------- geometry


def explicit_pads(a: dict, sizes: Sequence[int], kernel: Sequence[int], strides, dilations) -> list[int]:
    """ONNX pads [x1_begin, x2_begin, ..., x1_end, x2_end, ...], from `pads` or `auto_pad`."""
    n = len(sizes)
    auto = a.get("auto_pad", "NOTSET")
    if auto in ("NOTSET", ""):
        return list(a.get("pads", [0] * 2 * n))
    if auto == "VALID":
        return [0] * 2 * n
    if auto not in ("SAME_UPPER", "SAME_LOWER"):
        raise BadInput(f"auto_pad '{auto}' is not an ONNX auto_pad value")
    begins, ends = [], []
    for size, k, s, d in zip(sizes, kernel, strides, dilations):
        total = max(0, (math.ceil(size / s) - 1) * s + (k - 1) * d + 1 - size)
        small, big = total // 2, total - total // 2
        begins.append(small if auto == "SAME_UPPER" else big)
        ends.append(big if auto == "SAME_UPPER" else small)
    return begins + ends


def pad_spatial(x: Tensor, begins: Sequence[int], ends: Sequence[int], value: float) -> Tensor:
    """Pads (or crops, for negative amounts) the trailing len(begins) dims."""
    if all(p == 0 for p in list(begins) + list(ends)):
        return x
    pairs: list[int] = []
    for b, e in reversed(list(zip(begins, ends))):
        pairs += [b, e]
    return F.pad(x, pairs, value=value)


@dataclass
class PoolGeometry:
    kernel: list[int]
    strides: list[int]
    dilations: list[int]
    begins: list[int]
    ends: list[int]  # declared end pads
    reach: list[int]  # end padding the output needs: beyond `ends` with ceil_mode, below when floor drops it


def pool_geometry(a: dict, sizes: Sequence[int]) -> PoolGeometry:
    n = len(sizes)
    kernel = list(a["kernel_shape"])
    strides = list(a.get("strides", [1] * n))
    dilations = list(a.get("dilations", [1] * n))
    pads = explicit_pads(a, sizes, kernel, strides, dilations)
    begins, ends = pads[:n], pads[n:]
    reach = []
    for size, k, s, d, b, e in zip(sizes, kernel, strides, dilations, begins, ends):
        span = (k - 1) * d + 1
        steps = (size + b + e - span) / s
        out = (math.ceil(steps) if a.get("ceil_mode", 0) else math.floor(steps)) + 1
        if a.get("ceil_mode", 0) and (out - 1) * s >= size + b:
            out -= 1  # the last window must start inside the input or its begin padding (as torch, ONNX Runtime)
        reach.append((out - 1) * s + span - size - b)
    return PoolGeometry(kernel, strides, dilations, begins, ends, reach)


POOLS = {
    "max": {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d},
    "avg": {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d},
}


def op_max_pool(node: Node, ins: Inputs, ctx: Context):
    x = ins[0]
    if len([o for o in node.outputs if o]) > 1:
        raise BadInput(f"node '{node.name}' (MaxPool): the Indices output is not supported")
    g = pool_geometry(node.attrs, x.shape[2:])
    padded = pad_spatial(x, g.begins, g.reach, -math.inf)
    return POOLS["max"][len(g.kernel)](padded, g.kernel, g.strides, 0, g.dilations)


def op_average_pool(node: Node, ins: Inputs, ctx: Context):
    """Window sums divided by window counts; count_include_pad counts the declared pads, never the
    ceil_mode overhang."""
    x = ins[0]
    g = pool_geometry(node.attrs, x.shape[2:])
    if any(d != 1 for d in g.dilations):
        raise BadInput(f"node '{node.name}' (AveragePool): dilations are not supported")
    pool = POOLS["avg"][len(g.kernel)]
    volume = math.prod(g.kernel)
    sums = pool(pad_spatial(x, g.begins, g.reach, 0.0), g.kernel, g.strides) * volume
    inside = [min(e, r) for e, r in zip(g.ends, g.reach)]
    overhang = [r - i for r, i in zip(g.reach, inside)]
    ones = torch.ones((1, 1, *x.shape[2:]), dtype=x.dtype)
    include = 1.0 if node.attrs.get("count_include_pad", 0) else 0.0
    mask = pad_spatial(pad_spatial(ones, g.begins, inside, include), [0] * len(g.kernel), overhang, 0.0)
    counts = pool(mask, g.kernel, g.strides) * volume
    return sums / counts


# ---------------------------------------------------------------------------------------------- ops


def op_conv(node: Node, ins: Inputs, ctx: Context):
    x, w, b = ins[0], ins[1], (ins[2] if len(ins) > 2 else None)
    a, n = node.attrs, x.dim() - 2
    if n not in (1, 2, 3):
        raise BadInput(f"node '{node.name}' (Conv): {n} spatial dims are not supported")
    kernel = list(w.shape[2:])
    strides = list(a.get("strides", [1] * n))
    dilations = list(a.get("dilations", [1] * n))
    pads = explicit_pads(a, x.shape[2:], kernel, strides, dilations)
    x = pad_spatial(x, pads[:n], pads[n:], 0.0)
    conv = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[n]
    return conv(x, w, b, strides, 0, dilations, a.get("group", 1))


def op_batch_norm(node: Node, ins: Inputs, ctx: Context):
    x, scale, bias, mean, var = ins[:5]
    if node.attrs.get("training_mode", 0):
        raise BadInput(f"node '{node.name}' (BatchNormalization): training_mode is not supported")
    shape = [1, -1] + [1] * (x.dim() - 2)
    inv = scale.reshape(shape) / torch.sqrt(var.reshape(shape) + node.attrs.get("epsilon", 1e-5))
    return (x - mean.reshape(shape)) * inv + bias.reshape(shape)


def op_gemm(node: Node, ins: Inputs, ctx: Context):
    a_, b_, c_ = ins[0], ins[1], (ins[2] if len(ins) > 2 else None)
    a = node.attrs
    if a.get("transA", 0):
        a_ = a_.t()
    if a.get("transB", 0):
        b_ = b_.t()
    y = a_ @ b_
    if a.get("alpha", 1.0) != 1.0:
        y = y * a["alpha"]
    if c_ is not None:
        y = y + (c_ if a.get("beta", 1.0) == 1.0 else c_ * a["beta"])
    return y


def op_clip(node: Node, ins: Inputs, ctx: Context):
    x = ins[0]
    if ctx.opset < 11:
        low, high = node.attrs.get("min"), node.attrs.get("max")
    else:
        low = None if len(ins) < 2 or ins[1] is None else ins[1].item()
        high = None if len(ins) < 3 or ins[2] is None else ins[2].item()
    return x if low is None and high is None else torch.clamp(x, min=low, max=high)


def op_div(node: Node, ins: Inputs, ctx: Context):
    a, b = ins[0], ins[1]
    if not a.is_floating_point() and not b.is_floating_point():
        return torch.div(a, b, rounding_mode="trunc")
    return a / b


def op_flatten(node: Node, ins: Inputs, ctx: Context):
    x = ins[0]
    axis = axis_of(node.attrs.get("axis", 1), x.dim())
    return x.reshape(math.prod(x.shape[:axis]), math.prod(x.shape[axis:]))


def op_reshape(node: Node, ins: Inputs, ctx: Context):
    x, shape = ins[0], ints(ins[1])
    if not node.attrs.get("allowzero", 0):
        shape = [x.shape[i] if s == 0 else s for i, s in enumerate(shape)]
    return x.reshape(shape)


def op_transpose(node: Node, ins: Inputs, ctx: Context):
    x = ins[0]
    return x.permute(node.attrs.get("perm", list(reversed(range(x.dim())))))


def op_concat(node: Node, ins: Inputs, ctx: Context):
    parts = [t for t in ins if t is not None]
    return torch.cat(parts, axis_of(node.attrs["axis"], parts[0].dim()))


def op_pad(node: Node, ins: Inputs, ctx: Context):
    x, a = ins[0], node.attrs
    mode = a.get("mode", "constant")
    if ctx.opset < 11:
        pads, value, axes = list(a["pads"]), float(a.get("value", 0.0)), None
    else:
        pads = ints(ins[1])
        value = 0.0 if len(ins) < 3 or ins[2] is None else float(ins[2].item())
        axes = ints(ins[3]) if len(ins) > 3 else None
    axes = list(range(x.dim())) if axes is None else [axis_of(v, x.dim()) for v in axes]
    full = [0] * 2 * x.dim()
    for i, axis in enumerate(axes):
        full[axis], full[axis + x.dim()] = pads[i], pads[i + len(axes)]
    if mode == "constant":
        return pad_spatial(x, full[: x.dim()], full[x.dim() :], value)
    if mode not in ("reflect", "edge"):
        raise BadInput(f"node '{node.name}' (Pad): mode '{mode}' is not supported")
    padded_axes = [i for i in range(x.dim()) if full[i] or full[i + x.dim()]]
    if not padded_axes:
        return x
    if min(full) < 0:
        raise BadInput(f"node '{node.name}' (Pad): negative pads with mode '{mode}'")
    first = padded_axes[0]
    trailing = x.shape[first:]
    if len(trailing) > 3:
        raise BadInput(f"node '{node.name}' (Pad): mode '{mode}' pads at most the last 3 dims here")
    lead = x.shape[:first]
    folded = x.reshape((1, math.prod(lead), *trailing))
    pairs: list[int] = []
    for axis in reversed(range(first, x.dim())):
        pairs += [full[axis], full[axis + x.dim()]]
    out = F.pad(folded, pairs, mode="reflect" if mode == "reflect" else "replicate")
    return out.reshape((*lead, *out.shape[2:]))


def softmax_like(fn: Callable[[Tensor, int], Tensor]):
    def op(node: Node, ins: Inputs, ctx: Context):
        x = ins[0]
        if ctx.opset >= 13:
            return fn(x, axis_of(node.attrs.get("axis", -1), x.dim()))
        axis = axis_of(node.attrs.get("axis", 1), x.dim())  # opsets < 13 coerce the input to 2D at axis
        flat = x.reshape(math.prod(x.shape[:axis]), math.prod(x.shape[axis:]))
        return fn(flat, 1).reshape(x.shape)

    return op


def op_dropout(node: Node, ins: Inputs, ctx: Context):
    if len(ins) > 2 and ins[2] is not None and bool(ins[2].item()):
        raise BadInput(f"node '{node.name}' (Dropout): training_mode is not supported")
    x = ins[0]
    return (x, torch.ones(x.shape, dtype=torch.bool)) if len(node.outputs) > 1 else x


def axes_input(node: Node, ins: Inputs, ctx: Context, since: int) -> Optional[list[int]]:
    """Axes: an attribute before opset `since`, an optional second input from it."""
    if ctx.opset < since:
        return node.attrs.get("axes")
    return ints(ins[1]) if len(ins) > 1 else None


def op_squeeze(node: Node, ins: Inputs, ctx: Context):
    x = ins[0]
    axes = axes_input(node, ins, ctx, 13)
    if axes is None:
        axes = [i for i, s in enumerate(x.shape) if s == 1]
    for axis in sorted((axis_of(v, x.dim()) for v in axes), reverse=True):
        if x.shape[axis] != 1:
            raise BadInput(f"node '{node.name}' (Squeeze): dim {axis} of {list(x.shape)} is not 1")
        x = x.squeeze(axis)
    return x


def op_unsqueeze(node: Node, ins: Inputs, ctx: Context):
    x = ins[0]
    axes = axes_input(node, ins, ctx, 13)
    rank = x.dim() + len(axes)
    for axis in sorted(axis_of(v, rank) for v in axes):
        x = x.unsqueeze(axis)
    return x


def op_gather(node: Node, ins: Inputs, ctx: Context):
    x, idx = ins[0], ins[1]
    axis = axis_of(node.attrs.get("axis", 0), x.dim())
    idx = torch.where(idx < 0, idx + x.shape[axis], idx)
    out = x.index_select(axis, idx.reshape(-1))
    return out.reshape((*x.shape[:axis], *idx.shape, *x.shape[axis + 1 :]))


def reduce_op(fn: Callable[[Tensor, list[int], bool], Tensor], axes_since: int):
    def op(node: Node, ins: Inputs, ctx: Context):
        x = ins[0]
        axes = axes_input(node, ins, ctx, axes_since)
        if axes is None or len(axes) == 0:
            if node.attrs.get("noop_with_empty_axes", 0):
                return x
            axes = list(range(x.dim()))
        return fn(x, [axis_of(v, x.dim()) for v in axes], bool(node.attrs.get("keepdims", 1)))

    return op


def op_constant(node: Node, ins: Inputs, ctx: Context):
    a = node.attrs
    if "value" in a:
        return as_torch(a["value"], ctx.dtype)
    if "value_float" in a or "value_floats" in a:
        return torch.tensor(a.get("value_float", a.get("value_floats")), dtype=ctx.dtype)
    if "value_int" in a or "value_ints" in a:
        return torch.tensor(a.get("value_int", a.get("value_ints")), dtype=torch.int64)
    raise BadInput(f"node '{node.name}' (Constant): no supported value attribute ({', '.join(a)})")


def op_shape(node: Node, ins: Inputs, ctx: Context):
    dims = list(ins[0].shape)
    start, end = node.attrs.get("start", 0), node.attrs.get("end", len(dims))
    return torch.tensor(dims[start:end], dtype=torch.int64)


FLOAT_TYPES = {onnx.TensorProto.FLOAT, onnx.TensorProto.DOUBLE, onnx.TensorProto.FLOAT16}
INT_TYPES = {getattr(onnx.TensorProto, t) for t in ("INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32")}


def op_cast(node: Node, ins: Inputs, ctx: Context):
    to = node.attrs["to"]
    if to in FLOAT_TYPES:
        return ins[0].to(ctx.dtype)  # every float stays in the compute dtype
    if to in INT_TYPES:
        return ins[0].to(torch.int64)
    if to == onnx.TensorProto.BOOL:
        return ins[0].to(torch.bool)
    raise BadInput(f"node '{node.name}' (Cast): target type {to} is not supported")


def op_slice(node: Node, ins: Inputs, ctx: Context):
    x = ins[0]
    if ctx.opset < 10:
        starts, ends = node.attrs["starts"], node.attrs["ends"]
        axes, steps = node.attrs.get("axes"), None
    else:
        starts, ends = ints(ins[1]), ints(ins[2])
        axes = ints(ins[3]) if len(ins) > 3 else None
        steps = ints(ins[4]) if len(ins) > 4 else None
    axes = list(range(len(starts))) if axes is None else axes
    steps = [1] * len(starts) if steps is None else steps
    for start, end, axis, step in zip(starts, ends, axes, steps):
        axis = axis_of(axis, x.dim())
        dim = x.shape[axis]
        start, end = (start + dim if start < 0 else start), (end + dim if end < 0 else end)
        if step > 0:
            start, end = min(max(start, 0), dim), min(max(end, 0), dim)
        elif step < 0:
            start, end = min(max(start, 0), dim - 1), min(max(end, -1), dim - 1)
        else:
            raise BadInput(f"node '{node.name}' (Slice): step 0")
        x = x.index_select(axis, torch.arange(start, end, step, dtype=torch.int64))
    return x


def op_expand(node: Node, ins: Inputs, ctx: Context):
    x, shape = ins[0], ints(ins[1])
    target = torch.broadcast_shapes(tuple(x.shape), tuple(shape))
    return x.expand(target)


def op_constant_of_shape(node: Node, ins: Inputs, ctx: Context):
    value = as_torch(node.attrs.get("value", np.zeros(1, dtype=np.float32)), ctx.dtype)
    return torch.full(ints(ins[0]), value.reshape(-1)[0].item(), dtype=value.dtype)


def unary(fn: Callable[[Tensor], Tensor]):
    return lambda node, ins, ctx: fn(ins[0])


def binary(fn: Callable[[Tensor, Tensor], Tensor]):
    return lambda node, ins, ctx: fn(ins[0], ins[1])


def variadic(fn: Callable[[Tensor, Tensor], Tensor]):
    def op(node: Node, ins: Inputs, ctx: Context):
        out = ins[0]
        for t in ins[1:]:
            out = fn(out, t)
        return out

    return op


def with_attrs(fn: Callable[[Tensor, dict], Tensor]):
    return lambda node, ins, ctx: fn(ins[0], node.attrs)


OPS: dict[str, Callable[[Node, Inputs, Context], object]] = {
    "Conv": op_conv,
    "BatchNormalization": op_batch_norm,
    "Relu": unary(torch.relu),
    "Clip": op_clip,
    "LeakyRelu": with_attrs(lambda x, a: F.leaky_relu(x, a.get("alpha", 0.01))),
    "Sigmoid": unary(torch.sigmoid),
    "Tanh": unary(torch.tanh),
    "HardSigmoid": with_attrs(lambda x, a: torch.clamp(x * a.get("alpha", 0.2) + a.get("beta", 0.5), 0, 1)),
    "HardSwish": unary(lambda x: x * torch.clamp(x / 6 + 0.5, 0, 1)),
    "Elu": with_attrs(lambda x, a: F.elu(x, a.get("alpha", 1.0))),
    "Softplus": unary(F.softplus),
    "PRelu": binary(lambda x, slope: torch.where(x < 0, x * slope, x)),
    "MaxPool": op_max_pool,
    "AveragePool": op_average_pool,
    "GlobalAveragePool": unary(lambda x: x.mean(dim=tuple(range(2, x.dim())), keepdim=True)),
    "GlobalMaxPool": unary(lambda x: x.amax(dim=tuple(range(2, x.dim())), keepdim=True)),
    "Gemm": op_gemm,
    "MatMul": binary(torch.matmul),
    "Add": binary(torch.add),
    "Sub": binary(torch.sub),
    "Mul": binary(torch.mul),
    "Div": op_div,
    "Pow": binary(torch.pow),
    "Max": variadic(torch.maximum),
    "Min": variadic(torch.minimum),
    "Sum": variadic(torch.add),
    "Equal": binary(torch.eq),
    "Less": binary(torch.lt),
    "Greater": binary(torch.gt),
    "Where": lambda node, ins, ctx: torch.where(ins[0], ins[1], ins[2]),
    "Neg": unary(torch.neg),
    "Abs": unary(torch.abs),
    "Exp": unary(torch.exp),
    "Log": unary(torch.log),
    "Sqrt": unary(torch.sqrt),
    "Reciprocal": unary(torch.reciprocal),
    "Erf": unary(torch.erf),
    "Flatten": op_flatten,
    "Reshape": op_reshape,
    "Transpose": op_transpose,
    "Concat": op_concat,
    "Pad": op_pad,
    "Softmax": softmax_like(lambda x, axis: torch.softmax(x, axis)),
    "LogSoftmax": softmax_like(lambda x, axis: torch.log_softmax(x, axis)),
    "Identity": unary(lambda x: x),
    "Dropout": op_dropout,
    "Squeeze": op_squeeze,
    "Unsqueeze": op_unsqueeze,
    "Gather": op_gather,
    "ReduceMean": reduce_op(lambda x, axes, keep: x.mean(dim=axes, keepdim=keep), 18),
    "ReduceSum": reduce_op(lambda x, axes, keep: x.sum(dim=axes, keepdim=keep), 13),
    "ReduceMax": reduce_op(lambda x, axes, keep: x.amax(dim=axes, keepdim=keep), 18),
    "Constant": op_constant,
    "ConstantOfShape": op_constant_of_shape,
    "Shape": op_shape,
    "Cast": op_cast,
    "Slice": op_slice,
    "Expand": op_expand,
}


# ---------------------------------------------------------------------------------------------- graph


@dataclass
class Graph:
    path: str
    opset: int
    nodes: list[Node]
    initializers: dict[str, np.ndarray]
    input_name: str
    input_dims: list  # int, or str for a symbolic dim
    output_name: str


def load_graph(path: str) -> Graph:
    """The parsed graph; a batch that names one file many times parses it once."""
    if not os.path.isfile(path):
        raise BadInput(f"{path}: no such file")
    stat = os.stat(path)
    return parse_graph(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=8)
def parse_graph(path: str, _mtime_ns: int, _size: int) -> Graph:
    try:
        model = onnx.load(path)
    except Exception as error:  # protobuf raises several kinds
        raise BadInput(f"{path}: not a valid ONNX file ({error})") from error
    if len(model.graph.node) == 0:
        raise BadInput(f"{path}: not a valid ONNX file (no graph)")
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 1)
    initializers = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    data_inputs = [i for i in model.graph.input if i.name not in initializers]
    if len(data_inputs) != 1:
        names = ", ".join(i.name for i in data_inputs)
        raise BadInput(f"{path}: {len(data_inputs)} data inputs ({names}); the reference takes one")
    dims = [d.dim_param or (d.dim_value if d.HasField("dim_value") else "?")
            for d in data_inputs[0].type.tensor_type.shape.dim]
    nodes = []
    for i, n in enumerate(model.graph.node):
        if n.domain not in ("", "ai.onnx"):
            raise BadInput(f"{path}: node '{n.name}': op domain '{n.domain}' is not supported")
        if n.op_type not in OPS:
            raise BadInput(
                f"{path}: unsupported op '{n.op_type}' (node '{n.name or i}'); the reference knows "
                f"{len(OPS)} ops")
        nodes.append(Node(n.op_type, n.name or f"#{i}", list(n.input), list(n.output), attribute_values(n)))
    return Graph(path, opset, nodes, initializers, data_inputs[0].name, dims, model.graph.output[0].name)


def check_input_shape(graph: Graph, shape: Sequence[int]) -> None:
    declared = graph.input_dims
    fits = len(declared) == len(shape) and all(not isinstance(d, int) or d in (0, s) for d, s in zip(declared, shape))
    if declared and not fits:
        raise BadInput(
            f"{graph.path}: input '{graph.input_name}' is [{','.join(map(str, declared))}], got {list(shape)}")


def run_graph(graph: Graph, x: Tensor, dtype: torch.dtype) -> Tensor:
    """The graph's first output for input `x` (differentiable with respect to x)."""
    ctx = Context(graph.opset, dtype)
    values: dict[str, Optional[Tensor]] = {"": None}
    values.update({name: as_torch(v, dtype) for name, v in graph.initializers.items()})
    values[graph.input_name] = x
    for node in graph.nodes:
        missing = [n for n in node.inputs if n not in values]
        if missing:
            raise BadInput(f"{graph.path}: node '{node.name}' ({node.op}): input '{missing[0]}' is undefined")
        ins = [values[n] for n in node.inputs]
        try:
            out = OPS[node.op](node, ins, ctx)
        except BadInput:
            raise
        except (RuntimeError, ValueError, IndexError, KeyError, TypeError) as error:
            shapes = [list(t.shape) if t is not None else None for t in ins]
            raise BadInput(
                f"{graph.path}: node '{node.name}' ({node.op}) on inputs {shapes}: {str(error).splitlines()[0]}"
            ) from error
        outs = out if isinstance(out, tuple) else (out,)
        for name, value in zip(node.outputs, outs):
            if name:
                values[name] = value
    if graph.output_name not in values:
        raise BadInput(f"{graph.path}: output '{graph.output_name}' is never computed")
    return values[graph.output_name]


# ---------------------------------------------------------------------------------------------- losses


def loss_per_input(z: Tensor, kind: str, labels: Tensor, targeted: bool, targets: Optional[Tensor]) -> Tensor:
    """The losses of src/models/loss.ts (to be ascended), per input."""
    mask = F.one_hot(labels, z.shape[1]).bool()
    own = z.gather(1, labels[:, None])[:, 0]
    other = z.masked_fill(mask, -math.inf).amax(1)
    if kind == "crossentropy":
        ce = F.cross_entropy(z, labels, reduction="none")
        return -ce if targeted else ce
    if kind == "margin":
        return own - other if targeted else other - own
    ranked = z.sort(1, descending=True).values
    if kind == "dlr":
        return -(own - other) / (ranked[:, 0] - ranked[:, 2] + 1e-12)
    if kind == "dlr-targeted":
        target = z.gather(1, targets[:, None])[:, 0]
        return -(own - target) / (ranked[:, 0] - (ranked[:, 2] + ranked[:, 3]) / 2 + 1e-12)
    raise BadInput(f"--loss: unknown loss '{kind}' (crossentropy, margin, dlr, dlr-targeted)")


# ---------------------------------------------------------------------------------------------- CLI


def parse_ints(text: Optional[str], what: str) -> Optional[list[int]]:
    if text is None:
        return None
    try:
        return [int(v) for v in text.split(",") if v != ""]
    except ValueError:
        raise BadInput(f"{what}: '{text}' is not a comma list of integers") from None


def read_input(path: str, shape: Optional[list[int]]) -> np.ndarray:
    if not os.path.isfile(path):
        raise BadInput(f"{path}: no such file")
    if path.endswith(".npy"):
        array = np.load(path)
        if shape is not None and list(array.shape) != shape:
            raise BadInput(f"{path}: shape {list(array.shape)}, --shape says {shape}")
        return array.astype(np.float32)
    if shape is None:
        raise BadInput(f"{path}: raw float32 input needs --shape")
    data = np.fromfile(path, dtype="<f4")
    if data.size != math.prod(shape):
        raise BadInput(f"{path}: {data.size} float32 values, shape {shape} needs {math.prod(shape)}")
    return data.reshape(shape)


def read_matrix(path: str, rows: int, cols: int, what: str) -> np.ndarray:
    if not os.path.isfile(path):
        raise BadInput(f"{what}: {path}: no such file")
    data = np.fromfile(path, dtype="<f4")
    if data.size != rows * cols:
        raise BadInput(f"{what}: {path}: {data.size} float32 values, logits are [{rows},{cols}]")
    return data.reshape(rows, cols)


def check_classes(values: list[int], n: int, k: int, what: str) -> Tensor:
    if len(values) != n:
        raise BadInput(f"{what}: {len(values)} labels for a batch of {n}")
    bad = [v for v in values if v < 0 or v >= k]
    if bad:
        raise BadInput(f"{what}: class {bad[0]} is out of range for {k} classes")
    return torch.tensor(values, dtype=torch.int64)


def write_f32(tensor: Tensor, path: str) -> str:
    tensor.detach().to(torch.float32).contiguous().numpy().astype("<f4").tofile(path)
    return path


def versions() -> dict:
    return {"torch": torch.__version__, "onnx": onnx.__version__, "numpy": np.__version__}


def run(args: argparse.Namespace) -> dict:
    started = time.perf_counter()
    dtype = {"float64": torch.float64, "float32": torch.float32}.get(args.dtype)
    if dtype is None:
        raise BadInput(f"--dtype: '{args.dtype}' is not float64 or float32")
    if args.threads is not None:
        if args.threads < 1:
            raise BadInput(f"--threads: {args.threads} is not a positive count")
        torch.set_num_threads(args.threads)
    graph = load_graph(args.model)
    array = read_input(args.input, parse_ints(args.shape, "--shape"))
    check_input_shape(graph, array.shape)
    os.makedirs(args.out, exist_ok=True)
    x = torch.from_numpy(np.array(array, dtype=np.float64)).to(dtype).requires_grad_(True)
    z = run_graph(graph, x, dtype)
    if z.dim() != 2 or z.shape[0] != array.shape[0]:
        raise BadInput(
            f"{args.model}: output '{graph.output_name}' is {list(z.shape)}, expected logits [{array.shape[0]}, K]")
    n, k = z.shape
    files = {"logits": write_f32(z, os.path.join(args.out, "logits.f32")), "gradient": None,
             "logitWeightsGradient": None}
    summary_loss = summary_weighted = None
    objectives = []
    if args.labels is not None:
        labels = check_classes(parse_ints(args.labels, "--labels"), n, k, "--labels")
        targets = None
        if args.loss == "dlr-targeted":
            if args.targets is None:
                raise BadInput("--loss dlr-targeted needs --targets")
            targets = check_classes(parse_ints(args.targets, "--targets"), n, k, "--targets")
        per_input = loss_per_input(z, args.loss, labels, args.targeted, targets)
        summary_loss = {"kind": args.loss, "targeted": bool(args.targeted),
                        "values": [float(v) for v in per_input.detach().tolist()]}
        objectives.append(("gradient", per_input.sum(), "gradient.f32"))
    if args.logit_weights is not None:
        w = torch.from_numpy(read_matrix(args.logit_weights, n, k, "--logit-weights").astype(np.float64)).to(dtype)
        weighted = (w * z).sum(1)
        summary_weighted = {"values": [float(v) for v in weighted.detach().tolist()]}
        objectives.append(("logitWeightsGradient", weighted.sum(), "logit-weights-gradient.f32"))
    for i, (key, objective, file) in enumerate(objectives):
        (grad,) = torch.autograd.grad(objective, x, retain_graph=i < len(objectives) - 1)
        files[key] = write_f32(grad, os.path.join(args.out, file))
    return {
        **{key: value for key, value in versions().items() if key != "numpy"},
        "dtype": args.dtype,
        "opset": graph.opset,
        "threads": torch.get_num_threads(),
        "input": {"name": graph.input_name, "shape": list(array.shape)},
        "output": {"name": graph.output_name, "shape": [n, k]},
        "loss": summary_loss,
        "logitWeights": summary_weighted,
        "files": files,
        "ops": dict(Counter(node.op for node in graph.nodes)),
        "seconds": round(time.perf_counter() - started, 3),
    }


class Parser(argparse.ArgumentParser):
    """Option errors as one BadInput line (also inside a batch) instead of usage and exit."""

    def error(self, message: str):
        raise BadInput(message)


def make_parser() -> Parser:
    parser = Parser(prog="torch_reference", description=__doc__.split("\n\n")[0])
    parser.add_argument("model", nargs="?", help="the .onnx file")
    parser.add_argument("--input", help="raw float32 little-endian file (with --shape) or .npy")
    parser.add_argument("--shape", help="comma list, e.g. 2,3,224,224")
    parser.add_argument("--out", help="folder for the output files")
    parser.add_argument("--labels", help="comma list of classes: asks for the loss gradient")
    parser.add_argument("--loss", default="crossentropy", help="crossentropy (default), margin, dlr, dlr-targeted")
    parser.add_argument("--targeted", action="store_true", help="targeted crossentropy or margin")
    parser.add_argument("--targets", help="comma list of target classes for dlr-targeted")
    parser.add_argument("--logit-weights", help="raw float32 [N,K]: also d sum(w*z)/dx")
    parser.add_argument("--dtype", default="float64", help="float64 (default) or float32")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's)")
    parser.add_argument("--batch", help="JSON file: a list of argument lists, run in this one process")
    parser.add_argument("--version", action="store_true", help="print the torch/onnx/numpy versions as JSON")
    return parser


def run_job(argv: Sequence[str]) -> dict:
    args = make_parser().parse_args(argv)
    for option in ("model", "input", "out"):
        if getattr(args, option) is None:
            raise BadInput(f"{'the model path' if option == 'model' else '--' + option} is required")
    return run(args)


def run_batch(path: str) -> list:
    """Each job's summary, or {"error": line} for a job with bad input; torch is imported once for all."""
    try:
        with open(path) as f:
            jobs = json.load(f)
    except (OSError, ValueError) as error:
        raise BadInput(f"--batch: {path}: {error}") from error
    if not isinstance(jobs, list) or not all(isinstance(j, list) and all(isinstance(a, str) for a in j) for j in jobs):
        raise BadInput(f"--batch: {path}: expected a JSON list of argument lists")
    results = []
    for job in jobs:
        try:
            results.append(run_job(job))
        except BadInput as error:
            results.append({"error": f"torch_reference: {error}"})
    return results


def main(argv: Sequence[str]) -> int:
    try:
        args = make_parser().parse_args(argv)
        if args.version:
            print(json.dumps(versions()))
        elif args.batch is not None:
            print(json.dumps(run_batch(args.batch)))
        else:
            print(json.dumps(run_job(argv)))
        return 0
    except BadInput as error:
        print(f"torch_reference: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
