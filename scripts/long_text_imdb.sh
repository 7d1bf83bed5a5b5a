#!/bin/sh
# The README's long-document comparison: all-MiniLM-L6-v2 at max length 256 on a stratified
# IMDB subset (Examples/long-text/imdb-1000.json: 1,000 train / 250 validation / 1,000 test),
# a linear head on the frozen encoder (every block cached: one encoder pass per window),
# 3 epochs, the same split, seed and settings for each --long-text policy, one after the other.
# Usage: scripts/long_text_imdb.sh [OUT_DIR]   (needs the mirror: TEXTCLF_MIRROR or ../shared/mirror;
# TEXTCLF_BIN overrides the binary)
set -eu
cd "$(dirname "$0")/.."
OUT=${1:-runs/long-text}
BIN=${TEXTCLF_BIN:-.build/release/textclf}
[ -n "${TEXTCLF_MIRROR:-}" ] || export TEXTCLF_MIRROR="$PWD/../shared/mirror"
mkdir -p "$OUT"
for policy in truncate head+tail chunks:64; do
    name=$(echo "$policy" | tr ':+' '--')
    uptime > "$OUT/$name.uptime"
    /usr/bin/time -v -o "$OUT/$name.time" nice -n 5 "$BIN" finetune --offline \
        --dataset Examples/long-text/imdb-1000.json --backbone all-MiniLM-L6-v2 --weights pretrained \
        --max-length 256 --trainable head --dropout 0 --epochs 3 --batch-size 16 --lr 1e-3 \
        --eval-every 0 --long-text "$policy" --output "$OUT/$name" > "$OUT/$name.log" 2>&1
    uptime >> "$OUT/$name.uptime"
    python3 - "$OUT/$name" <<'PY'
import json, sys
r = json.load(open(sys.argv[1] + "/report.json"))
t, f = r["timing"], r["final"]
print(f'{sys.argv[1]}: test {f["test"]["accuracy"]:.4f} validation {f["validation"]["accuracy"]:.4f} '
      f'train {f["train"]["accuracy"]:.4f} | total {t["total_seconds"]:.0f} s, train {t["train_seconds"]:.0f} s, '
      f'cache {t["cache_seconds"]:.0f} s, evaluations {t["full_eval_seconds"] + t["eval_seconds"]:.0f} s | '
      f'cache texts {r["cache"].get("texts")}, tokens {r["cache"].get("tokens")} | truncated {r["truncated"]}')
PY
done
