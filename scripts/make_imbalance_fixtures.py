#!/usr/bin/env python3
"""Expected values for the class-imbalance tests (TrainingTests/ClassBalanceTests), computed with
PyTorch and scikit-learn:

- weighted cross-entropy: torch.nn.functional.cross_entropy(logits, labels, weight=w), the loss
  and d loss / d logits, on fixed float32 logits (with and without weights);
- balanced class weights: sklearn.utils.class_weight.compute_class_weight("balanced");
- PR-AUC and ROC-AUC: sklearn.metrics.average_precision_score / roc_auc_score on scores with
  ties.

    python3 scripts/make_imbalance_fixtures.py   # writes Tests/TrainingTests/Fixtures/imbalance_reference.json
"""
import json
import os

import numpy as np
import torch
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.utils.class_weight import compute_class_weight

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "TrainingTests", "Fixtures", "imbalance_reference.json")

gen = torch.Generator().manual_seed(7)
logits = (torch.randn(7, 3, generator=gen) * 2).float()
labels = torch.tensor([0, 2, 1, 1, 0, 0, 2])
cross_entropy = []
for weight in [None, [0.5, 2.0, 1.0], [1.0, 0.0, 3.0]]:
    x = logits.clone().requires_grad_(True)
    w = None if weight is None else torch.tensor(weight, dtype=torch.float32)
    loss = torch.nn.functional.cross_entropy(x, labels, weight=w)
    loss.backward()
    cross_entropy.append({"weights": weight, "loss": loss.item(), "grad": x.grad.flatten().tolist()})

train_labels = [0] * 11 + [1] * 3 + [2] * 6
balanced = compute_class_weight("balanced", classes=np.array([0, 1, 2]), y=np.array(train_labels)).tolist()

rng = np.random.default_rng(3)
truth = (rng.random(40) < 0.3).astype(int)
scores = np.round(np.clip(truth * 0.35 + rng.random(40) * 0.65, 0, 1), 1)  # rounded: many ties
ranking = {"scores": scores.tolist(), "truth": truth.tolist(),
           "average_precision": float(average_precision_score(truth, scores)),
           "roc_auc": float(roc_auc_score(truth, scores))}

with open(OUT, "w") as f:
    json.dump({"torch": torch.__version__, "logits": logits.flatten().tolist(), "labels": labels.tolist(),
               "cross_entropy": cross_entropy, "train_labels": train_labels, "balanced_weights": balanced,
               "ranking": ranking}, f, indent=1)
    f.write("\n")
print("wrote", OUT)
