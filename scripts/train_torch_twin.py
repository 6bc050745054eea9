"""Trains a small Fashion-MNIST CNN in PyTorch and writes it twice: as ONNX (torch.onnx.export, NCHW) and as its
TensorFlow.js twin (a Keras-style layers model, NHWC) holding the same weights, so that advx can check its ONNX
engine against PyTorch and against its tfjs engine on one trained network.

  /usr/bin/python3 scripts/train_torch_twin.py [--epochs 5] [--seed 1] [--out models/fashion-mnist-torch]

Writes into OUT:
- model.onnx: input `input` [batch, 1, 28, 28] (pixels /255 in [0,1]), output `logits` [batch, 10], opset 17.
- tfjs/model.json + tfjs/weights.bin: input [null, 28, 28, 1], the same weights: conv kernels OIHW -> HWIO,
  dense kernels transposed, the first dense layer's rows permuted from torch's CHW flatten order to Keras' HWC.
- labels.txt: the class names, one per line.
- test-logits.json: the torch model's float32 logits for the first 100 test images (the twin's golden values).
- TRAINING.md: the command, seed, epochs, time, torch version, accuracy on the 10k test set and its first 1000.

Deterministic for a seed: one torch thread (--threads), a seeded shuffle and seeded initial weights.
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
CONV1, CONV2, DENSE = 16, 16, 128  # conv widths kept small: the two copies of the weights stay under 1 MB
GOLDEN_COUNT = 100


class TwinCnn(nn.Module):
    """conv 3x3 pad 1 -> relu -> maxpool 2 -> conv 3x3 pad 1 -> relu -> maxpool 2 -> flatten -> dense -> relu ->
    dense 10 (logits)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, CONV1, 3, padding=1)
        self.conv2 = nn.Conv2d(CONV1, CONV2, 3, padding=1)
        self.dense1 = nn.Linear(CONV2 * 7 * 7, DENSE)
        self.logits = nn.Linear(DENSE, len(CLASSES))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The pooled feature map [N, C, 7, 7] that the flatten layer reads."""
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        return F.max_pool2d(F.relu(self.conv2(x)), 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.logits(F.relu(self.dense1(torch.flatten(self.features(x), 1))))


# ---------------------------------------------------------------------------------------------- data


def read_idx(path: str, header: int) -> np.ndarray:
    if not os.path.isfile(path):
        raise SystemExit(f"train_torch_twin: {path}: no such file (apt-get install dataset-fashion-mnist, "
                         "or set ADVX_FASHION_MNIST)")
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=header)


def load_split(folder: str, split: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Images [N, 1, 28, 28] as float32 pixels /255, labels [N] int64."""
    prefix = "train" if split == "train" else "t10k"
    images = read_idx(os.path.join(folder, f"{prefix}-images-idx3-ubyte.gz"), 16).reshape(-1, 1, 28, 28)
    labels = read_idx(os.path.join(folder, f"{prefix}-labels-idx1-ubyte.gz"), 8)
    if len(images) != len(labels):
        raise SystemExit(f"train_torch_twin: {folder}: {len(images)} {split} images but {len(labels)} labels")
    return torch.from_numpy(images.astype(np.float32) / 255), torch.from_numpy(labels.astype(np.int64))


# ---------------------------------------------------------------------------------------------- training


def accuracy(model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> float:
    with torch.no_grad():
        predicted = torch.cat([model(images[i:i + 1000]).argmax(1) for i in range(0, len(images), 1000)])
    return float((predicted == labels).double().mean())


def train(model: nn.Module, data, test, epochs: int, batch: int, lr: float, seed: int) -> list[dict]:
    images, labels = data
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    shuffle = torch.Generator().manual_seed(seed)
    history = []
    for epoch in range(1, epochs + 1):
        model.train()
        started, total, correct = time.perf_counter(), 0.0, 0
        order = torch.randperm(len(images), generator=shuffle)
        for start in range(0, len(images), batch):
            idx = order[start:start + batch]
            logits = model(images[idx])
            loss = F.cross_entropy(logits, labels[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += float(loss) * len(idx)
            correct += int((logits.argmax(1) == labels[idx]).sum())
        model.eval()
        row = {"epoch": epoch, "loss": total / len(images), "train": correct / len(images),
               "test": accuracy(model, *test), "seconds": time.perf_counter() - started}
        print(f"epoch {epoch}: loss {row['loss']:.4f}, train {percent(row['train'])}, test {percent(row['test'])}, "
              f"{row['seconds']:.1f} s", file=sys.stderr)
        history.append(row)
    return history


# ---------------------------------------------------------------------------------------------- twin


def keras_weights(model: TwinCnn) -> list[tuple[str, np.ndarray]]:
    """The weights in Keras layouts, in the order of the manifest."""
    def conv(layer: nn.Conv2d):
        return layer.weight.detach().permute(2, 3, 1, 0).numpy(), layer.bias.detach().numpy()  # OIHW -> HWIO

    dense1 = model.dense1.weight.detach()  # [out, C*H*W], torch flattens NCHW in CHW order
    dense1 = dense1.reshape(DENSE, CONV2, 7, 7).permute(2, 3, 1, 0).reshape(7 * 7 * CONV2, DENSE)  # HWC rows
    (k1, b1), (k2, b2) = conv(model.conv1), conv(model.conv2)
    return [("conv1/kernel", k1), ("conv1/bias", b1), ("conv2/kernel", k2), ("conv2/bias", b2),
            ("dense1/kernel", dense1.numpy()), ("dense1/bias", model.dense1.bias.detach().numpy()),
            ("logits/kernel", model.logits.weight.detach().t().numpy()),
            ("logits/bias", model.logits.bias.detach().numpy())]


def check_permutation(model: TwinCnn, images: torch.Tensor, kernel: np.ndarray) -> float:
    """The permuted dense kernel applied to NHWC-flattened features gives torch's dense layer: max |diff|."""
    with torch.no_grad():
        features = model.features(images)
        ours = features.permute(0, 2, 3, 1).reshape(len(images), -1) @ torch.from_numpy(kernel)
        theirs = torch.flatten(features, 1) @ model.dense1.weight.t()
    return float((ours - theirs).abs().max())


def keras_layer(class_name: str, name: str, **config) -> dict:
    return {"class_name": class_name, "config": {"name": name, "trainable": True, **config}}


def initializer(name: str) -> dict:
    return {"class_name": name, "config": {}}


def conv_layer(name: str, filters: int, **extra) -> dict:
    return keras_layer("Conv2D", name, filters=filters, kernel_size=[3, 3], strides=[1, 1], padding="same",
                       data_format="channels_last", dilation_rate=[1, 1], activation="relu", use_bias=True,
                       kernel_initializer=initializer("GlorotUniform"), bias_initializer=initializer("Zeros"),
                       kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                       kernel_constraint=None, bias_constraint=None, **extra)


def dense_layer(name: str, units: int, activation: str) -> dict:
    return keras_layer("Dense", name, units=units, activation=activation, use_bias=True,
                       kernel_initializer=initializer("GlorotUniform"), bias_initializer=initializer("Zeros"),
                       kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                       kernel_constraint=None, bias_constraint=None)


def pool_layer(name: str) -> dict:
    return keras_layer("MaxPooling2D", name, pool_size=[2, 2], strides=[2, 2], padding="valid",
                       data_format="channels_last")


def write_twin(model: TwinCnn, folder: str, metadata: dict) -> list[tuple[str, np.ndarray]]:
    os.makedirs(folder, exist_ok=True)
    weights = keras_weights(model)
    layers = [
        conv_layer("conv1", CONV1, batch_input_shape=[None, 28, 28, 1], dtype="float32"),
        pool_layer("pool1"),
        conv_layer("conv2", CONV2),
        pool_layer("pool2"),
        keras_layer("Flatten", "flatten"),
        dense_layer("dense1", DENSE, "relu"),
        dense_layer("logits", len(CLASSES), "linear"),
    ]
    model_json = {
        "format": "layers-model",
        "generatedBy": f"scripts/train_torch_twin.py (PyTorch {torch.__version__})",
        "convertedBy": "scripts/train_torch_twin.py: torch weights in Keras layouts",
        "modelTopology": {"class_name": "Sequential", "config": {"name": "fashion_mnist_torch", "layers": layers},
                          "keras_version": "tfjs-layers 4.22.0", "backend": "tensor_flow.js"},
        "weightsManifest": [{"paths": ["weights.bin"], "weights": [
            {"name": name, "shape": list(array.shape), "dtype": "float32"} for name, array in weights]}],
        "advx": metadata,
    }
    with open(os.path.join(folder, "model.json"), "w") as f:
        json.dump(model_json, f, indent=1)
        f.write("\n")
    with open(os.path.join(folder, "weights.bin"), "wb") as f:
        for _, array in weights:
            f.write(np.ascontiguousarray(array, dtype="<f4").tobytes())
    return weights


def export_onnx(model: TwinCnn, path: str) -> None:
    torch.onnx.export(model, torch.zeros(1, 1, 28, 28), path, input_names=["input"], output_names=["logits"],
                      opset_version=17, dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})


def write_golden(model: TwinCnn, images: torch.Tensor, labels: torch.Tensor, path: str) -> None:
    with torch.no_grad():
        logits = model(images[:GOLDEN_COUNT])
    golden = {
        "description": f"float32 logits of the PyTorch model (before export) for the first {GOLDEN_COUNT} images of "
                       "Fashion-MNIST t10k-images-idx3-ubyte.gz, pixels /255 (NCHW for model.onnx, NHWC for tfjs/)",
        "torch": torch.__version__,
        "shape": [GOLDEN_COUNT, len(CLASSES)],
        "labels": [int(v) for v in labels[:GOLDEN_COUNT]],
        "logits": [[float(f"{v:.9g}") for v in row] for row in logits.tolist()],
    }
    with open(path, "w") as f:
        json.dump(golden, f)
        f.write("\n")


def percent(fraction: float) -> str:
    return f"{fraction * 100:.2f} %"


def write_training_md(path: str, command: str, args, history: list[dict], test_acc: float, first_acc: float,
                      train_seconds: float, parameters: int, sizes: dict) -> None:
    rows = "\n".join(
        f"| {r['epoch']} | {r['loss']:.4f} | {percent(r['train'])} | {percent(r['test'])} | {r['seconds']:.1f} |"
        for r in history)
    files = "\n".join(f"| `{name}` | {size:,} bytes |" for name, size in sizes.items())
    text = f"""# fashion-mnist-torch: how these weights were made

A Fashion-MNIST CNN trained in PyTorch, written twice with the same weights: `model.onnx` (torch.onnx.export,
NCHW) and its TensorFlow.js twin `tfjs/` (a Keras-style layers model, NHWC), so that advx's ONNX and tfjs
engines can be checked against PyTorch and against each other on one trained network. Made by:

```
{command}
```

| | |
|---|---|
| data | Fashion-MNIST, all 60,000 training images (Debian `dataset-fashion-mnist`), pixels /255 in [0,1] |
| architecture | conv1 Conv2d(1->{CONV1}, 3x3, pad 1) -> relu -> maxpool 2 -> conv2 Conv2d({CONV1}->{CONV2}, 3x3, pad 1) -> relu -> maxpool 2 -> flatten -> dense1 Linear({CONV2 * 49}->{DENSE}) -> relu -> logits Linear({DENSE}->10), no softmax; {parameters:,} float32 weights (conv widths kept small so that both copies stay under 1 MB) |
| optimizer | Adam, learning rate {args.lr}, batch {args.batch_size}, {args.epochs} epochs, mean cross-entropy; training set reshuffled each epoch (torch.Generator seeded {args.seed}), initial weights from torch.manual_seed({args.seed}) |
| software | PyTorch {torch.__version__} (Debian python3-torch), {args.threads} thread(s), Python {platform.python_version()} |
| time | {train_seconds:.1f} s of training on a CPU shared with other jobs |
| reproducibility | one torch thread, seeded shuffle and initial weights: the command rewrites byte-identical `model.onnx`, `tfjs/weights.bin` and `test-logits.json` (checked by running it twice) |
| **test accuracy** | **{percent(test_acc)}** on the full Fashion-MNIST test set (10,000 images) |
| test accuracy, first 1000 test images | {percent(first_acc)} |

Per epoch (loss and train accuracy over the epoch's batches, test accuracy on all 10,000 test images):

| epoch | loss | train accuracy | test accuracy | seconds |
|---|---|---|---|---|
{rows}

## The two copies

- `model.onnx`: input `input` [batch, 1, 28, 28] float32 (symbolic batch), output `logits` [batch, 10], opset 17.
- `tfjs/model.json` + `tfjs/weights.bin`: a Sequential layers model, input [null, 28, 28, 1], layers conv1, pool1,
  conv2, pool2, flatten, dense1, logits (Conv2D `same` = torch's pad 1 for a 3x3 kernel at stride 1). Weights:
  conv kernels OIHW -> HWIO; dense kernels transposed ([in, out]); dense1's rows permuted from torch's CHW flatten
  order (c*49 + h*7 + w) to Keras' HWC order (h*7*{CONV2} + w*{CONV2} + c). Bounds [0, 1], no preprocessing
  (`advx` metadata in model.json), so `loadModel('models/fashion-mnist-torch/tfjs/model.json')` takes it as is.
- `test-logits.json`: the torch model's float32 logits for the first {GOLDEN_COUNT} test images, the golden values
  `src/reference/fashion-mnist-torch.test.ts` checks the twin (and model.onnx through scripts/torch_reference.py)
  against.
- `labels.txt`: the class names by output index.

| file | size |
|---|---|
{files}
"""
    with open(path, "w") as f:
        f.write(text)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1: bitwise reproducible)")
    parser.add_argument("--out", default="models/fashion-mnist-torch")
    parser.add_argument("--data", default=os.environ.get("ADVX_FASHION_MNIST", "/usr/share/datasets/fashion-mnist"))
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    train_data, test_data = load_split(args.data, "train"), load_split(args.data, "test")
    model = TwinCnn()
    started = time.perf_counter()
    history = train(model, train_data, test_data, args.epochs, args.batch_size, args.lr, args.seed)
    train_seconds = time.perf_counter() - started
    model.eval()
    test_acc = accuracy(model, *test_data)
    first_acc = accuracy(model, test_data[0][:1000], test_data[1][:1000])

    os.makedirs(args.out, exist_ok=True)
    export_onnx(model, os.path.join(args.out, "model.onnx"))
    metadata = {
        "name": "fashion-mnist-torch", "bounds": [0, 1], "inputShape": [28, 28, 1], "labels": CLASSES,
        "preprocessing": "none", "output": "logits", "dataset": "fashion-mnist",
        "testAccuracy": round(test_acc, 4), "testImages": 10000, "testAccuracyFirst1000": round(first_acc, 4),
        "epochs": args.epochs, "batchSize": args.batch_size, "learningRate": args.lr, "seed": args.seed,
        "trainedWith": f"PyTorch {torch.__version__}", "twinOf": "../model.onnx",
    }
    weights = write_twin(model, os.path.join(args.out, "tfjs"), metadata)
    error = check_permutation(model, test_data[0][:64], dict(weights)["dense1/kernel"])
    if error > 1e-4:
        raise SystemExit(f"train_torch_twin: the permuted dense1 kernel is off by {error}")
    with open(os.path.join(args.out, "labels.txt"), "w") as f:
        f.write("\n".join(CLASSES) + "\n")
    write_golden(model, *test_data, os.path.join(args.out, "test-logits.json"))
    names = ["model.onnx", "tfjs/model.json", "tfjs/weights.bin", "test-logits.json", "labels.txt"]
    sizes = {name: os.path.getsize(os.path.join(args.out, name)) for name in names}
    command = "/usr/bin/python3 scripts/train_torch_twin.py " + " ".join(
        [f"--epochs {args.epochs}", f"--batch-size {args.batch_size}", f"--lr {args.lr}", f"--seed {args.seed}",
         f"--threads {args.threads}", f"--out {args.out}"])
    parameters = sum(p.numel() for p in model.parameters())
    write_training_md(os.path.join(args.out, "TRAINING.md"), command, args, history, test_acc, first_acc,
                      train_seconds, parameters, sizes)
    print(json.dumps({"testAccuracy": test_acc, "testAccuracyFirst1000": first_acc, "seconds": train_seconds,
                      "permutationError": error, "bytes": sum(sizes.values())}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
