#!/usr/bin/python3
"""Golden trajectories of torch.optim + Hugging Face LR schedules for deni's train/optim.

This script is the source of truth for train/optim/testdata/golden.json. The Go tests
(golden_test.go) replay exactly the same problem and compare every parameter after every step
and every learning rate; they never run Python.

Rerun (Debian's PyTorch, no pip needed):

    apt-get install -y --no-install-recommends python3-torch
    cd train/optim/testdata && /usr/bin/python3 gen_golden.py > golden.json

Generated with torch 1.13 (Debian bookworm's python3-torch); the torch version is recorded in the
JSON. The problem is chosen so that the Go replay can reproduce the gradients bit for bit:

  * four float32 parameters: "a" (shape 2x3), "b" (shape 4), "w" (shape 5x7: 35 values, long
    enough for torch's vectorised kernels plus a scalar tail) and "frozen" (shape 2), which never
    gets a gradient (grad None), so torch skips it and so must Go;
  * at step t (0-based) the gradient of a trainable parameter p is  g = (p - c) * s[t] + d[t]
    with fixed float32 targets c, scales s[t] and offsets d[t] (all stored in the JSON). Each of the
    three torch ops rounds to float32 once, so Go computes the same g from the same p;
  * element b[3] starts at its target (c = p0) and has d[t] = 0 for t < 3, so its gradient is
    exactly 0 for the first three steps (Adam's eps path: the update is 0 / (0 + eps) = 0).

The transformers package is not installable here, so the four schedule lambdas below are written out
from transformers/optimization.py (get_linear_schedule_with_warmup, get_cosine_schedule_with_warmup
with num_cycles=0.5, get_constant_schedule, get_constant_schedule_with_warmup) and driven by
torch.optim.lr_scheduler.LambdaLR, exactly as transformers does. Warm-up steps follow the DENI
reference code: int(num_steps * .1). As in the reference training loop, scheduler.step() is called
after every optimizer.step(), so step t uses the schedule at index t.
"""

import json
import math

import numpy
import torch

STEPS = 20


def linear(num_warmup_steps, num_training_steps):
    def lr_lambda(current_step):
        if current_step < num_warmup_steps:
            return float(current_step) / float(max(1, num_warmup_steps))
        return max(0.0, float(num_training_steps - current_step) / float(max(1, num_training_steps - num_warmup_steps)))
    return lr_lambda


def cosine(num_warmup_steps, num_training_steps, num_cycles=0.5):
    def lr_lambda(current_step):
        if current_step < num_warmup_steps:
            return float(current_step) / float(max(1, num_warmup_steps))
        progress = float(current_step - num_warmup_steps) / float(max(1, num_training_steps - num_warmup_steps))
        return max(0.0, 0.5 * (1.0 + math.cos(math.pi * float(num_cycles) * 2.0 * progress)))
    return lr_lambda


def constant(num_warmup_steps, num_training_steps):
    def lr_lambda(current_step):
        if current_step < num_warmup_steps:
            return float(current_step) / float(max(1.0, num_warmup_steps))
        return 1.0
    return lr_lambda


def schedule_lambda(name, total):
    warmup = int(total * .1) if name.endswith("_warmup") else 0
    base = name[: -len("_warmup")] if name.endswith("_warmup") else name
    return {"linear": linear, "cosine": cosine, "constant": constant}[base](warmup, total)


def f32(xs):
    return torch.tensor(xs, dtype=torch.float32)


def lcg_values(seed, n, lo, hi):
    # A tiny fixed generator: the values are stored in the JSON, so Go never needs it.
    out = []
    x = seed
    for _ in range(n):
        x = (x * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        u = (x >> 11) / float(1 << 53)
        out.append(F32(torch.tensor(lo + (hi - lo) * u, dtype=torch.float32)))
    return out


def problem():
    a0 = [[0.5, -1.25, 2.0], [-0.03125, 3.5, -0.75]]
    b0 = [0.1, -0.2, 1e-3, 0.7]
    frozen0 = [1.5, -2.5]
    ca = [[0.25, 0.5, -1.0], [0.0, 1.0, 0.125]]
    cb = [-0.3, 0.4, 0.0, 0.7]
    w0 = lcg_values(7, 35, -2.0, 2.0)
    cw = lcg_values(8, 35, -1.0, 1.0)
    s = lcg_values(1, STEPS, 0.5, 1.5)
    da = [lcg_values(100 + t, 6, -0.2, 0.2) for t in range(STEPS)]
    db = [lcg_values(200 + t, 4, -0.2, 0.2) for t in range(STEPS)]
    dw = [lcg_values(300 + t, 35, -0.2, 0.2) for t in range(STEPS)]
    for t in range(3):
        db[t][3] = 0.0  # b[3] = c, so its gradient is exactly zero for three steps
    return {
        "steps": STEPS,
        "init": {"a": [v for row in a0 for v in row], "b": b0, "w": w0, "frozen": frozen0},
        "shapes": {"a": [2, 3], "b": [4], "w": [5, 7], "frozen": [2]},
        "target": {"a": [v for row in ca for v in row], "b": cb, "w": cw},
        "scale": s,
        "offset": {"a": da, "b": db, "w": dw},
    }


def to_list(t):
    return [F32(v) for v in t.detach().reshape(-1).tolist()]


class F32(float):
    """A float32 value, written with the shortest digits that read back as the same float32."""


def dump(obj, indent=0):
    # JSON with one line per list of numbers: diff-friendly and about a third of indent=1.
    pad = " " * indent
    if isinstance(obj, dict):
        items = [pad + " " + json.dumps(k) + ": " + dump(v, indent + 1).lstrip() for k, v in obj.items()]
        return pad + "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(obj, (list, tuple)) and obj and all(isinstance(v, (int, float)) for v in obj):
        return pad + "[" + ", ".join(dump(v) for v in obj) + "]"
    if isinstance(obj, (list, tuple)):
        return pad + "[\n" + ",\n".join(dump(v, indent + 1) for v in obj) + "\n" + pad + "]"
    if isinstance(obj, F32):
        return repr(numpy.float32(obj)) if numpy.float32(obj) != 0 else "0.0"
    return json.dumps(obj)


def run(prob, case):
    a = torch.nn.Parameter(f32(prob["init"]["a"]).reshape(2, 3))
    b = torch.nn.Parameter(f32(prob["init"]["b"]))
    w = torch.nn.Parameter(f32(prob["init"]["w"]).reshape(5, 7))
    frozen = torch.nn.Parameter(f32(prob["init"]["frozen"]))
    params = [a, b, w, frozen]
    kind, kw = case["optimizer"], dict(case["options"])
    lr = case["lr"]
    if kind == "adam":
        opt = torch.optim.Adam(params, lr=lr, foreach=False, **kw)
    elif kind == "adamw":
        opt = torch.optim.AdamW(params, lr=lr, foreach=False, **kw)
    elif kind == "sgd":
        opt = torch.optim.SGD(params, lr=lr, foreach=False, **kw)
    else:
        raise ValueError(kind)
    total = case["total_steps"]
    sched = torch.optim.lr_scheduler.LambdaLR(opt, schedule_lambda(case["schedule"], total))
    ca = f32(prob["target"]["a"]).reshape(2, 3)
    cb = f32(prob["target"]["b"])
    cw = f32(prob["target"]["w"]).reshape(5, 7)
    lrs, traj = [], []
    for t in range(prob["steps"]):
        opt.zero_grad(set_to_none=True)
        s = torch.tensor(prob["scale"][t], dtype=torch.float32)
        with torch.no_grad():
            a.grad = (a.detach() - ca) * s + f32(prob["offset"]["a"][t]).reshape(2, 3)
            b.grad = (b.detach() - cb) * s + f32(prob["offset"]["b"][t])
            w.grad = (w.detach() - cw) * s + f32(prob["offset"]["w"][t]).reshape(5, 7)
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
        traj.append({"a": to_list(a), "b": to_list(b), "w": to_list(w), "frozen": to_list(frozen)})
    out = dict(case)
    out["lrs"] = lrs
    out["params"] = traj
    return out


CASES = [
    # (name, optimizer, options (torch keyword arguments), lr, schedule, total_steps)
    ("adam_linear", "adam", {}, 1e-2, "linear", STEPS),
    ("adam_linear_warmup", "adam", {}, 1e-2, "linear_warmup", STEPS),
    ("adam_cosine", "adam", {}, 1e-2, "cosine", STEPS),
    ("adam_cosine_warmup_25", "adam", {}, 3e-2, "cosine_warmup", 25),
    ("adam_constant", "adam", {}, 5e-2, "constant", STEPS),
    ("adam_constant_warmup", "adam", {}, 5e-2, "constant_warmup", STEPS),
    ("adam_l2_linear", "adam", {"weight_decay": 0.1}, 1e-2, "linear", STEPS),
    ("adam_betas_eps", "adam", {"betas": (0.8, 0.99), "eps": 1e-6}, 2e-2, "constant", STEPS),
    ("adamw_default_linear", "adamw", {}, 1e-2, "linear", STEPS),
    ("adamw_wd_linear_warmup", "adamw", {"weight_decay": 0.5}, 5e-2, "linear_warmup", STEPS),
    ("adamw_wd0_cosine", "adamw", {"weight_decay": 0.0}, 1e-2, "cosine", STEPS),
    ("sgd_constant", "sgd", {}, 0.1, "constant", STEPS),
    ("sgd_linear_15", "sgd", {}, 0.1, "linear", 15),
    ("sgd_momentum_linear", "sgd", {"momentum": 0.9}, 0.05, "linear", STEPS),
    ("sgd_momentum_dampening_cosine", "sgd", {"momentum": 0.9, "dampening": 0.25, "weight_decay": 0.01}, 0.05, "cosine", STEPS),
    ("sgd_nesterov_linear_warmup", "sgd", {"momentum": 0.8, "nesterov": True, "weight_decay": 0.1}, 0.05, "linear_warmup", STEPS),
]


def main():
    torch.set_num_threads(1)
    prob = problem()
    cases = []
    for name, kind, options, lr, schedule, total in CASES:
        case = {"name": name, "optimizer": kind, "options": options, "lr": lr,
                "schedule": schedule, "total_steps": total}
        cases.append(run(prob, case))
    # betas is a tuple in torch; JSON stores it as a list.
    print(dump({"generator": "train/optim/testdata/gen_golden.py", "torch": torch.__version__,
                "problem": prob, "cases": cases}))


if __name__ == "__main__":
    main()
