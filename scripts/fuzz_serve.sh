#!/usr/bin/env bash
# Fuzz `textclf serve`'s HTTP API with schemathesis (pip install schemathesis) against the
# server's own /openapi.json: every operation, positive and negative examples, every check.
# Then SIGTERM: the server must still be alive and exit 0.
#
#   scripts/fuzz_serve.sh                      # a tiny BERT run trained here (seconds)
#   scripts/fuzz_serve.sh --model runs/spam-…  # a given run
#   MAX_EXAMPLES=500 scripts/fuzz_serve.sh     # test cases per operation (default 200)
#
# Loopback only; the server listens on a free port. Reports go to $WORK (default a temp dir).
set -euo pipefail
cd "$(dirname "$0")/.."
MAX_EXAMPLES=${MAX_EXAMPLES:-200}
WORK=${WORK:-$(mktemp -d /tmp/textclf-fuzz-serve.XXXXXX)}
BIN=.build/release/textclf
command -v schemathesis >/dev/null || { echo "fuzz_serve.sh: schemathesis not found (pip install schemathesis)" >&2; exit 2; }
[ -x "$BIN" ] || swift build -c release --product textclf

MODEL=""
if [ "${1:-}" = "--model" ]; then MODEL=$2; fi
if [ -z "$MODEL" ]; then
  # A two-label dataset of short texts and one epoch on the tiny BERT fixture.
  python3 - "$WORK" <<'PY'
import json, random, sys
work = sys.argv[1]
rng = random.Random(7)
words = [["great", "good", "nice", "love"], ["bad", "awful", "sad", "hate"]]
with open(f"{work}/data.csv", "w") as f:
    f.write("text,label\n")
    for i in range(120):
        f.write(" ".join(rng.choice(words[i % 2]) for _ in range(4)) + ("," + ("pos" if i % 2 == 0 else "neg")) + "\n")
json.dump({"name": "tiny", "source": {"path": "data.csv"}, "format": "csv", "text": "text", "label": "label",
           "splits": {"ratios": {"train": 0.6, "validation": 0.2, "test": 0.2}, "seed": 1}}, open(f"{work}/spec.json", "w"))
PY
  "$BIN" finetune --dataset "$WORK/spec.json" --backbone Tests/BackbonesTests/Fixtures/tiny-bert --epochs 1 \
    --output "$WORK/run" --offline > "$WORK/finetune.log"
  MODEL=$WORK/run
fi

"$BIN" serve --model "$MODEL" --port 0 > "$WORK/serve.out" 2> "$WORK/serve.err" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
PORT=""
for _ in $(seq 600); do
  PORT=$(python3 -c 'import json,sys
for line in open(sys.argv[1]):
    o = json.loads(line)
    if o.get("event") == "listening": print(o["port"])' "$WORK/serve.out" 2>/dev/null || true)
  [ -n "$PORT" ] && curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
[ -n "$PORT" ] || { echo "fuzz_serve.sh: the server did not start" >&2; cat "$WORK/serve.err" >&2; exit 1; }
echo "fuzz_serve.sh: serving $MODEL on port $PORT; schemathesis, $MAX_EXAMPLES examples per operation" >&2

set +e
schemathesis run "http://127.0.0.1:$PORT/openapi.json" --checks all --max-examples "$MAX_EXAMPLES" --seed 1 \
  --workers 2 --no-color --report junit --report-dir "$WORK/schemathesis" --request-timeout 60 | tee "$WORK/schemathesis.log"
FUZZ_STATUS=${PIPESTATUS[0]}
set -e

kill -0 $SERVER 2>/dev/null || { echo "fuzz_serve.sh: the server died during the run" >&2; cat "$WORK/serve.err" >&2; exit 1; }
kill -TERM $SERVER
set +e; wait $SERVER; SERVER_STATUS=$?; set -e
trap - EXIT
echo "fuzz_serve.sh: schemathesis exit $FUZZ_STATUS; server exit $SERVER_STATUS after SIGTERM; logs in $WORK" >&2
[ "$SERVER_STATUS" -eq 0 ] && [ "$FUZZ_STATUS" -eq 0 ]
