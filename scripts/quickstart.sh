#!/usr/bin/env bash
# Fresh machine -> the main job: install, build, then attack an embedded Fashion-MNIST example with FGSM
# on the embedded default model (no download needed).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
npm run build --silent
node dist/cli/main.js attack examples/fashion-mnist/0-ankle-boot.png --attack fgsm --eps 0.05,0.1 --out advx-out/quickstart --force
