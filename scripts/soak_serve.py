#!/usr/bin/env python3
"""Soak test of a running `textclf serve`: mixed load for a fixed time, then the verdict.

Each of --connections threads keeps a connection and sends, at random (seeded): one SMS text
(70%), a batch of 32 SMS texts (15%), a malformed body (10%: not JSON, wrong types, unknown
members, an empty list) or an oversized body (5%: over the server's default 1 MiB cap). The
first --warmup seconds are load too; the server's RSS (/proc/PID/status VmRSS) is read at their
end and at the end of the soak. Verdict: no 5xx other than 503, every answer's status is the
one its kind calls for (200 / 400 or 422 / 413, 503 allowed for any), and RSS at the end is
within 5% of RSS after warm-up. Exit 1 otherwise. Loopback only; bounded in time.

    python3 scripts/soak_serve.py --port 8080 --pid PID --bodies /tmp/sms_bodies.jsonl --seconds 600
"""
import argparse
import collections
import http.client
import json
import random
import sys
import threading
import time


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


MALFORMED = [b"{", b"not json", b'{"text": 5}', b'{"texts": ["a", null]}', b'{"texts": []}', b'{"txt": "a"}',
             b'[1, 2, 3]', b'{"text": "a", "texts": ["b"]}', b'\xff\xfe', b'{"texts": ' + b"[" * 2000]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pid", type=int, required=True, help="the server's process id (for its RSS)")
    parser.add_argument("--bodies", required=True, help="scripts/serve_bodies.py's output")
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--warmup", type=float, default=60)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    texts = [json.loads(line)["text"] for line in open(args.bodies)]
    oversized = json.dumps({"texts": ["x" * 1000] * 1100}).encode()  # ≈ 1.1 MB
    counts = collections.Counter()
    wrong = collections.Counter()
    lock = threading.Lock()
    start = time.monotonic()
    end = start + args.warmup + args.seconds

    def worker(seed):
        rng = random.Random(seed)
        connection = http.client.HTTPConnection("127.0.0.1", args.port, timeout=60)
        while time.monotonic() < end:
            roll = rng.random()
            if roll < 0.70:
                kind, body, expected = "single", json.dumps({"text": rng.choice(texts)}).encode(), {200}
            elif roll < 0.85:
                kind, body, expected = "batch32", json.dumps({"texts": rng.sample(texts, 32)}).encode(), {200}
            elif roll < 0.95:
                kind, body, expected = "malformed", rng.choice(MALFORMED), {400, 422}
            else:
                kind, body, expected = "oversized", oversized, {413}
            try:
                connection.request("POST", "/v1/classify", body=body, headers={"Content-Type": "application/json"})
                response = connection.getresponse()
                response.read()
                status = response.status
                if response.getheader("Connection", "").lower() == "close":
                    connection.close()
                    connection = http.client.HTTPConnection("127.0.0.1", args.port, timeout=60)
            except (OSError, http.client.HTTPException) as error:
                status = f"connection error: {type(error).__name__}"
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", args.port, timeout=60)
            with lock:
                counts[(kind, status)] += 1
                if status not in expected and status != 503:
                    wrong[(kind, status)] += 1

    threads = [threading.Thread(target=worker, args=(args.seed * 1000 + i,)) for i in range(args.connections)]
    for thread in threads:
        thread.start()
    time.sleep(args.warmup)
    rss_warm = rss_kib(args.pid)
    with lock:
        after_warmup = sum(counts.values())
    print(f"warm-up done: {after_warmup} requests, RSS {rss_warm} KiB", file=sys.stderr, flush=True)
    for thread in threads:
        thread.join()
    rss_end = rss_kib(args.pid)
    elapsed = time.monotonic() - start
    total = sum(counts.values())
    server_errors = sum(n for (kind, status), n in counts.items() if isinstance(status, int) and status >= 500 and status != 503)
    report = {
        "seconds": round(elapsed, 1), "soak_seconds": args.seconds, "requests": total,
        "requests_after_warmup": total - after_warmup,
        "by_kind_and_status": {f"{kind} {status}": n for (kind, status), n in sorted(counts.items(), key=str)},
        "unexpected": {f"{kind} {status}": n for (kind, status), n in wrong.items()},
        "5xx_except_503": server_errors,
        "rss_after_warmup_kib": rss_warm, "rss_after_soak_kib": rss_end,
        "rss_change_percent": round(100.0 * (rss_end - rss_warm) / rss_warm, 2),
    }
    print(json.dumps(report, indent=2))
    ok = server_errors == 0 and not wrong and abs(rss_end - rss_warm) <= 0.05 * rss_warm
    print("soak: PASS" if ok else "soak: FAIL", file=sys.stderr)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
