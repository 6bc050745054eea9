#!/usr/bin/env bash
# The project's test command (README's second set-up command; .ci/run runs exactly this).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
npm run build --silent
npm run lint --silent
node --test --test-concurrency=1 dist/
