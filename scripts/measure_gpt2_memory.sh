#!/usr/bin/env bash
# Peak memory (max RSS from /usr/bin/time -v) of loading a full-size GPT-2 and of one fine-tuning
# step, in both weight layouts, next to PyTorch's from_pretrained of the same files:
#
#     scripts/measure_gpt2_memory.sh [DIR] [TEXTCLF]
#
# DIR (default /work/tmp-gpt2-124m) holds hf/ and openai/ (scripts/make_gpt2_random_checkpoint.py);
# TEXTCLF defaults to .build/release/textclf. The weights are memory-mapped, not copied, so loading
# should cost about the file size (pages of the mapping count in RSS once they are read) and a
# training step adds the activations, gradients and the trained tensors' own copies.
# Needs GNU time (Debian: apt-get install time).
set -euo pipefail
DIR=${1:-/work/tmp-gpt2-124m}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TEXTCLF=${2:-$ROOT/.build/release/textclf}
[ -x /usr/bin/time ] || { echo "GNU time is missing: apt-get install time" >&2; exit 1; }

measure() {  # label, command...
    local label=$1; shift
    local log; log=$(mktemp)
    /usr/bin/time -v "$@" >/dev/null 2>"$log" || { cat "$log" >&2; rm -f "$log"; return 1; }
    local rss wall
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$log")
    printf '%-44s %8.1f MB  %s\n' "$label" "$(echo "$rss / 1024" | bc -l)" "$wall"
    rm -f "$log"
}

printf '%-44s %11s  %s\n' "command" "max RSS" "wall"
for layout in hf openai; do
    measure "textclf load ($layout)" "$TEXTCLF" bench load --model "$DIR/$layout"
done
for layout in hf openai; do
    measure "textclf load + train step ($layout)" "$TEXTCLF" bench load --model "$DIR/$layout" --train-step
done
if python3 -c "import torch, transformers" 2>/dev/null; then
    measure "PyTorch from_pretrained (hf)" python3 "$ROOT/scripts/bench_gpt2_torch.py" load --model "$DIR/hf"
fi
echo "weights on disk: $(du -m "$DIR/hf/model.safetensors" | cut -f1) MB (model.safetensors)"
