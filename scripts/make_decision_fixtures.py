#!/usr/bin/env python3
"""Expected values for the multi-label and decision tests (TrainingTests/DecisionTests), computed
with PyTorch, scikit-learn and torchmetrics:

- binary cross-entropy with logits: torch.nn.functional.binary_cross_entropy_with_logits(x, y,
  pos_weight=p), the loss and d loss / d logits, on fixed float32 logits (some large, to check
  the stable form), without and with pos_weight;
- thresholds: the best-F1 threshold from sklearn.metrics.precision_recall_curve (first maximum
  of F1 over its ascending thresholds), and the lowest threshold with precision >= P / the
  highest with recall >= R, on scores with ties;
- multi-label metrics: sklearn f1_score (micro, macro), accuracy_score (subset), hamming_loss on
  0/1 matrices;
- ECE: torchmetrics.functional.calibration_error(n_bins=15, norm="l1"), multiclass (top-label)
  and binary;
- temperature scaling: T minimising the mean NLL, found with torch.optim.LBFGS (float64, strong
  Wolfe line search) on log T, for softmax (cross-entropy) and sigmoid (BCE) logits.

    pip install torchmetrics   # besides torch and scikit-learn
    python3 scripts/make_decision_fixtures.py   # writes Tests/TrainingTests/Fixtures/decision_reference.json
"""
import json
import os

import numpy as np
import torch
import torchmetrics
from sklearn.metrics import accuracy_score, f1_score, hamming_loss, precision_recall_curve
from torchmetrics.functional.classification import binary_calibration_error, multiclass_calibration_error

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "TrainingTests", "Fixtures", "decision_reference.json")

gen = torch.Generator().manual_seed(11)

# BCE with logits.
logits = (torch.randn(5, 4, generator=gen) * 3).float()
logits[0, 0], logits[1, 2] = 40.0, -35.0  # exp() of these overflows a naive form
targets = (torch.rand(5, 4, generator=gen) < 0.4).float()
bce = []
for pos_weight in [None, [1.0, 3.0, 0.5, 10.0]]:
    x = logits.clone().requires_grad_(True)
    p = None if pos_weight is None else torch.tensor(pos_weight)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(x, targets, pos_weight=p)
    loss.backward()
    bce.append({"pos_weight": pos_weight, "loss": loss.item(), "grad": x.grad.flatten().tolist()})

# Threshold selection on scores with ties.
rng = np.random.default_rng(5)
truth = (rng.random(60) < 0.35).astype(int)
scores = np.round(np.clip(truth * 0.3 + rng.random(60) * 0.7, 0, 1), 2).astype(np.float32)
precision, recall, thresholds = precision_recall_curve(truth, scores)
with np.errstate(invalid="ignore", divide="ignore"):
    f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0)[:-1]
best = int(np.argmax(f1))
targets_p = {}
for target in [0.6, 0.8, 0.95]:
    ok = [i for i in range(len(thresholds)) if precision[i] >= target]
    targets_p[str(target)] = float(thresholds[min(ok)]) if ok else None
targets_r = {}
for target in [0.5, 0.8, 1.0]:
    ok = [i for i in range(len(thresholds)) if recall[i] >= target]
    targets_r[str(target)] = float(thresholds[max(ok)])
threshold = {"scores": scores.tolist(), "truth": truth.tolist(), "best_f1_threshold": float(thresholds[best]),
             "best_f1": float(f1[best]), "target_precision": targets_p, "target_recall": targets_r}

# Multi-label metrics.
y_true = (rng.random((30, 6)) < 0.3).astype(int)
y_pred = np.where(rng.random((30, 6)) < 0.8, y_true, 1 - y_true)
y_pred[:, 5] = 0  # a label never predicted: precision 0 (zero_division=0)
multi = {"truth": y_true.tolist(), "predicted": y_pred.tolist(),
         "micro_f1": float(f1_score(y_true, y_pred, average="micro", zero_division=0)),
         "macro_f1": float(f1_score(y_true, y_pred, average="macro", zero_division=0)),
         "subset_accuracy": float(accuracy_score(y_true, y_pred)),
         "hamming_loss": float(hamming_loss(y_true, y_pred))}

# ECE and temperature scaling (softmax).
classes = 3
cal_logits = (torch.randn(80, classes, generator=gen) * 2.5).float()
probs = torch.softmax(cal_logits.double() / 2.0, dim=1)  # the truth drawn at T = 2: overconfident logits
cal_labels = torch.multinomial(probs, 1, generator=gen).squeeze(1)
ece = float(multiclass_calibration_error(torch.softmax(cal_logits, 1), cal_labels, num_classes=classes, n_bins=15, norm="l1"))


def fit_temperature(loss_fn):
    log_t = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([log_t], lr=1, max_iter=500, tolerance_grad=1e-14, tolerance_change=1e-16,
                                  line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        loss = loss_fn(torch.exp(log_t))
        loss.backward()
        return loss

    for _ in range(5):
        optimizer.step(closure)
    t = float(torch.exp(log_t))
    return t, float(loss_fn(torch.tensor([t], dtype=torch.float64)))


x64 = cal_logits.double()
t_softmax, nll_softmax = fit_temperature(lambda t: torch.nn.functional.cross_entropy(x64 / t, cal_labels))
nll_softmax_1 = float(torch.nn.functional.cross_entropy(x64, cal_labels))

# Sigmoid outputs: truth drawn at T = 0.5 (underconfident logits).
sig_logits = (torch.randn(40, 5, generator=gen) * 1.5).float()
sig_targets = (torch.rand(40, 5, generator=gen) < torch.sigmoid(sig_logits.double() / 0.5)).double()
s64 = sig_logits.double()
t_sigmoid, nll_sigmoid = fit_temperature(lambda t: torch.nn.functional.binary_cross_entropy_with_logits(s64 / t, sig_targets))
binary_probs = torch.sigmoid(sig_logits[:, 0])
ece_binary = float(binary_calibration_error(binary_probs, sig_targets[:, 0].long(), n_bins=15, norm="l1"))

with open(OUT, "w") as f:
    json.dump({"torch": torch.__version__, "torchmetrics": torchmetrics.__version__,
               "bce": {"logits": logits.flatten().tolist(), "targets": targets.flatten().tolist(), "cases": bce},
               "threshold": threshold, "multi_label": multi,
               "softmax": {"logits": cal_logits.flatten().tolist(), "labels": cal_labels.tolist(), "ece": ece,
                           "temperature": t_softmax, "nll_at_temperature": nll_softmax, "nll_at_1": nll_softmax_1},
               "sigmoid": {"logits": sig_logits.flatten().tolist(), "targets": sig_targets.long().tolist(),
                           "temperature": t_sigmoid, "nll_at_temperature": nll_sigmoid,
                           "first_label_ece": ece_binary}}, f, indent=1)
    f.write("\n")
print("wrote", OUT)
