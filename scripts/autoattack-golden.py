"""Golden values for advx's AutoAttack: fra31/auto-attack's own attacks on the same weights and images.

Builds the adversarially trained Fashion-MNIST CNN (models/fashion-mnist-cnn-robust, a tfjs layers model:
conv 32 - pool - conv 64 - pool - dense 128 - 10 logits) as a torch module from its model.json and
weights.bin, takes the first N Fashion-MNIST test images (pixels / 255), and runs AutoAttack (Croce & Hein
2020, github:fra31/auto-attack, PyTorch) on them:

- `standard`: the standard sequence (APGD-CE, APGD-T, FAB-T, Square 5000), each attack only on the points
  still robust, as AutoAttack.run_standard_evaluation does; per-image robust flags after each attack;
- `individual`: each of those attacks alone on every clean-correct point (per-image robust flags);
- `ci`: the same attacks with the smaller budgets of advx's CI test, alone, on the first CI_IMAGES images;
- `projections`: FAB's Linf and L2 box-constrained projections onto hyperplanes (fab_projections.py) of
  random small cases (float64), with ties, zero weights and unreachable hyperplanes among them.

Writes one JSON file (src/evaluation/autoattack-golden.json): per-image flags as strings of '1' (robust)
and '0', robust accuracies, seconds. A measurement script, never a dependency of advx:

  /usr/bin/python3 scripts/autoattack-golden.py --autoattack AUTO_ATTACK_CHECKOUT \\
      --out src/evaluation/autoattack-golden.json [--images 500] [--eps 0.1] [--parts standard,individual,ci,projections]

(AUTO_ATTACK_CHECKOUT: a checkout of github:fra31/auto-attack; torch 1.13 from Debian's python3-torch.)
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FASHION_MNIST = os.environ.get("ADVX_FASHION_MNIST", "/usr/share/datasets/fashion-mnist")
STANDARD = ["apgd-ce", "apgd-t", "fab-t", "square"]
CI_IMAGES = 100
# The budgets of advx's CI test (src/evaluation/autoattack-golden.test.ts): APGD-CE as in the standard
# version, one target class for APGD-T and FAB-T, 1000 Square queries.
CI_SETTINGS = {"apgd-t": {"n_target_classes": 1}, "fab-t": {"n_target_classes": 1}, "square": {"n_queries": 1000}}


class RobustCnn(torch.nn.Module):
    """The tfjs model's layers in torch; input NCHW [N,1,28,28] in [0,1], output logits [N,10]."""

    def __init__(self, model_dir: str):
        super().__init__()
        with open(os.path.join(model_dir, "model.json")) as f:
            manifest = json.load(f)["weightsManifest"]
        weights = {}
        for group in manifest:
            blob = b"".join(open(os.path.join(model_dir, p), "rb").read() for p in group["paths"])
            offset = 0
            for spec in group["weights"]:
                size = int(np.prod(spec["shape"]))
                assert spec["dtype"] == "float32", spec
                weights[spec["name"]] = np.frombuffer(blob, np.float32, size, offset).reshape(spec["shape"])
                offset += 4 * size
        t = lambda a: torch.from_numpy(np.array(a))  # noqa: E731
        # tfjs kernels: conv [kh, kw, in, out] -> torch [out, in, kh, kw]; dense [in, out] -> [out, in].
        self.conv1_w = t(weights["conv1/kernel"]).permute(3, 2, 0, 1).contiguous()
        self.conv1_b = t(weights["conv1/bias"])
        self.conv2_w = t(weights["conv2/kernel"]).permute(3, 2, 0, 1).contiguous()
        self.conv2_b = t(weights["conv2/bias"])
        self.dense1_w = t(weights["dense1/kernel"]).t().contiguous()
        self.dense1_b = t(weights["dense1/bias"])
        self.logits_w = t(weights["logits/kernel"]).t().contiguous()
        self.logits_b = t(weights["logits/bias"])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.max_pool2d(F.relu(F.conv2d(x, self.conv1_w, self.conv1_b, padding=1)), 2)
        h = F.max_pool2d(F.relu(F.conv2d(h, self.conv2_w, self.conv2_b, padding=1)), 2)
        h = h.permute(0, 2, 3, 1).reshape(x.shape[0], -1)  # tfjs flattens NHWC
        h = F.relu(F.linear(h, self.dense1_w, self.dense1_b))
        return F.linear(h, self.logits_w, self.logits_b)


def read_fashion_mnist(n: int) -> tuple[torch.Tensor, torch.Tensor]:
    with gzip.open(os.path.join(FASHION_MNIST, "t10k-images-idx3-ubyte.gz"), "rb") as f:
        images = np.frombuffer(f.read(), np.uint8, n * 784, 16).reshape(n, 1, 28, 28)
    with gzip.open(os.path.join(FASHION_MNIST, "t10k-labels-idx1-ubyte.gz"), "rb") as f:
        labels = np.frombuffer(f.read(), np.uint8, n, 8)
    x = torch.from_numpy(images.astype(np.float32) / 255.0)
    return x, torch.from_numpy(labels.astype(np.int64))


def flags(robust: torch.Tensor) -> str:
    return "".join("1" if r else "0" for r in robust.tolist())


def make_autoattack(model, eps: float, seed: int, settings: dict | None = None):
    from autoattack import AutoAttack

    aa = AutoAttack(model, norm="Linf", eps=eps, version="standard", seed=seed, device="cpu", verbose=False)
    for attack, options in (settings or {}).items():
        target = {"apgd-t": aa.apgd_targeted, "fab-t": aa.fab, "square": aa.square}[attack]
        for key, value in options.items():
            setattr(target, key, value)
    return aa


def run_attack(aa, name: str, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """One of AutoAttack's attacks on a batch, configured as run_standard_evaluation configures it."""
    if name == "apgd-ce":
        aa.apgd.loss = "ce"
        aa.apgd.seed = aa.get_seed()
        return aa.apgd.perturb(x, y)
    if name == "apgd-t":
        aa.apgd_targeted.seed = aa.get_seed()
        return aa.apgd_targeted.perturb(x, y)
    if name == "fab-t":
        aa.fab.targeted = True
        aa.fab.n_restarts = 1
        aa.fab.seed = aa.get_seed()
        return aa.fab.perturb(x, y)
    if name == "square":
        aa.square.seed = aa.get_seed()
        return aa.square.perturb(x, y)
    raise ValueError(name)


def sequence(model, aa, attacks: list[str], x, y, robust: torch.Tensor, bs: int, eps: float, save=None) -> dict:
    """Each attack on the points still robust, in batches of bs (run_standard_evaluation's loop); `save`
    is called with the results so far after each attack."""
    robust = robust.clone()
    run = {"robustAfter": {}, "seconds": {}}
    for name in attacks:
        start = time.time()
        idx = torch.nonzero(robust).flatten()
        for b in range(0, idx.numel(), bs):
            rows = idx[b:b + bs]
            adv = run_attack(aa, name, x[rows].clone(), y[rows].clone())
            delta = (adv - x[rows]).abs().reshape(rows.numel(), -1).max(1)[0]
            assert float(delta.max()) <= eps + 1e-5, f"{name}: perturbation {float(delta.max())} > eps"
            with torch.no_grad():
                fooled = model(adv).argmax(1) != y[rows]
            robust[rows[fooled]] = False
        run["robustAfter"][name] = flags(robust)
        run["seconds"][name] = round(time.time() - start, 1)
        print(f"{name}: robust {int(robust.sum())}/{robust.numel()} ({run['seconds'][name]} s)", file=sys.stderr, flush=True)
        if save is not None:
            save(run)
    return run


def projection_cases(seed: int) -> list[dict]:
    """Random rows for FAB's projections, and what fab_projections.py makes of them (float64)."""
    from autoattack.fab_projections import projection_l2, projection_linf

    g = torch.Generator().manual_seed(seed)
    cases = []
    for norm, project in (("linf", projection_linf), ("l2", projection_l2)):
        for k in range(24):
            dim = [1, 2, 5, 12, 33][k % 5]
            t = torch.rand(dim, generator=g, dtype=torch.float64)
            if k % 3 == 0:  # pixels at the box's faces, as in real images (ties in the sorts)
                t = torch.where(t < 0.4, torch.zeros_like(t), torch.where(t > 0.8, torch.ones_like(t), t))
            w = torch.randn(dim, generator=g, dtype=torch.float64)
            if k % 4 == 1:
                w[torch.rand(dim, generator=g) < 0.3] = 0.0
            # b near <w, t> (reachable), or far beyond what the box allows (k % 6 == 5)
            scale = 50.0 if k % 6 == 5 else 0.5
            b = float((w * t).sum() + scale * torch.randn(1, generator=g, dtype=torch.float64))
            d = project(t.unsqueeze(0), w.unsqueeze(0), torch.tensor([b], dtype=torch.float64))[0]
            cases.append({"norm": norm, "t": t.tolist(), "w": w.tolist(), "b": b, "d": d.tolist()})
    return cases


def accuracy(flag_string: str) -> float:
    return flag_string.count("1") / len(flag_string)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--autoattack", required=True, help="a checkout of github:fra31/auto-attack")
    parser.add_argument("--model", default=os.path.join(ROOT, "models/fashion-mnist-cnn-robust"))
    parser.add_argument("--images", type=int, default=500)
    parser.add_argument("--eps", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--parts", default="standard,individual,ci,projections")
    parser.add_argument("--commit", help="the auto-attack commit, when the checkout is not a git work tree")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    sys.path.insert(0, args.autoattack)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    model = RobustCnn(args.model).eval()
    x, y = read_fashion_mnist(args.images)
    with torch.no_grad():
        logits = model(x)
    clean = logits.argmax(1) == y
    print(f"clean accuracy {float(clean.float().mean()):.4f}", file=sys.stderr, flush=True)

    out = json.load(open(args.out)) if os.path.exists(args.out) else {}
    commit = subprocess.run(["git", "-C", args.autoattack, "rev-parse", "HEAD"], capture_output=True, text=True)
    weights = hashlib.sha256(open(os.path.join(args.model, "weights.bin"), "rb").read()).hexdigest()
    out.update({
        "about": "fra31/auto-attack (PyTorch) on advx's fashion-mnist-cnn-robust: made by scripts/autoattack-golden.py",
        "autoattack": {"repository": "github:fra31/auto-attack", "commit": args.commit or commit.stdout.strip() or None},
        "torch": torch.__version__,
        "model": os.path.basename(os.path.normpath(args.model)),
        "weightsSha256": weights,
        "data": f"Fashion-MNIST test set, first {args.images} images, pixels / 255",
        "norm": "linf",
        "eps": args.eps,
        "seed": args.seed,
        "flags": "per image, '1' robust (correctly classified and not fooled), '0' not",
        "clean": flags(clean),
        "cleanLogitsFirst5": [[round(v, 5) for v in row] for row in logits[:5].tolist()],
    })
    parts = args.parts.split(",")

    def save() -> None:
        with open(args.out, "w") as f:
            json.dump(out, f, indent=1)
            f.write("\n")

    if "projections" in parts:
        out["projections"] = projection_cases(args.seed)
        save()
    if "standard" in parts:
        def save_standard(run: dict) -> None:
            accuracies = {k: accuracy(v) for k, v in run["robustAfter"].items()}
            out["standard"] = {"images": args.images, "order": STANDARD, **run, "robustAccuracy": accuracies}
            save()

        sequence(model, make_autoattack(model, args.eps, args.seed), STANDARD, x, y, clean, 250, args.eps, save_standard)
    if "individual" in parts:
        out.setdefault("individual", {"images": args.images})
        for name in STANDARD:
            run = sequence(model, make_autoattack(model, args.eps, args.seed), [name], x, y, clean, 250, args.eps)
            out["individual"][name] = {"robust": run["robustAfter"][name], "robustAccuracy": accuracy(run["robustAfter"][name]),
                                       "seconds": run["seconds"][name]}
            save()
    if "ci" in parts:
        n = min(CI_IMAGES, args.images)
        out["ci"] = {"images": n, "settings": CI_SETTINGS}
        for name in STANDARD:
            aa = make_autoattack(model, args.eps, args.seed, CI_SETTINGS)
            run = sequence(model, aa, [name], x[:n], y[:n], clean[:n], 250, args.eps)
            out["ci"][name] = {"robust": run["robustAfter"][name], "seconds": run["seconds"][name]}
            save()
    save()


if __name__ == "__main__":
    main()
