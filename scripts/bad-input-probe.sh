#!/usr/bin/env bash
# Bad input against the real `advx` binary, as a new user would try it (issue 11's survey, replayed): each
# case must exit with code 2, print exactly one line on stderr ("advx: ..." or, for an option the parser
# itself refuses, "error: ..."), and leave the user's
# files as they were. Prints one line per case and the count handled. Not a test (the test suites pin the
# same behaviour case by case); run after `npm run build`:  bash scripts/bad-input-probe.sh
set -uo pipefail
cd "$(dirname "$0")/.."
ADVX=(node dist/cli/main.js)
export ADVX_PROGRESS=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
img=examples/fashion-mnist/0-ankle-boot.png

# Inputs the cases need, made cheaply.
printf 'not a png' >"$work/fake.png"
head -c 200 "$img" >"$work/truncated.png"
node -e "
const zlib=require('zlib');const crc=(b)=>{let c,t=[];for(let n=0;n<256;n++){c=n;for(let k=0;k<8;k++)c=c&1?0xedb88320^(c>>>1):c>>>1;t[n]=c>>>0}let x=0xffffffff;for(const v of b)x=t[(x^v)&255]^(x>>>8);return (x^0xffffffff)>>>0};
const chunk=(type,data)=>{const l=Buffer.alloc(4);l.writeUInt32BE(data.length);const td=Buffer.concat([Buffer.from(type),data]);const c=Buffer.alloc(4);c.writeUInt32BE(crc(td));return Buffer.concat([l,td,c])};
const ihdr=Buffer.alloc(13);ihdr.writeUInt32BE(30000,0);ihdr.writeUInt32BE(30000,4);ihdr[8]=8;ihdr[9]=0;
require('fs').writeFileSync('$work/bomb.png',Buffer.concat([Buffer.from([137,80,78,71,13,10,26,10]),chunk('IHDR',ihdr),chunk('IDAT',zlib.deflateSync(Buffer.alloc(10))),chunk('IEND',Buffer.alloc(0))]));"
mkdir -p "$work/model-nan" "$work/escape" "$work/outside"
cp models/fashion-mnist-cnn/model.json "$work/escape/model.json"
printf 'secret' >"$work/outside/weights.bin"
ln -s "$work/outside/weights.bin" "$work/escape/weights.bin"
printf 'garbage' >"$work/corrupt.onnx"
printf 'a file' >"$work/a-file"
printf '{"modelTopology": 3}' >"$work/bad-model.json"

cases=(
  "attack $work/missing.png --attack fgsm"
  "attack $work/fake.png --attack fgsm"
  "attack $work/truncated.png --attack fgsm"
  "predict $work/bomb.png"
  "attack $img --attack linf-pgd --eps 2"
  "attack $img --attack linf-pgd --eps -0.1"
  "attack $img --attack linf-pgd --eps abc"
  "attack $img --attack nope"
  "attack"
  "attack $img --attack fgsm --bogus-option"
  "attack $img --attack linf-pgd --steps 0"
  "attack $img --attack linf-pgd --steps 1e12"
  "attack $img --attack linf-pgd --seed -1"
  "attack $img --attack linf-pgd --seed 1.5"
  "attack $img --attack fgsm --eps-search 1e-9:1:1e-9"
  "attack $img --attack linf-pgd --criterion misclassification:xyz"
  "attack $img --attack linf-pgd --criterion topk:100"
  "attack $img --attack linf-pgd --model nope-model"
  "attack $img --attack linf-pgd --model $work/escape/model.json"
  "attack $img --attack linf-pgd --model $work/corrupt.onnx"
  "attack $img --attack linf-pgd --model $work/bad-model.json"
  "attack $img --attack linf-pgd --model models/fashion-mnist-cnn/other.json"
  "attack $img --attack linf-pgd --layout NCWH --model models/fashion-mnist-torch/model.onnx"
  "attack $img --attack linf-pgd --engine cuda"
  "attack $img --attack linf-pgd --threads 0"
  "attack $img --attack linf-pgd --batch-size 100000000"
  "attack $img --attack linf-pgd --out $work/a-file"
  "attack $img --attack linf-pgd --out $work/a-file/sub"
  "attack $img --max-queries -3 --attack square"
  "predict $img --top 0"
  "experiment noise-sweep --mu 0:255:1e-9"
  "experiment noise-sweep --samples 1e9"
  "experiment noise-sweep --mu -50"
  "train --epochs 0 --out $work/train"
  "train --out $work/a-file"
  "evaluate --model fashion-mnist-cnn --dataset fashion-mnist --protocol nope --eps 0.1"
  "evaluate --model fashion-mnist-cnn --dataset fashion-mnist --protocol pgd --eps 5"
  "evaluate --model fashion-mnist-cnn --dataset nope --protocol pgd --eps 0.1"
  "evaluate --model fashion-mnist-cnn --dataset fashion-mnist --protocol pgd --eps 0.1 --images 0"
  "serve --port 70000"
  "serve --output topk:0"
  "worker --queue http://127.0.0.1:1"
  "queue status --queue redis://127.0.0.1:1"
  "export onnx --model fashion-mnist-cnn --out $work/a-file"
  "models fetch nope"
)

before=$(cd "$work" && find . -type f -exec sha256sum {} + | sort)
handled=0
for c in "${cases[@]}"; do
  # shellcheck disable=SC2086
  err=$(timeout 120 "${ADVX[@]}" $c 2>&1 >/dev/null)
  code=$?
  lines=$(printf '%s' "$err" | grep -c '' || true)
  if [[ $code -eq 2 && $lines -eq 1 && ($err == advx:* || $err == error:*) ]]; then
    handled=$((handled + 1))
    echo "ok    advx ${c//$work/WORK}: ${err//$work/WORK}"
  else
    echo "FAIL  advx ${c//$work/WORK}: exit $code, $lines lines: $(printf '%s' "${err//$work/WORK}" | head -3 | tr '\n' ' ')"
  fi
done
after=$(cd "$work" && find . -type f -not -path './train/*' -exec sha256sum {} + | sort)
[[ "$before" == "$after" ]] && echo "the user's files are unchanged" || echo "FAIL: files changed"
echo "bad inputs tried: ${#cases[@]}, handled: $handled"
