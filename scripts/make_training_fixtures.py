#!/usr/bin/env python3
"""Expected values for TrainingTests, computed with PyTorch and transformers:

- optimizers: a few steps of torch.optim.AdamW / SGD / RMSprop (several settings each) on two
  fixed float32 tensors with fixed gradients per step; the parameters after every step.
- schedules: learning rates of transformers' get_{constant,linear,cosine}_schedule_with_warmup
  (LambdaLR) at steps 0..N.
- clipping: torch.nn.utils.clip_grad_norm_ on fixed gradients (total norm, clipped gradients).

    python3 scripts/make_training_fixtures.py    # writes Tests/TrainingTests/Fixtures/training_reference.json
"""
import json
import os

import torch
from transformers import (get_constant_schedule_with_warmup, get_cosine_schedule_with_warmup,
                          get_linear_schedule_with_warmup)

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "TrainingTests", "Fixtures", "training_reference.json")
torch.set_num_threads(1)

gen = torch.Generator().manual_seed(20240613)
initial = {"w": torch.randn(2, 3, generator=gen), "b": torch.randn(3, generator=gen)}
STEPS = 4
grads = [{name: torch.randn(t.shape, generator=gen) for name, t in initial.items()} for _ in range(STEPS)]

CONFIGS = [
    ("adamw", dict(lr=1e-2, weight_decay=0.1)),
    ("adamw", dict(lr=3e-3, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.0)),
    ("adamw", dict(lr=5e-2, betas=(0.3, 0.9), weight_decay=0.5)),
    ("sgd", dict(lr=0.1)),
    ("sgd", dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    ("sgd", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("rmsprop", dict(lr=1e-2)),
    ("rmsprop", dict(lr=1e-2, alpha=0.9, eps=1e-6, momentum=0.5, centered=True, weight_decay=0.1)),
]
MAKERS = {"adamw": torch.optim.AdamW, "sgd": torch.optim.SGD, "rmsprop": torch.optim.RMSprop}


def flat(t):
    return [float(x) for x in t.detach().reshape(-1).tolist()]


optimizers = []
for kind, kwargs in CONFIGS:
    params = {name: torch.nn.Parameter(t.clone()) for name, t in initial.items()}
    opt = MAKERS[kind](list(params.values()), foreach=False, **kwargs)
    after = []
    for step in range(STEPS):
        for name, p in params.items():
            p.grad = grads[step][name].clone()
        opt.step()
        after.append({name: flat(p) for name, p in params.items()})
    settings = {k: (list(v) if isinstance(v, tuple) else v) for k, v in kwargs.items()}
    optimizers.append({"kind": kind, "settings": settings, "after": after})

schedules = []
for kind, make in [("constant", lambda o, w, n: get_constant_schedule_with_warmup(o, w)),
                   ("linear", get_linear_schedule_with_warmup), ("cosine", get_cosine_schedule_with_warmup)]:
    for warmup, total in [(0, 10), (3, 10), (4, 7)]:
        p = torch.nn.Parameter(torch.zeros(1))
        opt = torch.optim.SGD([p], lr=2.0)
        sched = make(opt, warmup, total)
        rates = []
        for _ in range(total + 2):
            rates.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
        schedules.append({"kind": kind, "warmup_steps": warmup, "total_steps": total, "base_lr": 2.0, "rates": rates})

clip_params = {name: torch.nn.Parameter(t.clone()) for name, t in initial.items()}
for name, p in clip_params.items():
    p.grad = grads[0][name].clone() * 3
norm = torch.nn.utils.clip_grad_norm_(list(clip_params.values()), max_norm=0.5)
clipping = {"scale": 3.0, "max_norm": 0.5, "total_norm": float(norm),
            "clipped": {name: flat(p.grad) for name, p in clip_params.items()}}

reference = {
    "torch": torch.__version__,
    "initial": {name: flat(t) for name, t in initial.items()},
    "shapes": {name: list(t.shape) for name, t in initial.items()},
    "grads": [{name: flat(g) for name, g in step.items()} for step in grads],
    "optimizers": optimizers,
    "schedules": schedules,
    "clipping": clipping,
}
with open(OUT, "w") as f:
    json.dump(reference, f, indent=1)
    f.write("\n")
print(f"wrote {os.path.normpath(OUT)}")
