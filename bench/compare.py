#!/usr/bin/env python3
"""Runs the same workloads in gradd (in-process, `gradd perf --json`), numpy, TensorFlow eager
and PyTorch eager (each optional, if installed) in ONE run on this machine, and prints a table
of ratios.

    python3 -m venv .venv-bench && .venv-bench/bin/pip install tensorflow-cpu torch numpy
    .venv-bench/bin/python bench/compare.py [--seconds 2] [--rounds 3] [--only matmul,exp]

Each workload is timed on every engine back to back (gradd through one `gradd perf --only`
call), then the next workload; with --rounds N the whole pass repeats N times, alternating the
engine order. Ratios are "gradd / peer" for throughput (higher is better) and "gradd time /
peer time" for step times (lower is better), given two ways: the median over rounds of each
round's paired ratio, and the ratio of the fastest timings seen. This machine is shared and
noisy: compare ratios, not absolutes.
"""
import argparse
import contextlib
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


def time_stats(fn, budget):
    """(median, best) seconds per call of fn, run for about `budget` seconds after a warm-up."""
    fn()
    samples, start = [], time.perf_counter()
    while len(samples) < 5 or (time.perf_counter() - start < budget and len(samples) < 100000):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return statistics.median(samples), min(samples)


def data(n, seed):
    i = np.arange(n, dtype=np.uint64)
    return ((i * 2654435761 + seed) % 2000).astype(np.float32) / 1000.0 - 1.0


# Each engine's workloads are set up once and returned as {name: callable or (callable, context
# manager factory entered around its timing)}; the callables bind their operands through default
# arguments, since the loops rebind the names.


def numpy_workloads():
    out = {}
    for n in (256, 1024, 2048):
        a, b = data(n * n, 1).reshape(n, n), data(n * n, 2).reshape(n, n)
        c = np.empty((n, n), np.float32)
        out[f"matmul_f32_{n}"] = lambda a=a, b=b, c=c: np.matmul(a, b, out=c)
    n = 16 << 20
    a, b, c = data(n, 1), data(n, 2), np.empty(n, np.float32)
    out["add_f32_16M"] = lambda a=a, b=b, c=c: np.add(a, b, out=c)
    out["memcpy_f32_16M"] = lambda a=a, c=c: np.copyto(c, a)
    for label, n in (("1M", 1 << 20), ("16M", 16 << 20)):
        a, c = data(n, 3), np.empty(n, np.float32)
        out[f"exp_f32_{label}"] = lambda a=a, c=c: np.exp(a, out=c)
        out[f"tanh_f32_{label}"] = lambda a=a, c=c: np.tanh(a, out=c)
        out[f"sum_f32_{label}"] = lambda a=a: a.sum()
    return out, np.__version__


def tf_workloads():
    try:
        import tensorflow as tf
    except ImportError:
        return None, None
    out = {}
    for n in (256, 1024, 2048):
        a = tf.constant(data(n * n, 1).reshape(n, n))
        b = tf.constant(data(n * n, 2).reshape(n, n))
        out[f"matmul_f32_{n}"] = lambda a=a, b=b: tf.linalg.matmul(a, b).numpy()
    n = 16 << 20
    a, b = tf.constant(data(n, 1)), tf.constant(data(n, 2))
    out["add_f32_16M"] = lambda a=a, b=b: tf.add(a, b)._datatype_enum()
    for label, n in (("1M", 1 << 20), ("16M", 16 << 20)):
        a = tf.constant(data(n, 3))
        out[f"exp_f32_{label}"] = lambda a=a: tf.math.exp(a)._datatype_enum()
        out[f"tanh_f32_{label}"] = lambda a=a: tf.math.tanh(a)._datatype_enum()
        out[f"sum_f32_{label}"] = lambda a=a: tf.reduce_sum(a).numpy()

    # The seed cell, as in the notebook (variables exist; each step: tape, forward, gradient).
    w = tf.Variable(tf.random.normal((3, 2), seed=1), name="w")
    bb = tf.Variable(tf.zeros(2, dtype=tf.float32), name="b")
    x = tf.constant([[1.0, 2.0, 3.0]])

    def seed():
        with tf.GradientTape() as tape:
            y = x @ w + bb
            loss = tf.reduce_mean(y ** 2)
        return tape.gradient(loss, [w, bb])

    out["engine_seed_cell"] = seed

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

    out["engine_mlp128_step"] = mlp
    return out, tf.__version__


def torch_workloads():
    try:
        import torch
    except ImportError:
        return None, None

    @contextlib.contextmanager
    def one_thread():
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            yield
        finally:
            torch.set_num_threads(threads)

    out = {}
    for n in (256, 1024, 2048):
        a = torch.from_numpy(data(n * n, 1).reshape(n, n))
        b = torch.from_numpy(data(n * n, 2).reshape(n, n))
        c = torch.empty(n, n)
        out[f"matmul_f32_{n}"] = lambda a=a, b=b, c=c: torch.matmul(a, b, out=c)
        out[f"matmul1t_f32_{n}"] = (lambda a=a, b=b, c=c: torch.matmul(a, b, out=c), one_thread)
    n = 16 << 20
    a, b, c = torch.from_numpy(data(n, 1)), torch.from_numpy(data(n, 2)), torch.empty(n)
    out["add_f32_16M"] = lambda a=a, b=b, c=c: torch.add(a, b, out=c)
    out["memcpy_f32_16M"] = lambda a=a, c=c: c.copy_(a)
    for label, n in (("1M", 1 << 20), ("16M", 16 << 20)):
        a, c = torch.from_numpy(data(n, 3)), torch.empty(n)
        out[f"exp_f32_{label}"] = lambda a=a, c=c: torch.exp(a, out=c)
        out[f"tanh_f32_{label}"] = lambda a=a, c=c: torch.tanh(a, out=c)
        out[f"sum_f32_{label}"] = lambda a=a: a.sum()

    w = torch.randn(3, 2, requires_grad=True)
    bb = torch.zeros(2, requires_grad=True)
    x = torch.tensor([[1.0, 2.0, 3.0]])

    def seed():
        y = x @ w + bb
        loss = (y ** 2).mean()
        return torch.autograd.grad(loss, [w, bb])

    out["engine_seed_cell"] = seed

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

    out["engine_mlp128_step"] = mlp
    return out, torch.__version__


# Workloads timed together: `gradd perf` times add and memcpy in one call (their ratio is one of
# the criteria), every other workload alone.
GROUPS = [["matmul_f32_256"], ["matmul_f32_1024"], ["matmul_f32_2048"],
          ["matmul1t_f32_256"], ["matmul1t_f32_1024"], ["matmul1t_f32_2048"], ["add_f32_16M", "memcpy_f32_16M"],
          ["exp_f32_1M"], ["tanh_f32_1M"], ["sum_f32_1M"], ["exp_f32_16M"], ["tanh_f32_16M"], ["sum_f32_16M"],
          ["engine_seed_cell"], ["engine_mlp128_step"]]
PEERS = ["numpy", "tf", "torch"]


def timed(workload, budget):
    fn, ctx = workload if isinstance(workload, tuple) else (workload, contextlib.nullcontext)
    with ctx():
        return time_stats(fn, budget)


def speedup(name, gradd_s, peer_s):
    """gradd / peer as the table reads it: throughput ratio (higher is better) for kernels, time
    ratio (lower is better) for the engine steps."""
    return gradd_s / peer_s if name.startswith("engine_") else peer_s / gradd_s


def summarize(name, samples):
    """samples: {engine: [(median_s, best_s) per round]}, rounds paired by index. Returns each
    engine's median seconds (median of its round medians) and best seconds, and for each peer the
    median of the per-round ratios (each from two timings taken seconds apart, so a slow spell
    hits both sides of the same ratio more often than under a whole-suite-per-engine order) and
    the ratio of bests (noise on a shared machine only ever adds time)."""
    out = {}
    for engine, rs in samples.items():
        out[engine] = {"median_s": statistics.median(m for m, _ in rs), "best_s": min(b for _, b in rs)}
    g = samples.get("gradd")
    for peer in PEERS:
        p = samples.get(peer)
        if not g or not p:
            continue
        pairs = list(zip(g, p))
        out[peer]["ratio_median"] = statistics.median(speedup(name, gm, pm) for (gm, _), (pm, _) in pairs)
        out[peer]["ratio_best"] = speedup(name, out["gradd"]["best_s"], out[peer]["best_s"])
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=2.0, help="time per workload, engine and round")
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "gradd"))
    ap.add_argument("--json", help="also write all figures to this file")
    ap.add_argument("--rounds", type=int, default=1,
                    help="time every workload this many times on every engine (alternating order)")
    ap.add_argument("--only", default="",
                    help="comma-separated parts of workload names to run (e.g. matmul,exp); all when empty")
    args = ap.parse_args()
    if not os.path.exists(args.bin):
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    parts = [p.strip() for p in args.only.split(",") if p.strip()]
    groups = [g for g in GROUPS if not parts or any(p in n for n in g for p in parts)]

    def run_gradd(names):
        raw = subprocess.run([args.bin, "perf", "--json", "--seconds", str(args.seconds), "--only", ",".join(names)],
                             check=True, capture_output=True, text=True).stdout
        got = {m["name"]: m for m in json.loads(raw)}
        return {n: (got[n]["seconds"], got[n]["best_seconds"]) for n in names}, got

    peers, versions = {}, {}
    for name, setup in (("numpy", numpy_workloads), ("tf", tf_workloads), ("torch", torch_workloads)):
        fns, version = setup()
        if fns is not None:
            peers[name] = fns
            versions[name] = version
    engines = ["gradd"] + [p for p in PEERS if p in peers]

    # Every workload is timed on every engine back to back, round after round, the order
    # reversed on alternate turns; so each ratio compares timings taken seconds apart.
    samples = {n: {} for g in groups for n in g}
    meta = {}
    for r in range(args.rounds):
        for i, group in enumerate(groups):
            for engine in (engines if (r + i) % 2 == 0 else engines[::-1]):
                if engine == "gradd":
                    times, got = run_gradd(group)
                    meta.update(got)
                else:
                    times = {n: timed(peers[engine][n], args.seconds) for n in group if n in peers[engine]}
                for n, t in times.items():
                    samples[n].setdefault(engine, []).append(t)

    print(f"machine: {os.cpu_count()} cpus; numpy {np.__version__}; tensorflow {versions.get('tf', 'not installed')}; "
          f"torch {versions.get('torch', 'not installed')}; {args.rounds} round(s), {args.seconds} s per timing")
    print("gradd / peer: throughput ratio for kernels (higher is better), time ratio for engine steps (lower is "
          "better);\nmed = median of the per-round paired ratios, best = ratio of the fastest timings\n")
    hdr = (f"{'workload':<20} {'unit':>8} {'gradd':>9} {'numpy':>9} {'tf':>9} {'torch':>9} "
           f"{'/np med':>8} {'/tf med':>8} {'/pt med':>8} {'/pt best':>8}")
    print(hdr)
    print("-" * len(hdr))
    rows = []
    for name, engine_samples in samples.items():
        s = summarize(name, engine_samples)
        m = meta[name]
        if m["unit"] in ("GFLOP/s", "GB/s"):
            value = lambda secs: m["work"] / secs / 1e9  # noqa: E731
            unit = m["unit"]
        else:
            scale = 1e6 if m["unit"] == "us" else 1e3
            value = lambda secs: secs * scale  # noqa: E731
            unit = m["unit"] + " time"
        vals = {e: value(s[e]["median_s"]) if e in s else None for e in ["gradd"] + PEERS}
        ratio = lambda e, k: s.get(e, {}).get(k)  # noqa: E731
        fmt = lambda v: f"{v:9.2f}" if v is not None else f"{'-':>9}"  # noqa: E731
        fr = lambda v: f"{v:7.2f}x" if v is not None else f"{'-':>8}"  # noqa: E731
        print(f"{name:<20} {unit:>8} {fmt(vals['gradd'])} {fmt(vals['numpy'])} {fmt(vals['tf'])} "
              f"{fmt(vals['torch'])} {fr(ratio('numpy', 'ratio_median'))} {fr(ratio('tf', 'ratio_median'))} "
              f"{fr(ratio('torch', 'ratio_median'))} {fr(ratio('torch', 'ratio_best'))}")
        rows.append({"name": name, "unit": unit, **{e: vals[e] for e in vals},
                     **{f"gradd_over_{e}_{k}": ratio(e, f"ratio_{k}") for e in PEERS for k in ("median", "best")}})
    if "add_f32_16M" in samples and "gradd" in samples["add_f32_16M"]:
        adds, cps = samples["add_f32_16M"]["gradd"], samples["memcpy_f32_16M"]["gradd"]
        # Bytes per second: add moves 12 bytes per element, memcpy 8.
        med = statistics.median((12 / a) / (8 / c) for (a, _), (c, _) in zip(adds, cps))
        best = (12 / min(b for _, b in adds)) / (8 / min(b for _, b in cps))
        print(f"\nadd 16M vs memcpy 16M bandwidth (gradd, same calls): median of rounds {med:.2f}x, best {best:.2f}x")
        # gradd's memcpy is one thread's copy_from_slice; PyTorch's copy_ uses both cores, so it
        # is the stricter memcpy figure when present.
        pt = samples["memcpy_f32_16M"].get("torch")
        if pt:
            add_bw = 12 / statistics.median(a for a, _ in adds)
            pt_bw = 8 / statistics.median(c for c, _ in pt)
            print(f"add 16M (gradd) vs PyTorch's two-thread copy_ 16M bandwidth, medians: {add_bw / pt_bw:.2f}x")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"rows": rows, "versions": versions, "rounds": args.rounds, "seconds": args.seconds}, f, indent=1)


if __name__ == "__main__":
    main()
