"""Golden values for advx's minimization attacks: foolbox 3's figures on the same weights and images.

Runs foolbox 3 (PyTorch, float32) on an ONNX export of the embedded Fashion-MNIST CNN, interpreted by
scripts/torch_reference.py, on the first Fashion-MNIST test images the model classifies correctly, and writes
per-image perturbation norms and their medians as JSON (scripts/foolbox-minimal-golden.json, which
src/attacks/minimization-golden.test.ts compares advx with). A measurement script, never a dependency of advx:

  node dist/cli/main.js export onnx --model fashion-mnist-cnn --out /tmp/fm-cnn.onnx   # sha256 in the JSON
  # foolbox 3.3.4 and eagerpy 0.30.0 sources (github:bethgelab/foolbox, github:jonasrauber/eagerpy) on PYTHONPATH,
  # with a stub `git` module (foolbox's zoo imports GitPython, which is not used here):
  PYTHONPATH=FOOLBOX:EAGERPY:STUBS /usr/bin/python3 scripts/foolbox-minimal-golden.py \\
      --onnx /tmp/fm-cnn.onnx --out scripts/foolbox-minimal-golden.json
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_reference  # noqa: E402  (the ONNX -> torch interpreter beside this script)

import eagerpy  # noqa: E402
import foolbox as fb  # noqa: E402
from foolbox.devutils import atleast_kd, flatten  # noqa: E402

class L2FMNProjected(fb.attacks.L2FMNAttack):
    """foolbox's L2FMNAttack with the projection onto the L2 ball the paper uses (foolbox 3.3.4 computes
    min(1, ||x|| / ||x||) and so never projects); advx's l2-fmn projects."""

    def project(self, x, x0, epsilon):
        delta = x - x0
        norms = eagerpy.maximum(flatten(delta).norms.l2(axis=-1), 1e-12)
        factor = eagerpy.minimum(1, epsilon / norms)
        return x0 + delta * atleast_kd(factor, x.ndim)


# The settings advx's test runs with: foolbox's defaults, but C&W with 5 x 100 steps of Adam at 0.05 (not
# 9 x 10000 at 0.01) and c from 1 (not 0.001), to keep the test fast.
ATTACKS = {
    "cw": (fb.attacks.L2CarliniWagnerAttack,
           dict(binary_search_steps=5, steps=100, stepsize=0.05, confidence=0, initial_const=1.0, abort_early=True),
           "l2"),
    "deepfool": (fb.attacks.L2DeepFoolAttack, dict(steps=50, candidates=10, overshoot=0.02), "l2"),
    "linf-deepfool": (fb.attacks.LinfDeepFoolAttack, dict(steps=50, candidates=10, overshoot=0.02), "linf"),
    "ddn": (fb.attacks.DDNAttack, dict(steps=100, init_epsilon=1.0, gamma=0.05), "l2"),
    "linf-fmn": (fb.attacks.LInfFMNAttack, dict(steps=100, max_stepsize=1.0, gamma=0.05), "linf"),
    "l1-fmn": (fb.attacks.L1FMNAttack, dict(steps=100, max_stepsize=1.0, gamma=0.05), "l1"),
    "l2-fmn": (L2FMNProjected, dict(steps=100, max_stepsize=1.0, gamma=0.05), "l2"),
}


def read_idx_images(path: str) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        data = f.read()
    count, rows, cols = (int.from_bytes(data[i:i + 4], "big") for i in (4, 8, 12))
    return np.frombuffer(data, np.uint8, count * rows * cols, 16).reshape(count, rows, cols, 1)


def read_idx_labels(path: str) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        data = f.read()
    return np.frombuffer(data, np.uint8, int.from_bytes(data[4:8], "big"), 8)


class OnnxModule(torch.nn.Module):
    def __init__(self, path: str):
        super().__init__()
        self.graph = torch_reference.load_graph(path)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch_reference.run_graph(self.graph, x, torch.float32)


def norms(delta: np.ndarray, norm: str) -> np.ndarray:
    flat = delta.reshape(len(delta), -1).astype(np.float64)
    if norm == "l2":
        return np.sqrt((flat ** 2).sum(1))
    if norm == "l1":
        return np.abs(flat).sum(1)
    return np.abs(flat).max(1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--onnx", required=True, help="ONNX export of the embedded fashion-mnist-cnn (NHWC)")
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--n", type=int, default=20)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    torch.set_num_threads(1)

    images = read_idx_images(os.path.join(args.data, "t10k-images-idx3-ubyte.gz"))[:200]
    labels = read_idx_labels(os.path.join(args.data, "t10k-labels-idx1-ubyte.gz"))[:200]
    module = OnnxModule(args.onnx).eval()
    x_all = torch.tensor(images.astype(np.float32) / 255)
    with torch.no_grad():
        predicted = module(x_all).argmax(1).numpy()
    indices = [int(i) for i in np.nonzero(predicted == labels)[0][: args.n]]
    x = x_all[indices]
    y = torch.tensor(labels[indices].astype(np.int64))
    model = fb.PyTorchModel(module, bounds=(0, 1))

    results = {}
    for name, (cls, settings, norm) in ATTACKS.items():
        start = time.time()
        _, adversarial, success = cls(**settings)(model, x, y, epsilons=None)
        seconds = time.time() - start
        found = success.numpy()
        values = norms(adversarial.numpy() - x.numpy(), norm)
        results[name] = {
            "foolbox": cls.__name__,
            "settings": settings,
            "norm": norm,
            "success": [bool(s) for s in found],
            "norms": [round(float(v), 6) for v in values],
            "median": round(float(np.median(values[found])), 6),
            "seconds": round(seconds, 1),
        }
        print(f"{name}: success {found.sum()}/{len(found)}, median {norm} {np.median(values[found]):.4f}, "
              f"{seconds:.1f} s", file=sys.stderr)

    out = {
        "note": "foolbox 3 on the ONNX export of advx's embedded fashion-mnist-cnn (torch_reference.py, float32), "
                "epsilons=None; norms of the returned adversarial minus the input; median over successes. "
                "Made by scripts/foolbox-minimal-golden.py.",
        "model": "fashion-mnist-cnn",
        "onnxSha256": hashlib.sha256(open(args.onnx, "rb").read()).hexdigest(),
        "data": "Fashion-MNIST test set: the first images (of the first 200) the model classifies correctly",
        "indices": indices,
        "labels": [int(v) for v in labels[indices]],
        "versions": {"foolbox": fb.__version__, "eagerpy": eagerpy.__version__, "torch": torch.__version__},
        "attacks": results,
    }
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
