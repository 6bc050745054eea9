"""PyTorch on this CPU, the peer users would pick: ms per PGD step (forward + input gradient of the summed
cross-entropy, eval mode, parameters frozen) for the architectures advx benchmarks.

  /usr/bin/python3 bench/torch_bench.py [THREADS] [ROW ...]

THREADS: a count, or `all` (every CPU this process may run on; the default). ROW: run only these rows (keys
below); default all of them. src/bench/main.ts runs it as `/usr/bin/python3 bench/torch_bench.py THREADS`.

Prints one JSON object. Its keys are stable (main.ts reads them):
  "torch":        str    PyTorch version
  "threads":      int    torch threads used
  "cnn_128":      float  Fashion-MNIST CNN (conv 16 / 32, dense 128), batch 128 of 1x28x28
  "mobilenet_1":  float  MobileNet v1 alpha 0.75, 3x224x224, batch 1
  "mobilenet_8":  float  the same, batch 8
  "resnet50_1":   float  torchvision ResNet-50 (random weights: timing only), 3x224x224, batch 1
  "resnet50_8":   float  the same, batch 8
  "resnet50_32":  float  the same, batch 32
                         each row: median ms per step, over "repeats" timed steps after one warm-up step
  "repeats":      {row: int}
  "peak_rss_mb":  float  the process's peak resident set size in MiB (resource.getrusage ru_maxrss) after all
                         rows; run one row per process to get a row's own peak
  "load_average": [float, float, float]  1, 5, 15 minute load averages when the rows were done
A row left out by ROW arguments is absent.
"""
import json
import os
import resource
import statistics
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


def resnet50():
    import torchvision

    return torchvision.models.resnet50(weights=None)


# key: (architecture, input shape, classes, timed steps). ResNet-50 at batch 32 takes ~10 s a step: 2 steps.
ROWS = {
    "cnn_128": (fashion_cnn, (128, 1, 28, 28), 10, 20),
    "mobilenet_1": (mobilenet_v1, (1, 3, 224, 224), 1000, 10),
    "mobilenet_8": (mobilenet_v1, (8, 3, 224, 224), 1000, 5),
    "resnet50_1": (resnet50, (1, 3, 224, 224), 1000, 5),
    "resnet50_8": (resnet50, (8, 3, 224, 224), 1000, 3),
    "resnet50_32": (resnet50, (32, 3, 224, 224), 1000, 2),
}


def frozen(model):
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def step_ms(model, shape, classes, repeats):
    """Median wall-clock ms of one forward + input-gradient step."""
    x = torch.rand(*shape)
    y = torch.randint(0, classes, (shape[0],))
    loss_fn = nn.CrossEntropyLoss(reduction="sum")

    def step():
        xi = x.clone().requires_grad_(True)
        loss_fn(model(xi), y).backward()
        return xi.grad

    step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def parse_threads(text):
    if text == "all":
        return len(os.sched_getaffinity(0))
    try:
        threads = int(text)
    except ValueError:
        threads = 0
    if threads < 1:
        raise SystemExit(f"torch_bench: THREADS '{text}' is not a positive count or 'all'")
    return threads


def main(argv):
    threads = parse_threads(argv[0] if argv else "all")
    rows = argv[1:] or list(ROWS)
    unknown = [row for row in rows if row not in ROWS]
    if unknown:
        raise SystemExit(f"torch_bench: unknown row '{unknown[0]}' (rows: {', '.join(ROWS)})")
    torch.manual_seed(0)
    torch.set_num_threads(threads)
    out = {"torch": torch.__version__, "threads": torch.get_num_threads()}
    models = {}
    repeats = {}
    for key in rows:
        build, shape, classes, count = ROWS[key]
        if build not in models:
            models[build] = frozen(build())
        out[key] = step_ms(models[build], shape, classes, count)
        repeats[key] = count
        print(f"{key}: {out[key]:.1f} ms", file=sys.stderr)
    out["repeats"] = repeats
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    out["load_average"] = [round(v, 2) for v in os.getloadavg()]
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1:])
