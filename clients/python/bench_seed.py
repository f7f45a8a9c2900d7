#!/usr/bin/env python3
"""Times the seed notebook's first cell per iteration: through gradd, in TensorFlow eager
in-process (when tensorflow is importable), and a bare KeepAlive round trip as the floor.

    python clients/python/bench_seed.py [--addr HOST:PORT] [--iters N] [--warmup N]

Each gradd iteration: new tape, forward (x @ w + b, reduce_mean(y**2)), gradient w.r.t. [w, b],
.numpy() of both gradients -- one Run round trip.
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def seed_cell(tf, w, b, x):
    with tf.GradientTape() as tape:
        y = x @ w + b
        loss = tf.reduce_mean(y**2)
    dl_dw, dl_db = tape.gradient(loss, [w, b])
    return dl_dw.numpy(), dl_db.numpy()


def time_interleaved(fns, iters, warmup, block=25):
    """Times each of `fns` `iters` times, in alternating blocks of `block` calls, so that all
    of them see the same machine (this one is shared and noisy); returns a list of times per
    function."""
    for fn in fns:
        for _ in range(warmup):
            fn()
    times = [[] for _ in fns]
    done = 0
    while done < iters:
        n = min(block, iters - done)
        for fn, ts in zip(fns, times):
            for _ in range(n):
                t0 = time.perf_counter()
                fn()
                ts.append(time.perf_counter() - t0)
        done += n
    return times


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--addr", default=os.environ.get("GRADD_ADDR", "localhost:50051"))
    ap.add_argument("--iters", type=int, default=500)
    ap.add_argument("--warmup", type=int, default=50)
    args = ap.parse_args()

    import gradd
    w0 = np.random.default_rng(0).normal(size=(3, 2)).astype(np.float32)
    tf = None
    try:
        import tensorflow as tf  # optional: not a dependency of gradd
    except ImportError:
        note = "tensorflow not importable: TF eager row skipped"
    else:
        note = f"tensorflow {tf.__version__} eager, in-process, CPU"
    with gradd.Session(args.addr) as session:
        w = gradd.Variable(w0, name="w")
        b = gradd.Variable(gradd.zeros(2), name="b")
        x = [[1.0, 2.0, 3.0]]
        ref = seed_cell(gradd, w, b, x)
        fns = [lambda: seed_cell(gradd, w, b, x), session.keep_alive]
        names = ["gradd seed cell", "bare round trip (KeepAlive)"]
        if tf is not None:
            tw = tf.Variable(w0, name="w")
            tb = tf.Variable(tf.zeros(2, dtype=tf.float32), name="b")
            tx = tf.constant([[1.0, 2.0, 3.0]])
            got = seed_cell(tf, tw, tb, tx)
            np.testing.assert_allclose(got[0], ref[0], rtol=1e-4, atol=1e-5)
            fns.append(lambda: seed_cell(tf, tw, tb, tx))
            names.append("tensorflow eager seed cell")
        runs0 = session.run_count
        times = time_interleaved(fns, args.iters, args.warmup)
        runs_per_iter = (session.run_count - runs0) / (args.iters + args.warmup)
    rows = list(zip(names, times))
    t_tf = times[2] if tf is not None else None

    med = {name: statistics.median(t) * 1e6 for name, t in rows}
    print(f"seed cell, {args.iters} iterations each after {args.warmup} warm-up, interleaved in blocks "
          f"of 25; server {args.addr}")
    print(f"gradd: {runs_per_iter:.2f} Run round trips per iteration; {note}")
    print(f"{'':32} {'median us':>10} {'p90 us':>10}")
    for name, t in rows:
        p90 = float(np.percentile(t, 90)) * 1e6
        print(f"{name:32} {med[name]:10.1f} {p90:10.1f}")
    g = med["gradd seed cell"]
    print(f"{'ratio gradd / bare round trip':32} {g / med['bare round trip (KeepAlive)']:10.2f}")
    if t_tf is not None:
        print(f"{'ratio gradd / tensorflow eager':32} {g / med['tensorflow eager seed cell']:10.2f}")
    else:
        print(f"{'ratio gradd / tensorflow eager':32} {'n/a':>10}  ({note})")


if __name__ == "__main__":
    main()
