#!/usr/bin/env python3
"""Request bodies for the load tests of `textclf serve`: one JSON body per line,
{"text": ...} for each SMS of the UCI SMS Spam Collection, in the file's order.

    python3 scripts/serve_bodies.py ../shared/mirror/datasets/sms-spam/sms+spam+collection.zip > /tmp/sms_bodies.jsonl
"""
import json
import sys
import zipfile


def sms_texts(archive):
    with zipfile.ZipFile(archive) as z:
        data = z.read("SMSSpamCollection").decode("utf-8")
    # label<TAB>text per line, no quoting (the texts hold raw quotes).
    return [line.split("\t", 1)[1] for line in data.split("\n") if "\t" in line]


if __name__ == "__main__":
    for text in sms_texts(sys.argv[1]):
        print(json.dumps({"text": text}))
