#!/usr/bin/env python3
"""Runs the same workloads in gradd (in-process, `gradd perf --json`), numpy, TensorFlow eager
and PyTorch eager (each optional), one after another in ONE run on this machine, and prints a
table of ratios.

    python3 -m venv .venv-bench && .venv-bench/bin/pip install tensorflow-cpu torch numpy
    .venv-bench/bin/python bench/compare.py [--seconds 2] [--rounds 3] [--bin target/release/gradd]

Ratios are "gradd / peer" for throughput (higher is better) and "gradd time / peer time" for
step times (lower is better). This machine is shared and noisy: compare ratios, not absolutes.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

# Older OpenBLAS builds need OPENBLAS_CORETYPE here, but it slows a current numpy: drop it for
# this process only (see the machine notes), then re-exec so numpy sees the clean environment.
if os.environ.get("OPENBLAS_CORETYPE") and not os.environ.get("GRADD_BENCH_REEXEC"):
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    env["GRADD_BENCH_REEXEC"] = "1"
    os.execve(sys.executable, [sys.executable] + sys.argv, env)

import numpy as np  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def median_time(fn, budget):
    fn()
    samples, start = [], time.perf_counter()
    while len(samples) < 5 or (time.perf_counter() - start < budget and len(samples) < 100000):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)


def data(n, seed):
    i = np.arange(n, dtype=np.uint64)
    return ((i * 2654435761 + seed) % 2000).astype(np.float32) / 1000.0 - 1.0


def numpy_workloads(budget):
    out = {}
    for n in (256, 1024, 2048):
        a, b = data(n * n, 1).reshape(n, n), data(n * n, 2).reshape(n, n)
        c = np.empty((n, n), np.float32)
        out[f"matmul_f32_{n}"] = median_time(lambda: np.matmul(a, b, out=c), budget)
    n = 16 << 20
    a, b, c = data(n, 1), data(n, 2), np.empty(n, np.float32)
    out["add_f32_16M"] = median_time(lambda: np.add(a, b, out=c), budget)
    out["memcpy_f32_16M"] = median_time(lambda: np.copyto(c, a), budget)
    for label, n in (("1M", 1 << 20), ("16M", 16 << 20)):
        a, c = data(n, 3), np.empty(n, np.float32)
        out[f"exp_f32_{label}"] = median_time(lambda: np.exp(a, out=c), budget)
        out[f"tanh_f32_{label}"] = median_time(lambda: np.tanh(a, out=c), budget)
        out[f"sum_f32_{label}"] = median_time(lambda: a.sum(), budget)
    return out


def tf_workloads(budget):
    try:
        import tensorflow as tf
    except ImportError:
        return None, None
    out = {}
    for n in (256, 1024, 2048):
        a = tf.constant(data(n * n, 1).reshape(n, n))
        b = tf.constant(data(n * n, 2).reshape(n, n))
        out[f"matmul_f32_{n}"] = median_time(lambda: tf.linalg.matmul(a, b).numpy(), budget)
    n = 16 << 20
    a, b = tf.constant(data(n, 1)), tf.constant(data(n, 2))
    out["add_f32_16M"] = median_time(lambda: tf.add(a, b)._datatype_enum(), budget)
    for label, n in (("1M", 1 << 20), ("16M", 16 << 20)):
        a = tf.constant(data(n, 3))
        out[f"exp_f32_{label}"] = median_time(lambda: tf.math.exp(a)._datatype_enum(), budget)
        out[f"tanh_f32_{label}"] = median_time(lambda: tf.math.tanh(a)._datatype_enum(), budget)
        out[f"sum_f32_{label}"] = median_time(lambda: tf.reduce_sum(a).numpy(), budget)

    # The seed cell, as in the notebook (variables exist; each step: tape, forward, gradient).
    w = tf.Variable(tf.random.normal((3, 2), seed=1), name="w")
    bb = tf.Variable(tf.zeros(2, dtype=tf.float32), name="b")
    x = tf.constant([[1.0, 2.0, 3.0]])

    def seed():
        with tf.GradientTape() as tape:
            y = x @ w + bb
            loss = tf.reduce_mean(y ** 2)
        return tape.gradient(loss, [w, bb])

    out["engine_seed_cell"] = median_time(seed, budget)

    def init(shape, fan_in):
        lim = 1.0 / np.sqrt(fan_in)
        return tf.Variable(tf.random.uniform(shape, -lim, lim, seed=2))

    w1, b1 = init((784, 512), 784), tf.Variable(tf.zeros(512))
    w2, b2 = init((512, 512), 512), tf.Variable(tf.zeros(512))
    w3, b3 = init((512, 10), 512), tf.Variable(tf.zeros(10))
    xb = tf.constant((np.arange(128 * 784) % 255).reshape(128, 784).astype(np.float32) / 255.0)
    labels = tf.constant(np.arange(128) % 10, dtype=tf.int64)
    params = [w1, b1, w2, b2, w3, b3]

    def mlp():
        with tf.GradientTape() as tape:
            h = tf.nn.relu(tf.nn.bias_add(xb @ w1, b1))
            h = tf.nn.relu(tf.nn.bias_add(h @ w2, b2))
            logits = tf.nn.bias_add(h @ w3, b3)
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits))
        return tape.gradient(loss, params)

    out["engine_mlp128_step"] = median_time(mlp, budget)
    return out, tf.__version__


def torch_workloads(budget):
    try:
        import torch
    except ImportError:
        return None, None
    torch.set_grad_enabled(False)
    out = {}
    for n in (256, 1024, 2048):
        a = torch.from_numpy(data(n * n, 1).reshape(n, n))
        b = torch.from_numpy(data(n * n, 2).reshape(n, n))
        c = torch.empty(n, n)
        out[f"matmul_f32_{n}"] = median_time(lambda: torch.matmul(a, b, out=c), budget)
    n = 16 << 20
    a, b, c = torch.from_numpy(data(n, 1)), torch.from_numpy(data(n, 2)), torch.empty(n)
    out["add_f32_16M"] = median_time(lambda: torch.add(a, b, out=c), budget)
    out["memcpy_f32_16M"] = median_time(lambda: c.copy_(a), budget)
    for label, n in (("1M", 1 << 20), ("16M", 16 << 20)):
        a, c = torch.from_numpy(data(n, 3)), torch.empty(n)
        out[f"exp_f32_{label}"] = median_time(lambda: torch.exp(a, out=c), budget)
        out[f"tanh_f32_{label}"] = median_time(lambda: torch.tanh(a, out=c), budget)
        out[f"sum_f32_{label}"] = median_time(lambda: a.sum(), budget)
    torch.set_grad_enabled(True)

    w = torch.randn(3, 2, requires_grad=True)
    bb = torch.zeros(2, requires_grad=True)
    x = torch.tensor([[1.0, 2.0, 3.0]])

    def seed():
        y = x @ w + bb
        loss = (y ** 2).mean()
        return torch.autograd.grad(loss, [w, bb])

    out["engine_seed_cell"] = median_time(seed, budget)

    def init(shape, fan_in):
        lim = 1.0 / np.sqrt(fan_in)
        return (torch.rand(*shape) * 2 * lim - lim).requires_grad_()

    w1, b1 = init((784, 512), 784), torch.zeros(512, requires_grad=True)
    w2, b2 = init((512, 512), 512), torch.zeros(512, requires_grad=True)
    w3, b3 = init((512, 10), 512), torch.zeros(10, requires_grad=True)
    xb = torch.from_numpy((np.arange(128 * 784) % 255).reshape(128, 784).astype(np.float32) / 255.0)
    labels = torch.from_numpy(np.arange(128) % 10)
    params = [w1, b1, w2, b2, w3, b3]

    def mlp():
        h = torch.relu(xb @ w1 + b1)
        h = torch.relu(h @ w2 + b2)
        logits = h @ w3 + b3
        loss = torch.nn.functional.cross_entropy(logits, labels)
        return torch.autograd.grad(loss, params)

    out["engine_mlp128_step"] = median_time(mlp, budget)
    return out, torch.__version__


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=2.0, help="time per workload")
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "gradd"))
    ap.add_argument("--json", help="also write all figures to this file")
    ap.add_argument("--rounds", type=int, default=1,
                    help="time every engine this many times (alternating order) and report medians")
    args = ap.parse_args()
    if not os.path.exists(args.bin):
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)

    def run_gradd(budget):
        raw = subprocess.run([args.bin, "perf", "--json", "--seconds", str(budget)],
                             check=True, capture_output=True, text=True).stdout
        return {m["name"]: m for m in json.loads(raw)}

    # Each round times every engine once; odd rounds run them in reverse order, so a burst of
    # load from a neighbour lands on different engines in different rounds. The figures are
    # per-workload medians over the rounds.
    engines = [("gradd", lambda b: (run_gradd(b), None)), ("numpy", lambda b: (numpy_workloads(b), None)),
               ("tf", tf_workloads), ("torch", torch_workloads)]
    rounds = {name: [] for name, _ in engines}
    versions = {}
    for r in range(args.rounds):
        for name, fn in (engines if r % 2 == 0 else engines[::-1]):
            res, version = fn(args.seconds)
            if res is not None:
                rounds[name].append(res)
            versions[name] = version

    def med(results):
        if not results:
            return None
        return {k: statistics.median(r[k] for r in results) for k in results[0]}

    gradd = rounds["gradd"][0]
    for name, m in gradd.items():
        m["seconds"] = statistics.median(r[name]["seconds"] for r in rounds["gradd"])
    npy, tfw, thw = med(rounds["numpy"]), med(rounds["tf"]), med(rounds["torch"])
    tf_version, torch_version = versions.get("tf"), versions.get("torch")

    def rate(name, secs):
        m = gradd[name]
        if m["unit"] == "GFLOP/s":
            return m["work"] / secs / 1e9
        if m["unit"] == "GB/s":
            return m["work"] / secs / 1e9
        return None

    print(f"machine: {os.cpu_count()} cpus; numpy {np.__version__}; tensorflow {tf_version or 'not installed'}; "
          f"torch {torch_version or 'not installed'}; medians of {args.rounds} round(s)")
    hdr = (f"{'workload':<20} {'unit':>12} {'gradd':>10} {'numpy':>10} {'tf':>10} {'torch':>10} "
           f"{'gradd/np':>9} {'gradd/tf':>9} {'gradd/pt':>9}")
    print(hdr)
    print("-" * len(hdr))
    rows = []
    for name, m in gradd.items():
        g = m["seconds"]
        n_t = npy.get(name)
        t_t = (tfw or {}).get(name)
        p_t = (thw or {}).get(name)
        if m["unit"] in ("GFLOP/s", "GB/s"):
            cols = [rate(name, g)] + [rate(name, v) if v else None for v in (n_t, t_t, p_t)]
            ratio = lambda peer: (cols[0] / peer) if peer else None  # noqa: E731
            r_np, r_tf, r_pt = ratio(cols[1]), ratio(cols[2]), ratio(cols[3])
            unit = m["unit"]
        else:
            scale = 1e6 if m["unit"] == "us" else 1e3
            cols = [g * scale] + [v * scale if v else None for v in (n_t, t_t, p_t)]
            r_np = None
            r_tf = (g / t_t) if t_t else None
            r_pt = (g / p_t) if p_t else None
            unit = m["unit"] + " (time)"
        fmt = lambda v: f"{v:10.2f}" if v is not None else f"{'-':>10}"  # noqa: E731
        fr = lambda v: f"{v:8.2f}x" if v is not None else f"{'-':>9}"  # noqa: E731
        print(f"{name:<20} {unit:>12} {fmt(cols[0])} {fmt(cols[1])} {fmt(cols[2])} {fmt(cols[3])} "
              f"{fr(r_np)} {fr(r_tf)} {fr(r_pt)}")
        rows.append({"name": name, "unit": unit, "gradd": cols[0], "numpy": cols[1], "tf": cols[2],
                     "torch": cols[3], "gradd_over_numpy": r_np, "gradd_over_tf": r_tf, "gradd_over_torch": r_pt})
    add, cp = gradd["add_f32_16M"], gradd["memcpy_f32_16M"]
    bw = lambda m: m["work"] / m["seconds"] / 1e9  # noqa: E731
    print(f"\nadd 16M vs memcpy 16M (gradd, same run): {bw(add):.1f} / {bw(cp):.1f} GB/s = {bw(add) / bw(cp):.2f}x")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"rows": rows, "tf": tf_version, "numpy": np.__version__}, f, indent=1)


if __name__ == "__main__":
    main()
