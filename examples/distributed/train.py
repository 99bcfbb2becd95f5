"""Ferry distributed example: every node runs this, no dependencies.

Each rank reads the FERRY_* variables the Slurm target sets (FERRY_NODE_RANK, FERRY_NUM_NODES,
FERRY_MASTER_ADDR, FERRY_MASTER_PORT), says who it is, then runs a few steps of a tiny
deterministic computation: each rank owns every N-th sample of a fixed data set and fits
y = 3x + 1 by gradient descent on its shard. A real job would all-reduce the gradients over the
master address; here every rank recomputes the full gradient from all shards itself (the data
is generated from a seed, so all ranks agree without talking), which keeps the parameters
identical on every rank, as after an all-reduce. Rank 0 writes the checkpoint into
FERRY_CHECKPOINT_DIR (temp name, then rename, so a half-written file is never seen).
With FERRY_RESUME_FROM set, training continues from that checkpoint.
"""
import json
import os
import random
import socket
import sys
import time

SEED = 7
STEPS = int(os.environ.get("STEPS", "5"))
STEP_SECONDS = float(os.environ.get("STEP_SECONDS", "0.1"))
LR = 0.5
SAMPLES = 64


def data():
    rng = random.Random(SEED)
    xs = [rng.uniform(-1, 1) for _ in range(SAMPLES)]
    return [(x, 3 * x + 1) for x in xs]


def shard(samples, rank, world):
    return samples[rank::world]


def grad(samples, w, b):
    gw = gb = 0.0
    for x, y in samples:
        d = (w * x + b - y)
        gw += d * x
        gb += d
    return gw, gb


def main():
    rank = int(os.environ.get("FERRY_NODE_RANK", "0"))
    world = int(os.environ.get("FERRY_NUM_NODES", "1"))
    addr = os.environ.get("FERRY_MASTER_ADDR", "localhost")
    port = os.environ.get("FERRY_MASTER_PORT", "29500")
    ckpt_dir = os.environ.get("FERRY_CHECKPOINT_DIR", "checkpoints")
    resume = os.environ.get("FERRY_RESUME_FROM")
    print("rank %d of %d (master %s:%s) on %s" % (rank, world, addr, port, socket.gethostname()), flush=True)

    samples = data()
    mine = shard(samples, rank, world)
    w, b, start = 0.0, 0.0, 0
    if resume:
        with open(resume) as f:
            state = json.load(f)
        w, b, start = state["w"], state["b"], state["step"]
        print("rank %d resumed from step %d (%s)" % (rank, start, os.path.basename(resume)), flush=True)

    loss = 0.0
    for step in range(start + 1, STEPS + 1):
        # What an all-reduce would give: the sum of every rank's shard gradient.
        gw = gb = 0.0
        for r in range(world):
            sgw, sgb = grad(shard(samples, r, world), w, b)
            gw += sgw
            gb += sgb
        w -= LR * gw / len(samples)
        b -= LR * gb / len(samples)
        loss = sum((w * x + b - y) ** 2 for x, y in mine) / max(1, len(mine))
        print("rank %d step %d shard %d loss %.6f" % (rank, step, len(mine), loss), flush=True)
        time.sleep(STEP_SECONDS)

    if rank == 0:
        os.makedirs(ckpt_dir, exist_ok=True)
        final = os.path.join(ckpt_dir, "ckpt-%06d.json" % STEPS)
        tmp = os.path.join(ckpt_dir, ".ckpt-%06d.json.tmp" % STEPS)
        with open(tmp, "w") as f:
            json.dump({"step": STEPS, "w": w, "b": b, "world": world}, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, final)
        print("rank 0 checkpoint saved: %s" % os.path.basename(final), flush=True)
    print("rank %d done: w=%.4f b=%.4f (world %d)" % (rank, w, b, world), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
