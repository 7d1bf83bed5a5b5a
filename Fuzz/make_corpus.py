#!/usr/bin/env python3
"""Writes the seed corpora under Fuzz/Corpus/ (run from anywhere; standard library only).

Each fuzz target's seeds are a few small, valid inputs of its format, so the fuzzer starts from
the interesting parts of the input space. The first byte of a CSV, archive or WordPiece seed picks
the harness's options (see each Fuzz/Sources/*/Harness.swift)."""
import gzip, io, json, os, struct, tarfile, zipfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "Corpus")


def write(target, name, data):
    os.makedirs(os.path.join(ROOT, target), exist_ok=True)
    with open(os.path.join(ROOT, target, name), "wb") as f:
        f.write(data)


# CSV/TSV: option byte (bits: delimiter 0-1, quoting none 2, no header 3, replace 4, skip 5,
# two fields 6, trickle 3 bytes 7), then the text.
csv_quoted = 'id,text,label\n1,"hello, world",ham\n2,"she said ""hi""\r\nthen left",spam\r\n\n3,plain,ham\n'
write("csv", "quoted.csv", b"\x00" + csv_quoted.encode())
write("csv", "bom-crlf.csv", b"\x80" + "\ufefftext,label\r\nabc,1\r\n\"x\"y,2\r".encode())
write("csv", "sms.tsv", bytes([1 | 4 | 8]) + b'ham\tGo until jurong point, "crazy"\nspam\tFree entry\n')
write("csv", "skip-rows.tsv", bytes([1 | 32]) + "label\ttext\n1\tcaf\u00e9\n2\ttoo\tmany\n\n3\tok".encode())
write("csv", "bad-utf8.csv", bytes([16]) + b"a,b\n\xff\xfe,\xc3\x28\n")
write("csv", "unterminated.csv", bytes([64]) + b'a,b\n"open,1\n')

# Dataset specs: the example's tickets.json and variants.
tickets = {
    "name": "tickets", "description": "Invented support tickets",
    "source": {"path": "data/tickets.csv"}, "format": "csv", "header": True,
    "text": ["subject", "body"], "joiner": "\n", "label": "queue", "id": "id",
    "labels": ["billing", "bug", "question"],
    "splits": {"ratios": {"train": 0.7, "validation": 0.15, "test": 0.15}, "seed": 7, "stratify": True},
    "bad_rows": "fail",
}
write("spec", "tickets.json", json.dumps(tickets, indent=2).encode())
write("spec", "files.json", json.dumps({
    "version": 1, "name": "sms-spam_1.0", "splits": {"files": {"train": "train.tsv", "test": "test.tsv"},
                                                     "validation_from_train": 0.1, "max_examples": 1000},
    "delimiter": "\t", "quoting": "none", "header": False, "encoding_errors": "replace",
    "text": 4, "label": [5], "label_map": {"spam": "1", "ham": "0"}, "replace": [["\\n", " "]],
}).encode())
write("spec", "store.json", json.dumps({
    "name": "imdb", "source": {"dataset": "imdb", "file": "imdb.zip", "member": "*/train.csv"},
    "text": "text", "label": "label", "splits": {"ratios": {"train": 0.8, "test": 0.2}, "balance": True},
    "bad_rows": "skip", "labels": ["ham", "spam"],
}).encode())
write("spec", "typo.json", b'{"name": "x", "lables": ["a"], "splits": {"ratios": {"train": 1e400}}, "text": [0, 1.5, null]}')

# safetensors: an 8-byte little-endian header length, the JSON header, the data.
def safetensors(tensors, metadata=None, pad=b""):
    header, data = {}, b""
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    if metadata is not None:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode() + pad
    return struct.pack("<Q", len(text)) + text + data

write("safetensors", "f32.safetensors", safetensors(
    {"w": ("F32", [2, 2], struct.pack("<4f", 1, -2, 0.5, 3)), "b": ("F32", [2], struct.pack("<2f", 0, 1))},
    {"format": "pt"}))
write("safetensors", "mixed.safetensors", safetensors({
    "h": ("F16", [3], struct.pack("<3e", 1, 2, -0.25)), "bf": ("BF16", [1, 2], b"\x80\x3f\x00\x40"),
    "d": ("F64", [1], struct.pack("<d", 2.5)), "ids": ("I64", [2], struct.pack("<2q", 7, -1)),
    "i32": ("I32", [1], struct.pack("<i", 5)), "i16": ("I16", [1], struct.pack("<h", -3)),
    "i8": ("I8", [2], b"\x01\xff"), "u8": ("U8", [0, 4], b""), "mask": ("BOOL", [2], b"\x01\x00"),
}, pad=b"  "))
write("safetensors", "empty.safetensors", safetensors({}, {}))

# Archives: option byte (name: 0 .zip, 1 .tar.gz, 2 no suffix, 3 .csv.gz, 4 .tar), then the file.
csv = b"text,label\nhello,ham\nwin money,spam\n"

def zip_bytes(compression, names=("train.csv", "dir/test.csv")):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as z:
        for name in names:
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            z.writestr(info, csv, compress_type=compression)
        z.writestr(zipfile.ZipInfo("dir/", date_time=(2024, 1, 1, 0, 0, 0)), b"")
    return buffer.getvalue()

def tar_bytes(names=("train.csv", "./data/test.csv")):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for name in names:
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(csv), 0
            t.addfile(info, io.BytesIO(csv))
        link = tarfile.TarInfo("link.csv")
        link.type, link.linkname = tarfile.SYMTYPE, "train.csv"
        t.addfile(link)
    return buffer.getvalue()

def gz(data):
    return gzip.compress(data, mtime=0)

write("archive", "deflate.zip", b"\x00" + zip_bytes(zipfile.ZIP_DEFLATED))
write("archive", "stored.zip", b"\x02" + zip_bytes(zipfile.ZIP_STORED, names=("only.csv",)))
write("archive", "data.tar.gz", b"\x01" + gz(tar_bytes()))
write("archive", "train.csv.gz", b"\x03" + gz(csv))
write("archive", "plain.tar", b"\x04" + tar_bytes(names=("a.csv",)))
write("archive", "sniffed.tar.gz", b"\x02" + gz(tar_bytes(names=("one.csv",))))

# Tokenizers: UTF-8 texts (the WordPiece harness reads its configuration from the first byte).
texts = {
    "english.txt": "Hello world! It's a test: don't panic, we've got 3.14 apples.\n\n  Spaces   here",
    "unicode.txt": "Caf\u00e9 na\u00efve \u00fcber \u4f60\u597d\u4e16\u754c \U0001F600\U0001F44D\u200b \u0645\u0631\u062d\u0628\u0627",
    "special.txt": "<|endoftext|>Next<|endoftext|> [CLS] hi [SEP] [MASK] <extra>",
    "digits.txt": "2024-01-01 12345678901234567890 0x1F ...!!!???",
    "words.txt": "unaffable running quickly abc xyz",
}
for name, text in texts.items():
    write("gpt2", name, text.encode())
    for choice in range(4):
        write("wordpiece", f"{choice}-{name}", bytes([choice]) + text.encode())
write("gpt2", "invalid-utf8.txt", b"ab\xff\xfe\xc3(\xe2\x82 end")

# Tokenizer files: option byte (0 tokenizer JSON, 1 encoder.json, 2 merges, 3 .tiktoken, 4 vocab.txt).
fixtures = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "TokenizersTests", "Fixtures")
write("vocab", "tokenizer.json", b"\x00" + json.dumps({
    "version": "1.0", "added_tokens": [{"id": 0, "content": "[PAD]", "special": True}],
    "normalizer": {"type": "BertNormalizer", "lowercase": True}, "model": {"type": "WordPiece", "vocab": {"[PAD]": 0, "a": 1, "##b": 2}},
    "escaped": "tab\t quote\" \u00e9 \ud83d\ude00", "numbers": [0, -1.5e3, 12345678901234567890], "flags": [True, False, None]}).encode())
alphabet = {}
n = 0
for b in range(256):
    c = chr(b) if (33 <= b <= 126 or 161 <= b <= 172 or 174 <= b <= 255) else None
    if c is None:
        c = chr(256 + n); n += 1
    alphabet[b] = c
encoder = {alphabet[b]: b for b in range(256)}
encoder.update({"\u0120t": 256, "he": 257, "<|endoftext|>": 258})
write("vocab", "encoder.json", b"\x01" + json.dumps(encoder).encode())
write("vocab", "vocab.bpe", b"\x02#version: 0.2\n\u0120 t\nh e\r\n".replace(b"\\u0120", "\u0120".encode()))
with open(os.path.join(fixtures, "tiny_bpe.tiktoken"), "rb") as f:
    write("vocab", "tiny.tiktoken", b"\x03" + f.read())
with open(os.path.join(fixtures, "wordpiece_tiny_vocab.txt"), "rb") as f:
    write("vocab", "vocab.txt", b"\x04" + f.read())
