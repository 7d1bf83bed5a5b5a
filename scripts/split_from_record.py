#!/usr/bin/env python3
"""Rebuild textclf's train/validation/test split in Python from its record (split.json), for
reference scripts that must train and evaluate on exactly the same examples.

    python3 scripts/split_from_record.py run/split.json MIRROR [--dump DIR]

Reads the dataset's original archive from MIRROR (datasets/NAME/FILE), picks each split's rows
in the recorded order ([source index, row]: 1-based data rows of the source file, header not
counted), applies the adapter's text cleaning, and checks each split's digest (FNV-1a 64 over
text bytes, 0xFF, class id in decimal, 0xFF). Supports every built-in dataset.
With --dump DIR, writes DIR/{train,validation,test}.jsonl ({"text", "label"} per line).

As a module: `load_split(record_path, mirror)` returns {"train": [(text, label), ...], ...}."""
import csv
import io
import json
import re
import sys
import zipfile
from pathlib import Path

csv.field_size_limit(1 << 30)


def fnv1a64(data, state=0xCBF29CE484222325):
    for byte in data:
        state = ((state ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return state


def digest(examples):
    h = 0xCBF29CE484222325
    for text, label in examples:
        h = fnv1a64(text.encode("utf-8") + b"\xff" + str(label).encode() + b"\xff", h)
    return f"{h:016x}"


def read_rows(zip_path, member, delimiter, quoting, header):
    with zipfile.ZipFile(zip_path) as archive:
        text = io.TextIOWrapper(archive.open(member), encoding="utf-8", newline="")
        rows = [row for row in csv.reader(text, delimiter=delimiter, quoting=quoting) if row]
    return rows[1:] if header else rows


AG_NAMED = {"quot": '"', "amp": "&", "lt": "<", "gt": ">", "apos": "'", "nbsp": " ",
            "hellip": "\u2026", "mdash": "\u2014", "ndash": "\u2013"}
AG_CP1252 = {code: bytes([code]).decode("cp1252") for code in range(128, 160) if code not in (129, 141, 143, 144, 157)}


def ag_entity(text, start):
    """(character, length) of an entity body like '#39;' or 'quot;' at start, or None."""
    end = start
    while end < len(text) and end - start <= 8 and text[end] != ";":
        end += 1
    if end >= len(text) or text[end] != ";" or end == start:
        return None
    body = text[start:end]
    if body.startswith("#"):
        if not body[1:].isdigit() or int(body[1:]) == 0:
            return None
        code = int(body[1:])
        if code in AG_CP1252:
            return AG_CP1252[code], end - start + 1
        if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None
        return chr(code), end - start + 1
    return (AG_NAMED[body], end - start + 1) if body in AG_NAMED else None


def ag_clean(text):
    """AGNewsDataset.clean: entities (their '&' often became a space), backslash escapes, spaces."""
    out = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\":
            if i + 1 < len(text) and text[i + 1] == "$":
                out.append("$")
                i += 2
            else:
                out.append("\n")
                i += 1
            continue
        if c in "& " or i == 0:
            start = i + 1 if c in "& " else i
            found = ag_entity(text, start)
            if found:
                out.append(found[0])
                i = start + found[1]
                continue
        if c == " " and out and out[-1] == " ":
            i += 1
            continue
        out.append(c)
        i += 1
    return "".join(out).strip()


def ag_join(title, description):
    if not title:
        return description
    if not description:
        return title
    return title + (" " if title[-1] in ".!?:" else ". ") + description


def source_examples(dataset, mirror):
    """{source split name: [(text, class name) per data row]} as the textclf adapter reads it."""
    root = Path(mirror) / "datasets" / dataset
    if dataset == "sms-spam":
        rows = read_rows(root / "sms+spam+collection.zip", "SMSSpamCollection", "\t", csv.QUOTE_NONE, False)
        return {"all": [(text, label) for label, text in rows]}
    if dataset == "sst2":
        names = {"0": "negative", "1": "positive"}
        return {split: [(text, names[label]) for label, text in read_rows(root / "sst2.zip", f"{split}.tsv", "\t", csv.QUOTE_NONE, True)]
                for split in ("train", "dev", "test")}
    if dataset == "imdb":
        names = {"neg": "negative", "pos": "positive"}
        br = re.compile(r"<br ?/?>", re.IGNORECASE)
        return {split: [(br.sub("\n", row[3]), names[row[0]]) for row in read_rows(root / "imdb.zip", f"imdb_{split}.csv", ",", csv.QUOTE_MINIMAL, True)]
                for split in ("train", "test")}
    if dataset == "ag-news":
        with zipfile.ZipFile(root / "ag_news_csv.zip") as archive:
            classes = archive.read("ag_news_csv/classes.txt").decode("utf-8").split()
        rows = read_rows(root / "ag_news_csv.zip", "ag_news_csv/test.csv", ",", csv.QUOTE_MINIMAL, False)
        return {"all": [(ag_join(ag_clean(title), ag_clean(description)), classes[int(label) - 1]) for label, title, description in rows]}
    if dataset == "bbc-news":
        return {"all": [(row[2], row[0]) for row in read_rows(root / "bbc-news.zip", "bbc_news_2225.csv", ",", csv.QUOTE_MINIMAL, True)]}
    if dataset == "banking77":
        return {split: [(row[0], row[1]) for row in read_rows(root / "banking77.zip", f"{split}.csv", ",", csv.QUOTE_MINIMAL, True)]
                for split in ("train", "test")}
    raise SystemExit(f"{dataset}: not supported by this script (sms-spam, sst2, imdb, ag-news, bbc-news, banking77)")


def load_split(record_path, mirror):
    record = json.loads(Path(record_path).read_text(encoding="utf-8"))
    if record["format"] != "textclf-split/1":
        raise SystemExit(f"{record_path}: unknown format {record['format']}")
    sources = source_examples(record["dataset"], mirror)
    labels = {name: index for index, name in enumerate(record["labels"])}
    names = [source["name"] for source in record["sources"]]
    splits = {}
    for split, part in record["splits"].items():
        chosen = []
        for source_index, row in part["rows"]:
            text, label = sources[names[source_index]][row - 1]
            chosen.append((text, labels[label]))
        if digest(chosen) != part["digest"]:
            raise SystemExit(f"{record_path}: the {split} split does not match its digest: different data or cleaning")
        splits[split] = chosen
    return splits


if __name__ == "__main__":
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    splits = load_split(sys.argv[1], sys.argv[2])
    for split, chosen in splits.items():
        counts = {}
        for _, label in chosen:
            counts[label] = counts.get(label, 0) + 1
        print(f"{split}: {len(chosen)} examples, per class {dict(sorted(counts.items()))}, digest ok")
    if len(sys.argv) > 4 and sys.argv[3] == "--dump":
        out = Path(sys.argv[4])
        out.mkdir(parents=True, exist_ok=True)
        for split, chosen in splits.items():
            with open(out / f"{split}.jsonl", "w", encoding="utf-8") as f:
                for text, label in chosen:
                    f.write(json.dumps({"text": text, "label": label}) + "\n")
