#!/usr/bin/env python3
"""Fails unless every module of the fuzz build was compiled with coverage, AddressSanitizer and
Swift's runtime checks, debug preconditions included. The last -O, -sanitize= and -assert-config
flags of a swiftc command win: the root package gives most modules -Ounchecked, and SwiftPM's own
`--sanitize fuzzer` comes before the `-Xswiftc -sanitize=fuzzer,address` that has to win.
Usage: check_build.py description.json"""
import json, sys

commands = json.load(open(sys.argv[1]))["swiftCommands"]
bad = []
for name, command in sorted(commands.items()):
    args = command["otherArguments"]
    optimization = [a for a in args if a.startswith("-O")][-1:]
    sanitizers = [a for a in args if a.startswith("-sanitize=")][-1:]
    asserts = [b for a, b in zip(args, args[1:]) if a == "-assert-config"][-1:]
    if optimization == ["-Ounchecked"] or asserts != ["Debug"] or not sanitizers \
            or not {"fuzzer", "address"} <= set(sanitizers[0][10:].split(",")):
        bad.append(f"{name}: {optimization} {sanitizers} -assert-config {asserts}")
if bad:
    sys.exit("fuzz build flags are wrong (checks off or no coverage/ASan):\n  " + "\n  ".join(bad))
print(f"fuzz build: {len(commands)} modules with bounds/overflow checks and debug preconditions, coverage, AddressSanitizer")
