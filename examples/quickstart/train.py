"""Ferry quickstart: a tiny model trained on data it generates, no dependencies.

A 2-layer MLP (tanh, 8 hidden units) learns y = sin(x1) + 0.5*x2 with minibatch SGD.
Every step prints its loss; every CHECKPOINT_EVERY steps a checkpoint is written into
FERRY_CHECKPOINT_DIR (temp name, then rename, so a half-written file is never seen).
With FERRY_RESUME_FROM set, training continues from that checkpoint. Batches depend only on
the step number, so a resumed run ends with exactly the same final loss as an uninterrupted one.
"""
import json
import math
import os
import random
import sys
import time

SEED = 1234
STEPS = int(os.environ.get("STEPS", "60"))
CHECKPOINT_EVERY = int(os.environ.get("CHECKPOINT_EVERY", "10"))
STEP_SECONDS = float(os.environ.get("STEP_SECONDS", "0.05"))
LR = 0.05
HIDDEN = 8
BATCH = 32


def make_data(n=256):
    rng = random.Random(SEED)
    xs = [(rng.uniform(-2, 2), rng.uniform(-2, 2)) for _ in range(n)]
    ys = [math.sin(a) + 0.5 * b for a, b in xs]
    return xs, ys


def init_params():
    rng = random.Random(SEED + 1)
    return {
        "w1": [[rng.gauss(0, 0.5) for _ in range(2)] for _ in range(HIDDEN)],
        "b1": [0.0] * HIDDEN,
        "w2": [rng.gauss(0, 0.5) for _ in range(HIDDEN)],
        "b2": 0.0,
    }


def forward(p, x):
    h = [math.tanh(p["w1"][j][0] * x[0] + p["w1"][j][1] * x[1] + p["b1"][j]) for j in range(HIDDEN)]
    return h, sum(p["w2"][j] * h[j] for j in range(HIDDEN)) + p["b2"]


def sgd_step(p, xs, ys, idx):
    g_w1 = [[0.0, 0.0] for _ in range(HIDDEN)]
    g_b1 = [0.0] * HIDDEN
    g_w2 = [0.0] * HIDDEN
    g_b2 = 0.0
    for i in idx:
        h, out = forward(p, xs[i])
        d = 2 * (out - ys[i]) / len(idx)
        g_b2 += d
        for j in range(HIDDEN):
            g_w2[j] += d * h[j]
            dh = d * p["w2"][j] * (1 - h[j] * h[j])
            g_w1[j][0] += dh * xs[i][0]
            g_w1[j][1] += dh * xs[i][1]
            g_b1[j] += dh
    for j in range(HIDDEN):
        p["w1"][j][0] -= LR * g_w1[j][0]
        p["w1"][j][1] -= LR * g_w1[j][1]
        p["b1"][j] -= LR * g_b1[j]
        p["w2"][j] -= LR * g_w2[j]
    p["b2"] -= LR * g_b2


def full_loss(p, xs, ys):
    return sum((forward(p, x)[1] - y) ** 2 for x, y in zip(xs, ys)) / len(xs)


def save_checkpoint(ckpt_dir, step, params, loss):
    os.makedirs(ckpt_dir, exist_ok=True)
    final = os.path.join(ckpt_dir, "ckpt-%06d.json" % step)
    tmp = os.path.join(ckpt_dir, ".ckpt-%06d.json.tmp" % step)
    with open(tmp, "w") as f:
        json.dump({"step": step, "params": params, "loss": loss}, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, final)
    print("checkpoint saved: %s" % os.path.basename(final), flush=True)


def main():
    ckpt_dir = os.environ.get("FERRY_CHECKPOINT_DIR", "checkpoints")
    out_dir = os.environ.get("FERRY_OUTPUT_DIR", "outputs")
    resume = os.environ.get("FERRY_RESUME_FROM")
    xs, ys = make_data()
    params, start = init_params(), 0
    if resume:
        with open(resume) as f:
            state = json.load(f)
        params, start = state["params"], state["step"]
        print("resumed from step %d (%s)" % (start, os.path.basename(resume)), flush=True)
    print("training %d steps on %d samples (job %s, attempt %s)" % (
        STEPS, len(xs), os.environ.get("FERRY_JOB_ID", "-"), os.environ.get("FERRY_ATTEMPT", "-")), flush=True)
    loss = full_loss(params, xs, ys)
    for step in range(start + 1, STEPS + 1):
        batch_rng = random.Random(SEED * 1000 + step)
        sgd_step(params, xs, ys, batch_rng.sample(range(len(xs)), BATCH))
        loss = full_loss(params, xs, ys)
        print("step %d loss %.6f" % (step, loss), flush=True)
        if step % CHECKPOINT_EVERY == 0:
            save_checkpoint(ckpt_dir, step, params, loss)
        time.sleep(STEP_SECONDS)
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "metrics.json"), "w") as f:
        json.dump({"final_loss": loss, "steps": STEPS}, f)
    print("final loss: %.6f" % loss, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
