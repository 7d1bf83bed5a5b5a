#!/usr/bin/env python3
"""The multi-label anchor: scikit-learn one-vs-rest logistic regression on TF-IDF, on
Reuters-21578 ModApte with textclf's 90 labels (those with documents in both train.csv and
test.csv, as Reuters21578Dataset reads them).

    python3 scripts/reuters_baseline.py MIRROR [RUN/split.json]

With a split record (a textclf run's split.json), trains on exactly the run's training rows
(its validation rows are left out, as textclf trains without them) and tests on its test rows;
without one, trains on all of train.csv. Prints one JSON object: micro/macro-F1, subset
accuracy, Hamming loss, label cardinality (true and predicted), counts.
"""
import csv
import io
import json
import sys
import zipfile

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, hamming_loss
from sklearn.multiclass import OneVsRestClassifier
from sklearn.preprocessing import MultiLabelBinarizer

csv.field_size_limit(1 << 30)


def read(archive, member):
    with archive.open(member) as raw:
        return list(csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8", newline="")))


def main():
    mirror = sys.argv[1]
    record = json.load(open(sys.argv[2])) if len(sys.argv) > 2 else None
    with zipfile.ZipFile(f"{mirror}/datasets/reuters-21578/reuters21578-modapte.zip") as archive:
        counts = read(archive, "labels.csv")
        sources = {"train": read(archive, "train.csv"), "test": read(archive, "test.csv")}
    labels = [row["label"] for row in counts if int(row["train"]) > 0 and int(row["test"]) > 0]
    kept = set(labels)

    def example(row):
        tags = [t for t in row["labels"].split(";") if t in kept]
        return (row["text"], tags) if tags else None

    if record:
        names = [source["name"] for source in record["sources"]]
        splits = {}
        for split in ("train", "test"):
            splits[split] = [example(sources[names[s]][row - 1]) for s, row in record["splits"][split]["rows"]]
    else:
        splits = {split: [e for e in map(example, rows) if e] for split, rows in sources.items()}
    binarizer = MultiLabelBinarizer(classes=labels)
    y_train = binarizer.fit_transform([tags for _, tags in splits["train"]])
    y_test = binarizer.transform([tags for _, tags in splits["test"]])
    vectorizer = TfidfVectorizer(sublinear_tf=True, min_df=2, ngram_range=(1, 2))
    x_train = vectorizer.fit_transform([text for text, _ in splits["train"]])
    x_test = vectorizer.transform([text for text, _ in splits["test"]])
    model = OneVsRestClassifier(LogisticRegression(C=10, max_iter=1000), n_jobs=1)
    # Labels with no training document (possible with a record's validation carve) stay 0.
    present = y_train.sum(axis=0) > 0
    predicted = np.zeros_like(y_test)
    model.fit(x_train, y_train[:, present])
    predicted[:, present] = model.predict(x_test)
    print(json.dumps({
        "train": len(splits["train"]), "test": len(splits["test"]), "labels": len(labels),
        "micro_f1": f1_score(y_test, predicted, average="micro", zero_division=0),
        "macro_f1": f1_score(y_test, predicted, average="macro", zero_division=0),
        "subset_accuracy": accuracy_score(y_test, predicted),
        "hamming_loss": hamming_loss(y_test, predicted),
        "cardinality_true": float(y_test.sum(axis=1).mean()),
        "cardinality_predicted": float(predicted.sum(axis=1).mean()),
    }))


if __name__ == "__main__":
    main()
