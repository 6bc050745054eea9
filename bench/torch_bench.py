"""PyTorch on this CPU, the peer users would pick: ms per PGD step (forward + input gradient only,
parameters frozen) for the same architectures advx benchmarks. Prints one JSON object."""
import json
import sys
import time

import torch
import torch.nn as nn


def mobilenet_v1(alpha=0.75, classes=1000):
    def conv_bn(cin, cout, stride):
        return [nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU6()]

    def dw_sep(cin, cout, stride):
        return [
            nn.Conv2d(cin, cin, 3, stride, 1, groups=cin, bias=False), nn.BatchNorm2d(cin), nn.ReLU6(),
            nn.Conv2d(cin, cout, 1, 1, 0, bias=False), nn.BatchNorm2d(cout), nn.ReLU6(),
        ]

    c = lambda n: int(n * alpha)
    plan = [(32, 64, 1), (64, 128, 2), (128, 128, 1), (128, 256, 2), (256, 256, 1), (256, 512, 2)]
    plan += [(512, 512, 1)] * 5 + [(512, 1024, 2), (1024, 1024, 1)]
    layers = conv_bn(3, c(32), 2)
    for cin, cout, s in plan:
        layers += dw_sep(c(cin), c(cout), s)
    layers += [nn.AdaptiveAvgPool2d(1), nn.Conv2d(c(1024), classes, 1), nn.Flatten()]
    return nn.Sequential(*layers)


def fashion_cnn():
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10),
    )


def step_ms(model, shape, classes, repeats):
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    x = torch.rand(*shape)
    y = torch.randint(0, classes, (shape[0],))
    loss_fn = nn.CrossEntropyLoss(reduction="sum")

    def step():
        xi = x.clone().requires_grad_(True)
        loss_fn(model(xi), y).backward()
        return xi.grad

    step()
    start = time.perf_counter()
    for _ in range(repeats):
        step()
    return (time.perf_counter() - start) * 1000 / repeats


if __name__ == "__main__":
    torch.manual_seed(0)
    torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else torch.get_num_threads())
    out = {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "cnn_128": step_ms(fashion_cnn(), (128, 1, 28, 28), 10, 20),
        "mobilenet_1": step_ms(mobilenet_v1(), (1, 3, 224, 224), 1000, 10),
        "mobilenet_8": step_ms(mobilenet_v1(), (8, 3, 224, 224), 1000, 5),
    }
    print(json.dumps(out))
