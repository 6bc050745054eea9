#!/usr/bin/env bash
# Installs what advx and its tests need, when it is missing: Debian packages (Fashion-MNIST, scikit-learn's
# digits, Chromium for the report test, PyTorch + torchvision + onnx as the reference that gradients and
# speed are measured against, redis-server for the queue tests, which start and stop their own server) and
# the npm packages of package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
[ -f /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ] || need+=(dataset-fashion-mnist)
[ -f /usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz ] || need+=(python3-sklearn)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
/usr/bin/python3 -c 'import torch, torchvision, onnx' >/dev/null 2>&1 || need+=(python3-torch python3-torchvision python3-onnx)
[ -x /usr/bin/redis-server ] || need+=(redis-server)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "advx: installing Debian packages: ${need[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "advx: missing Debian packages (run as root, or: sudo apt-get install ${need[*]})" >&2
    exit 1
  fi
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # onnxruntime-node ships its CPU binary in the package: never let its install script download one.
  ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error
fi
