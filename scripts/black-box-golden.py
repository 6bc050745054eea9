"""Golden values for advx's score- and decision-based attacks: the reference implementations' figures on the
same weights and images.

Runs, on an ONNX export of the embedded Fashion-MNIST CNN interpreted by scripts/torch_reference.py (PyTorch,
float32), on the first Fashion-MNIST test images the model classifies correctly:
- foolbox 3: BoundaryAttack, HopSkipJumpAttack (L2 and Linf), with its default initialisation;
- torchattacks: SPSA;
- the SimBA authors' code (github:cg563/simple-blackbox-attack, simba.py): SimBA-DCT, strided order. That
  code hard-codes 3 channels, so the images are given as 3 equal channels to a model that averages them
  before the CNN (advx's test builds the same model);
each with several seeds, and writes per-image figures, their medians and the spread of the medians across
seeds as JSON (scripts/black-box-golden.json, which src/attacks/black-box-golden.test.ts compares advx with).
A measurement script, never a dependency of advx:

  node -e "import('./dist/engine/onnx/export-tfjs.js').then((m) => m.exportToOnnx('fashion-mnist-cnn', '/tmp/fm-cnn.onnx'))"
  # foolbox 3.3.4 and eagerpy sources (github:bethgelab/foolbox, github:jonasrauber/eagerpy), torchattacks
  # (github:Harry24k/adversarial-attacks-pytorch) on PYTHONPATH, with a stub `git` module (foolbox's zoo imports
  # GitPython, unused here); SIMBA: a folder with the SimBA authors' simba.py and utils.py (needs scipy):
  PYTHONPATH=FOOLBOX:EAGERPY:TORCHATTACKS:STUBS /usr/bin/python3 scripts/black-box-golden.py \\
      --onnx /tmp/fm-cnn.onnx --simba SIMBA --out scripts/black-box-golden.json
"""
from __future__ import annotations

import argparse
import gzip
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
import torchattacks  # noqa: E402

SEEDS = [0, 1, 2]

# The settings advx's test runs with. Boundary: larger and more often adapted steps than foolbox's defaults
# (0.01, 0.01, every 10), so that a few hundred steps move; HopSkipJump: foolbox's defaults, 5 steps.
BOUNDARY = dict(steps=300, spherical_step=0.1, source_step=0.03, update_stats_every_k=2)
HSJ = dict(steps=5)
SPSA = dict(eps=0.1, delta=0.01, lr=0.01, nb_iter=10, nb_sample=64, max_batch_size=64)
SIMBA = dict(max_iters=300, freq_dims=4, stride=1, epsilon=0.2, order="strided")


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
    """The ONNX graph (NHWC in, logits out), counting the images it is asked about."""

    def __init__(self, path: str):
        super().__init__()
        self.graph = torch_reference.load_graph(path)
        self.images = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.images += len(x)
        return torch_reference.run_graph(self.graph, x, torch.float32)


class ThreeChannels(torch.nn.Module):
    """NCHW images with 3 channels -> their channel mean, NHWC -> the CNN (the SimBA code's layout)."""

    def __init__(self, inner: OnnxModule):
        super().__init__()
        self.inner = inner

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.inner(x.mean(1, keepdim=True).permute(0, 2, 3, 1))


def norms(delta: np.ndarray, norm: str) -> np.ndarray:
    flat = delta.reshape(len(delta), -1).astype(np.float64)
    return np.sqrt((flat ** 2).sum(1)) if norm == "l2" else np.abs(flat).max(1)


def summary(runs: list[dict], norm: str | None) -> dict:
    """Per-seed runs -> medians, their spread across seeds, and the first seed's per-image figures."""
    out = {"runs": runs}
    for key in ["success_rate", "median_norm", "mean_queries"]:
        values = [r[key] for r in runs if r.get(key) is not None]
        if values:
            out[key] = {"mean": float(np.mean(values)), "min": float(min(values)), "max": float(max(values))}
    out["norm"] = norm
    return out


def run_foolbox(name, attack, model, module, x, y, norm, per_image=False):
    """foolbox's attack on the whole batch, or on one image at a time (`per_image`)."""
    runs = []
    for seed in SEEDS:
        torch.manual_seed(seed)
        module.images = 0
        start = time.time()
        if per_image:
            parts = [attack(model, x[i:i + 1], y[i:i + 1], epsilons=None) for i in range(len(x))]
            adversarial = torch.cat([p[1] for p in parts])
            success = torch.cat([p[2] for p in parts])
        else:
            _, adversarial, success = attack(model, x, y, epsilons=None)
        seconds = time.time() - start
        queries = module.images - len(x)  # foolbox's __call__ evaluates the result once more
        found = success.numpy()
        values = norms(adversarial.numpy() - x.numpy(), norm)
        runs.append({
            "seed": seed, "success_rate": float(found.mean()),
            "median_norm": float(np.median(values[found])) if found.any() else None,
            "mean_queries": queries / len(x), "norms": [round(float(v), 6) for v in values],
            "seconds": round(seconds, 1),
        })
        print(f"{name} seed {seed}: success {found.mean():.2f}, median {norm} {runs[-1]['median_norm']:.4f}, "
              f"{queries / len(x):.0f} queries per input, {seconds:.1f} s", file=sys.stderr)
    return summary(runs, norm)


def run_spsa(module, x, y):
    runs = []
    for seed in SEEDS:
        torch.manual_seed(seed)
        attack = torchattacks.SPSA(module, **SPSA)
        attack.set_device("cpu")
        start = time.time()
        adversarial = attack(x, y)
        with torch.no_grad():
            found = (module(adversarial).argmax(1) != y).numpy()
        linf = norms(adversarial.numpy() - x.numpy(), "linf")
        assert linf.max() <= SPSA["eps"] + 1e-6
        runs.append({"seed": seed, "success_rate": float(found.mean()), "success": [bool(s) for s in found],
                     "seconds": round(time.time() - start, 1)})
        print(f"spsa seed {seed}: success {found.mean():.2f}", file=sys.stderr)
    return summary(runs, None)


def run_simba(simba_dir, module, x, y):
    sys.path.insert(0, simba_dir)
    torch.Tensor.cuda = lambda self, *args, **kwargs: self  # the authors' code moves batches to a GPU
    import simba as simba_module  # noqa: E402

    model = ThreeChannels(module).eval()
    attacker = simba_module.SimBA(model, "none", 28)
    images = x.permute(0, 3, 1, 2).repeat(1, 3, 1, 1)  # NCHW, 3 equal channels
    runs = []
    for seed in SEEDS:
        torch.manual_seed(seed)
        start = time.time()
        with torch.no_grad():
            adversarial, _, succs, queries, _, _ = attacker.simba_batch(
                images, y, SIMBA["max_iters"], SIMBA["freq_dims"], SIMBA["stride"], SIMBA["epsilon"],
                order=SIMBA["order"], log_every=10 ** 9)
        found = succs[:, -1].numpy().astype(bool)
        values = norms(adversarial.numpy() - images.numpy(), "l2")
        spent = queries.sum(1).numpy()
        runs.append({
            "seed": seed, "success_rate": float(found.mean()),
            "median_norm": float(np.median(values[found])) if found.any() else None,
            # the authors count probes only; advx also counts the clean image's query
            "mean_queries": float(spent.mean()),
            "median_queries_successful": float(np.median(spent[found])) if found.any() else None,
            "norms": [round(float(v), 6) for v in values], "seconds": round(time.time() - start, 1),
        })
        print(f"simba seed {seed}: success {found.mean():.2f}, median l2 {runs[-1]['median_norm']:.4f}, "
              f"{spent.mean():.0f} queries per input", file=sys.stderr)
    return summary(runs, "l2")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--onnx", required=True, help="ONNX export of the embedded fashion-mnist-cnn (NHWC)")
    parser.add_argument("--simba", required=True, help="folder with the SimBA authors' simba.py and utils.py")
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--n", type=int, default=16)
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

    attacks = {
        "boundary": {"reference": "foolbox BoundaryAttack", "settings": BOUNDARY,
                     **run_foolbox("boundary", fb.attacks.BoundaryAttack(**BOUNDARY), model, module, x, y, "l2")},
        # foolbox scales a batch's gradient estimates by the norm of the whole batch's (the paper and advx: each
        # input's own), which shrinks L2 jumps in a batch: the reference is foolbox on one image at a time; the
        # batched run is kept to show the difference (Linf jumps along the sign are not affected).
        "hop-skip-jump": {"reference": "foolbox HopSkipJumpAttack, one image at a time", "settings": HSJ,
                          **run_foolbox("hop-skip-jump", fb.attacks.HopSkipJumpAttack(**HSJ), model, module, x, y,
                                        "l2", per_image=True)},
        "hop-skip-jump-batched": {"reference": "foolbox HopSkipJumpAttack, the whole batch at once", "settings": HSJ,
                                  **run_foolbox("hop-skip-jump-batched", fb.attacks.HopSkipJumpAttack(**HSJ), model,
                                                module, x, y, "l2")},
        "linf-hop-skip-jump": {"reference": "foolbox HopSkipJumpAttack(constraint='linf'), one image at a time",
                               "settings": {**HSJ, "constraint": "linf"},
                               **run_foolbox("linf-hop-skip-jump",
                                             fb.attacks.HopSkipJumpAttack(**HSJ, constraint="linf"), model, module,
                                             x, y, "linf", per_image=True)},
        "spsa": {"reference": "torchattacks SPSA", "settings": SPSA, **run_spsa(module, x, y)},
        "simba": {"reference": "SimBA authors' simba_batch (3 equal channels, channel-mean model)",
                  "settings": SIMBA, **run_simba(args.simba, module, x, y)},
    }
    out = {
        "note": "Reference implementations on the ONNX export of advx's embedded fashion-mnist-cnn "
                "(torch_reference.py, float32), seeds " + ", ".join(map(str, SEEDS)) + "; norms of the result "
                "minus the input, medians over successes; queries: images sent to the model per input. "
                "Made by scripts/black-box-golden.py.",
        "model": "fashion-mnist-cnn",
        "data": "Fashion-MNIST test set: the first images (of the first 200) the model classifies correctly",
        "indices": indices,
        "labels": [int(v) for v in labels[indices]],
        "versions": {"foolbox": fb.__version__, "eagerpy": eagerpy.__version__,
                     "torchattacks": torchattacks.__version__, "torch": torch.__version__},
        "attacks": attacks,
    }
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
