"""The texts of the mirror's corpora, read with the standard library only (zipfile + csv), for
scripts that compare textclf with Python references. Each function yields (name, text)."""
import csv
import io
import os
import zipfile


def mirror_root():
    """First directory of $TEXTCLF_MIRROR, else ../shared/mirror beside the checkout."""
    for root in os.environ.get("TEXTCLF_MIRROR", "").split(":"):
        if root and os.path.isdir(root):
            return root
    here = os.path.dirname(os.path.abspath(__file__))
    fallback = os.path.normpath(os.path.join(here, "..", "..", "shared", "mirror"))
    return fallback if os.path.isdir(fallback) else None


def mirror_from_argv():
    """sys.argv[1] if given, else mirror_root(); exits with a message when there is none."""
    import sys
    mirror = sys.argv[1] if len(sys.argv) > 1 else mirror_root()
    if not mirror:
        sys.exit("no mirror: pass MIRROR or set TEXTCLF_MIRROR")
    return mirror


FNV_OFFSET, FNV_PRIME, FNV_MASK = 0xCBF29CE484222325, 0x100000001B3, (1 << 64) - 1


def fnv1a64(data, h=FNV_OFFSET):
    """FNV-1a 64 of the bytes `data`, continuing from state `h` (so digests can run over many pieces)."""
    for byte in data:
        h = ((h ^ byte) * FNV_PRIME) & FNV_MASK
    return h


def sms_spam(mirror):
    """SMSSpamCollection: `label<TAB>text` per line, no header, no quoting."""
    with zipfile.ZipFile(f"{mirror}/datasets/sms-spam/sms+spam+collection.zip") as z:
        lines = z.read("SMSSpamCollection").decode("utf-8").split("\n")
    for number, line in enumerate(lines, 1):
        if line:
            yield f"sms:{number}", line.split("\t", 1)[1]


def sst2(mirror):
    """train/dev/test.tsv: header, then `label<TAB>text`; no quoting (texts hold raw quotes)."""
    with zipfile.ZipFile(f"{mirror}/datasets/sst2/sst2.zip") as z:
        for member in ("train.tsv", "dev.tsv", "test.tsv"):
            text = z.read(member).decode("utf-8")
            rows = csv.reader(io.StringIO(text, newline=""), delimiter="\t", quoting=csv.QUOTE_NONE)
            next(rows)
            for number, row in enumerate(rows, 2):
                yield f"sst2/{member}:{number}", row[1]


def imdb(mirror):
    """imdb_train.csv then imdb_test.csv: RFC 4180 CSV, header label,rating,id,text."""
    with zipfile.ZipFile(f"{mirror}/datasets/imdb/imdb.zip") as z:
        for member in ("imdb_train.csv", "imdb_test.csv"):
            rows = csv.DictReader(io.StringIO(z.read(member).decode("utf-8"), newline=""))
            for number, row in enumerate(rows, 1):
                yield f"imdb/{member}:{number}", row["text"]


CORPORA = {"sms-spam": sms_spam, "sst2": sst2, "imdb": imdb}


def gpt2_tiktoken(mirror):
    """tiktoken's GPT-2 encoding built exactly as ../shared/anchors/tiktoken_speed.py does."""
    import tiktoken
    from tiktoken.load import load_tiktoken_bpe
    return tiktoken.Encoding(
        name="gpt2", explicit_n_vocab=50257,
        pat_str=r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""",
        mergeable_ranks=load_tiktoken_bpe(f"{mirror}/models/gpt2/gpt2.tiktoken"),
        special_tokens={"<|endoftext|>": 50256})
