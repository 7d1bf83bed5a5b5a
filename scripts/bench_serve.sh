#!/usr/bin/env bash
# Load test of `textclf serve` and its anchor (scripts/anchor_serve.py: FastAPI + uvicorn +
# PyTorch, the same weights), measured the same way one right after the other: wrk on loopback,
# 2 threads, 64 connections, DURATION seconds (default 60), one SMS text per request
# (scripts/wrk_sms.lua), latency percentiles (wrk --latency). Also textclf's cold start: from
# `textclf serve` to the first 200 of /readyz.
#
#   scripts/bench_serve.sh runs/spam-… [../shared/mirror/models/all-MiniLM-L6-v2]
#
# SERVE_ARGS adds options to `textclf serve` (e.g. SERVE_ARGS=--int8).
# Needs wrk (apt-get install wrk), curl, and for the anchor torch, transformers, fastapi,
# uvicorn (pip). Output: wrk's reports and a summary, in $WORK (default a temp dir).
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=$1
BACKBONE=${2:-../shared/mirror/models/all-MiniLM-L6-v2}
DURATION=${DURATION:-60}
CONNECTIONS=${CONNECTIONS:-64}
ANCHOR_HANDLERS=${ANCHOR_HANDLERS:-sync async}
WORK=${WORK:-$(mktemp -d /tmp/textclf-bench-serve.XXXXXX)}
BIN=.build/release/textclf
# As `make` does: the shared mirror beside the checkout stands in for the download sites.
if [ -z "${TEXTCLF_MIRROR:-}" ] && [ -d ../shared/mirror ]; then export TEXTCLF_MIRROR=$(cd ../shared/mirror && pwd); fi
PORT=${PORT:-18080}
SMS=${SMS:-../shared/mirror/datasets/sms-spam/sms+spam+collection.zip}
python3 scripts/serve_bodies.py "$SMS" > "$WORK/bodies.jsonl"
export WRK_BODIES=$WORK/bodies.jsonl

wait_ready() {  # port [pid]; prints seconds waited
  local start=$(date +%s.%N)
  for _ in $(seq 12000); do
    if [ -n "${2:-}" ] && ! kill -0 "$2" 2>/dev/null; then echo "the server exited before it was ready" >&2; return 1; fi
    if curl -sf "http://127.0.0.1:$1/readyz" >/dev/null 2>&1; then
      python3 -c "print(round($(date +%s.%N) - $start, 3))"; return 0
    fi
    sleep 0.005
  done
  echo "not ready" >&2; return 1
}

load() {  # name port
  wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency --timeout 30s -s scripts/wrk_sms.lua "http://127.0.0.1:$2" > "$WORK/wrk-$1.txt"
  cat "$WORK/wrk-$1.txt"
}

stop() {  # pid
  kill -TERM "$1"; wait "$1" || true
}

echo "== textclf serve ($RUN)"
START=$(date +%s.%N)
"$BIN" serve --model "$RUN" --port "$PORT" ${SERVE_ARGS:-} > "$WORK/serve.out" 2> "$WORK/serve.err" &
SERVER=$!
COLD=$(wait_ready "$PORT" $SERVER) || { tail -3 "$WORK/serve.err" >&2; exit 1; }
COLD=$(python3 -c "print(round($(date +%s.%N) - $START, 3))")
echo "cold start (serve to /readyz 200): $COLD s; ready event: $(grep '"ready"' "$WORK/serve.out" || true)"
load textclf "$PORT"
curl -s "http://127.0.0.1:$PORT/metrics" > "$WORK/metrics-textclf.txt"
grep -E '^textclf_batch_size_(sum|count)' "$WORK/metrics-textclf.txt" || true
stop $SERVER

for handler in $ANCHOR_HANDLERS; do
  echo "== anchor: FastAPI + uvicorn + PyTorch, 2 threads, handler $handler"
  python3 scripts/anchor_serve.py --run "$RUN" --backbone "$BACKBONE" --port "$((PORT + 1))" --handler "$handler" \
    > "$WORK/anchor-$handler.out" 2>&1 &
  ANCHOR=$!
  wait_ready "$((PORT + 1))" $ANCHOR >/dev/null || { tail -3 "$WORK/anchor-$handler.out" >&2; exit 1; }
  load "anchor-$handler" "$((PORT + 1))"
  stop $ANCHOR
done

echo "== summary ($WORK)"
for f in "$WORK"/wrk-*.txt; do
  name=$(basename "$f" .txt)
  rps=$(awk '/Requests\/sec/ {print $2}' "$f")
  p50=$(awk '$1 == "50%" {print $2}' "$f")
  p99=$(awk '$1 == "99%" {print $2}' "$f")
  errors=$(grep -E "Non-2xx|Socket errors" "$f" | tr '\n' ' ' || true)
  echo "$name: $rps requests/s, p50 $p50, p99 $p99 $errors"
done
