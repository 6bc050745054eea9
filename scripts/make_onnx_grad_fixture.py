"""Writes the PyTorch fixture of advx's ONNX gradient engine (src/engine/onnx/torch-agreement.test.ts):

  src/engine/onnx/fixtures/torch-small-cnn.onnx   a small CNN exported by torch.onnx (opset 13, BatchNormalization
                                                  kept as nodes): Conv+BN+ReLU, MaxPool with padding, depthwise
                                                  stride-2 Conv+BN+ReLU6, 1x1 Conv+BN+LeakyReLU, a 1x1 stride-2
                                                  shortcut and residual add, Conv+Sigmoid, Concat, AvgPool
                                                  (count_include_pad=False), AvgPool 2x2, Flatten, Linear
  src/engine/onnx/fixtures/torch-small-cnn.json   inputs (NHWC pixels), and torch's float64 logits, per-input
                                                  losses and input gradients (NHWC) for every loss kind of
                                                  src/models/loss.ts

The inputs are drawn until they are well conditioned: every ReLU / ReLU6 / LeakyReLU input is at least MARGIN from
its kinks and every max-pool window's largest value beats the runner-up by MARGIN (20x the float32 rounding of
those values, so rounding cannot
flip a decision, so float32 engines must agree with these float64 references to ~1e-6).

Run: /usr/bin/python3 scripts/make_onnx_grad_fixture.py   (Debian python3-torch; deterministic)
"""
import base64
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'src', 'engine', 'onnx', 'fixtures')
MARGIN = 2e-5
BATCH, CLASSES, SIZE = 2, 10, 16


class SmallCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 1, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU())
        self.pool = nn.MaxPool2d(3, 2, 1)
        self.depthwise = nn.Sequential(nn.Conv2d(8, 8, 3, 2, 1, groups=8, bias=False), nn.BatchNorm2d(8), nn.ReLU6())
        self.pointwise = nn.Sequential(nn.Conv2d(8, 16, 1, bias=False), nn.BatchNorm2d(16), nn.LeakyReLU(0.1))
        self.shortcut = nn.Conv2d(8, 16, 1, 2)
        self.branch = nn.Sequential(nn.Conv2d(16, 8, 3, 1, 1), nn.Sigmoid())
        self.smooth = nn.AvgPool2d(3, 1, 1, count_include_pad=False)
        self.fc = nn.Linear(24 * 2 * 2, CLASSES)

    def forward(self, x):
        x = self.pool(self.stem(x))
        y = self.pointwise(self.depthwise(x)) + self.shortcut(x)
        z = self.smooth(torch.cat([y, self.branch(y)], 1))
        return self.fc(torch.flatten(F.avg_pool2d(z, 2), 1))


def conditioning(model, x):
    """The smallest distance of any activation input to a kink, and of any max-pool winner to its runner-up."""
    margins = []

    def activation_hook(module, inputs, _output):
        v = inputs[0]
        kinks = [0.0, 6.0] if isinstance(module, nn.ReLU6) else [0.0]
        margins.append(min((v - k).abs().min().item() for k in kinks))

    def pool_hook(module, inputs, _output):
        v = F.pad(inputs[0], (1, 1, 1, 1), value=-1e9)
        windows = F.unfold(v, 3, stride=2).reshape(v.shape[0], v.shape[1], 9, -1)
        top = windows.topk(2, dim=2).values
        winners = top[:, :, 0] > 0  # windows of zeros only come after a ReLU that blocks them anyway
        margins.append((top[:, :, 0] - top[:, :, 1])[winners].min().item())

    hooks = [m.register_forward_hook(activation_hook) for m in model.modules() if isinstance(m, (nn.ReLU, nn.ReLU6, nn.LeakyReLU))]
    hooks.append(model.pool.register_forward_hook(pool_hook))
    model(x)
    for h in hooks:
        h.remove()
    return min(margins)


def loss_of_logits(z, kind, labels, targets, weights, targeted):
    """src/models/loss.ts's lossOfLogits, per input."""
    onehot = F.one_hot(labels, CLASSES).to(z.dtype)
    if kind == 'crossentropy':
        ce = -(onehot * F.log_softmax(z, 1)).sum(1)
        return -ce if targeted else ce
    own = (onehot * z).sum(1)
    other = (z - onehot * 1e9).max(1).values
    if kind == 'margin':
        return own - other if targeted else other - own
    top = z.topk(4, 1).values
    if kind == 'dlr':
        return -(own - other) / (top[:, 0] - top[:, 2] + 1e-12)
    if kind == 'dlr-targeted':
        target = (F.one_hot(targets, CLASSES).to(z.dtype) * z).sum(1)
        return -(own - target) / (top[:, 0] - (top[:, 2] + top[:, 3]) / 2 + 1e-12)
    if kind == 'logits':
        return (weights * z).sum(1)
    raise ValueError(kind)


def encode(t):
    return base64.b64encode(t.detach().to(torch.float32).contiguous().numpy().astype('<f4').tobytes()).decode()


def main():
    torch.manual_seed(0)
    model = SmallCnn().eval()
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)
    os.makedirs(OUT, exist_ok=True)
    onnx_path = os.path.join(OUT, 'torch-small-cnn.onnx')
    torch.onnx.export(model, torch.rand(1, 3, SIZE, SIZE), onnx_path, input_names=['input'], output_names=['logits'],
                      dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}}, opset_version=13,
                      do_constant_folding=False, training=torch.onnx.TrainingMode.PRESERVE)

    double = SmallCnn().eval()
    double.load_state_dict(model.state_dict())
    double = double.double()
    for p in double.parameters():
        p.requires_grad_(False)
    generator = torch.Generator().manual_seed(1)
    for attempt in range(1000):
        x = torch.rand(BATCH, 3, SIZE, SIZE, generator=generator, dtype=torch.float64)
        if conditioning(double, x) >= MARGIN:
            break
    else:
        sys.exit('make_onnx_grad_fixture: no well-conditioned input found')
    labels = torch.randint(0, CLASSES, (BATCH,), generator=generator)
    targets = (labels + 1 + torch.randint(0, CLASSES - 1, (BATCH,), generator=generator)) % CLASSES
    weights = torch.randn(BATCH, CLASSES, generator=generator, dtype=torch.float64)
    x32 = x.to(torch.float32).to(torch.float64)  # the exact float32 pixels both engines see

    cases = []
    for kind, targeted in [('crossentropy', False), ('crossentropy', True), ('margin', False), ('margin', True),
                           ('dlr', False), ('dlr-targeted', False), ('logits', False)]:
        xi = x32.clone().requires_grad_(True)
        z = double(xi)
        loss = loss_of_logits(z, kind, labels, targets, weights, targeted)
        loss.sum().backward()
        cases.append({'kind': kind, 'targeted': targeted, 'loss': loss.tolist(),
                      'gradient': encode(xi.grad.permute(0, 2, 3, 1))})
    with torch.no_grad():
        logits = double(x32)
    fixture = {
        'generatedBy': 'scripts/make_onnx_grad_fixture.py', 'torch': torch.__version__,
        'shape': [BATCH, SIZE, SIZE, 3], 'classes': CLASSES, 'margin': MARGIN, 'attempts': attempt + 1,
        'pixels': encode(x32.permute(0, 2, 3, 1)), 'labels': labels.tolist(), 'targets': targets.tolist(),
        'weights': encode(weights), 'logits': encode(logits), 'cases': cases,
    }
    with open(os.path.join(OUT, 'torch-small-cnn.json'), 'w') as f:
        json.dump(fixture, f, indent=1)
        f.write('\n')
    print(json.dumps({'onnx': os.path.getsize(onnx_path), 'attempts': attempt + 1}))


if __name__ == '__main__':
    main()
