"""Tests of scripts/torch_reference.py against PyTorch's own modules: each model is exported with
torch.onnx.export, interpreted by the reference, and its logits and input gradients (cross-entropy, margin,
DLR, logit weights) are compared with autograd through the original module.

  /usr/bin/python3 scripts/torch_reference_test.py            # all, ResNet-50 included (about a minute)
  /usr/bin/python3 scripts/torch_reference_test.py --quick    # without ResNet-50 (seconds)

src/reference/torch-reference.test.ts runs the quick set in the TypeScript suite.
"""
from __future__ import annotations

import os
import sys
import tempfile
import unittest
import warnings

import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.dont_write_bytecode = True  # no __pycache__ in the repository
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_reference as ref  # noqa: E402


def export(module: nn.Module, x: torch.Tensor, opset: int = 17) -> str:
    """Exports `module` (eval) with a symbolic batch; returns the .onnx path (removed at exit)."""
    module.eval()
    handle, path = tempfile.mkstemp(suffix=".onnx")
    os.close(handle)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about the op zoo's Python constants
        torch.onnx.export(module, x, path, input_names=["input"], output_names=["logits"], opset_version=opset,
                          dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    return path


def max_relative_error(actual: torch.Tensor, expected: torch.Tensor) -> float:
    """max |a - e| / max |e|: the measure advx's tests use (src/reference/relative-error.ts)."""
    return float((actual - expected).abs().max() / expected.abs().max().clamp_min(1e-30))


def reference_and_module(module: nn.Module, x: torch.Tensor, path: str, dtype: torch.dtype, loss: str,
                         targeted: bool = False):
    """(logits, loss gradient, logit-weights gradient) from the interpreter and from the module itself."""
    labels = torch.arange(x.shape[0]) % 3
    targets = (labels + 1) % 3
    graph = ref.load_graph(path)
    results = []
    for forward in (lambda xi: ref.run_graph(graph, xi, dtype), module.to(dtype)):
        xi = x.to(dtype).clone().requires_grad_(True)
        z = forward(xi)
        weights = torch.linspace(-1, 1, z.numel(), dtype=dtype).reshape(z.shape)
        per_input = ref.loss_per_input(z, loss, labels, targeted, targets)
        (g_loss,) = torch.autograd.grad(per_input.sum(), xi, retain_graph=True)
        (g_weights,) = torch.autograd.grad((weights * z).sum(), xi)
        results.append((z.detach(), g_loss, g_weights))
    module.float()
    return results


class SmallCnn(nn.Module):
    """The Fashion-MNIST CNN shape, with a batch norm the exporter cannot fold (it follows a pool)."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.BatchNorm2d(8),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(16 * 7 * 7, 32), nn.ReLU(), nn.Linear(32, 10))

    def forward(self, x):
        return self.body(x)


class OpZoo(nn.Module):
    """Exercises the ops torch exports for common layers and tensor code (see the op counts asserted)."""

    def __init__(self):
        super().__init__()
        self.grouped = nn.Conv2d(4, 8, 3, stride=2, padding=2, dilation=2, groups=2)
        self.depthwise = nn.Conv2d(8, 8, 3, padding=1, groups=8, bias=False)
        self.bn = nn.BatchNorm2d(8)
        self.prelu = nn.PReLU(8)
        self.proj = nn.Parameter(torch.randn(5, 6) * 0.3)
        self.fc = nn.Linear(144, 10)

    def forward(self, x):
        y = self.grouped(x)                                             # Conv (groups, strides, dilations, pads)
        y = F.leaky_relu(self.bn(torch.sigmoid(y) * 2), 0.2)            # Sigmoid, Mul, BatchNormalization, LeakyRelu
        y = F.relu6(self.depthwise(F.pad(y, (1, 0, 0, 1))))             # Pad (asymmetric), Conv (depthwise), Clip
        a = F.max_pool2d(y, 3, 2, padding=1, ceil_mode=True)            # MaxPool (pads, ceil_mode)
        b = F.avg_pool2d(y, 3, 2, padding=1, ceil_mode=True, count_include_pad=False)   # AveragePool
        c = F.avg_pool2d(y, 3, 2, padding=1, ceil_mode=True, count_include_pad=True)
        y = torch.cat([a, b - c, self.prelu(a) / (c.abs() + 1)], 1)      # Concat, Sub, Div, Abs, PRelu
        y = F.pad(y, (1, 1, 1, 1), mode="reflect") + F.pad(y, (1, 1, 1, 1), mode="replicate")
        y = y[:, :, 1:-1:2, ::2]                                        # Slice with steps
        g = torch.tanh(y.mean(dim=(2, 3)))                               # ReduceMean, Tanh
        s = y.reshape(y.shape[0], 24, -1).transpose(1, 2)                # Shape, Gather, Reshape, Transpose
        s = s[:, :, :5] @ self.proj                                     # MatMul (3-D)
        s = F.gelu(s) + F.hardswish(s) + F.elu(s) + F.softplus(s)        # Erf, HardSwish, Elu, Softplus
        s = torch.softmax(s, -1) + torch.log_softmax(s, 1).exp()         # Softmax, LogSoftmax, Exp
        s = torch.maximum(s, F.hardsigmoid(s)).unsqueeze(1).squeeze(1)   # Max, HardSigmoid, Unsqueeze, Squeeze
        s = torch.sqrt(s + 1) - torch.log(s + 2) + s.pow(2).sum(1, keepdim=True)   # Sqrt, Log, Pow, ReduceSum
        first = s[:, 0]                                                 # Gather (scalar index)
        scale = torch.ones_like(first).expand(s.shape[0], 6)            # Expand / ConstantOfShape
        pooled = F.adaptive_avg_pool2d(y, 1).flatten(1)                  # GlobalAveragePool, Flatten
        flat = torch.cat([s.flatten(1), first * scale, pooled, g], 1)
        count = torch.tensor(float(flat.shape[1]))                      # Constant
        out = self.fc(F.dropout(flat, 0.5, training=False) * (144.0 / count))  # Gemm, Dropout (dropped)
        return out - out.amax(1, keepdim=True) * 0.1 + 1 / (out.abs() + 4)     # ReduceMax, Reciprocal


class Sine(nn.Module):
    def forward(self, x):
        return torch.sin(x)


class Checks(unittest.TestCase):
    def check(self, module: nn.Module, x: torch.Tensor, float64_tol: float, float32_tol: float,
              losses=("crossentropy",), opset: int = 17):
        path = export(module, x, opset)
        try:
            for loss in losses:
                for dtype, tol in ((torch.float64, float64_tol), (torch.float32, float32_tol)):
                    ours, theirs = reference_and_module(module, x, path, dtype, loss, targeted=loss == "margin")
                    for what, a, b in zip(("logits", "loss gradient", "logit-weights gradient"), ours, theirs):
                        error = max_relative_error(a, b)
                        print(f"  {type(module).__name__} opset {opset} {dtype} {loss} {what}: "
                              f"max relative error {error:.2e}", file=sys.stderr)
                        self.assertLessEqual(error, tol, f"{loss} {dtype} {what}")
                        self.assertGreater(float(b.abs().max()), 0.0, f"{what} is all zeros")
        finally:
            os.remove(path)


class InterpreterVersusTorch(Checks):
    def test_small_cnn(self):
        torch.manual_seed(0)
        module = SmallCnn()
        module.body[3].running_mean.uniform_(-0.5, 0.5)
        module.body[3].running_var.uniform_(0.5, 2)
        self.check(module, torch.rand(4, 1, 28, 28), 1e-12, 1e-5, ("crossentropy", "margin", "dlr", "dlr-targeted"))

    def test_op_zoo(self):
        torch.manual_seed(1)
        module = OpZoo()
        module.bn.running_mean.uniform_(-0.5, 0.5)
        module.bn.running_var.uniform_(0.5, 2)
        x = torch.rand(3, 4, 19, 21)
        for opset in (13, 17):
            self.check(module, x, 1e-6, 1e-5, opset=opset)
        path = export(module, x)
        try:
            ops = set(node.op_type for node in onnx.load(path).graph.node)
        finally:
            os.remove(path)
        required = {"Conv", "BatchNormalization", "LeakyRelu", "Sigmoid", "Clip", "MaxPool", "AveragePool",
                    "GlobalAveragePool", "Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Reshape", "Transpose",
                    "Concat", "Pad", "Softmax", "LogSoftmax", "Unsqueeze", "Squeeze", "Gather", "ReduceMean",
                    "Constant", "Shape", "Slice", "Tanh", "Flatten"}
        self.assertEqual(required - ops, set(), "the op zoo no longer exports these ops")

    def test_opset_11_softmax_and_squeeze_attributes(self):
        torch.manual_seed(2)
        module = nn.Sequential(nn.Conv2d(3, 5, 3), nn.Flatten(), nn.Linear(5 * 6 * 6, 7), nn.LogSoftmax(1))
        self.check(module, torch.rand(2, 3, 8, 8), 1e-12, 1e-5, opset=11)

    def test_unknown_op_is_one_clear_error(self):
        torch.manual_seed(3)
        path = export(Sine(), torch.rand(1, 4))
        try:
            with self.assertRaisesRegex(ref.BadInput, r"unsupported op 'Sin'"):
                ref.load_graph(path)
        finally:
            os.remove(path)


class ResNet50VersusTorch(Checks):
    def test_resnet50(self):
        import torchvision

        torch.manual_seed(4)
        module = torchvision.models.resnet50(weights=None)
        for m in module.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.data.uniform_(0.2, 0.6)
        # The exporter folds batch norms into the convolutions in float32: 1e-6 off a float64 module.
        self.check(module, torch.rand(2, 3, 224, 224), 1e-6, 1e-5)


if __name__ == "__main__":
    torch.set_num_threads(max(1, len(os.sched_getaffinity(0))))
    classes = [InterpreterVersusTorch] if "--quick" in sys.argv else [InterpreterVersusTorch, ResNet50VersusTorch]
    suite = unittest.TestSuite(unittest.defaultTestLoader.loadTestsFromTestCase(c) for c in classes)
    sys.exit(0 if unittest.TextTestRunner(verbosity=1).run(suite).wasSuccessful() else 1)
