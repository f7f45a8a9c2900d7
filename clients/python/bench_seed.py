#!/usr/bin/env python3
"""Times the seed notebook's first cell per iteration: through gradd, in TensorFlow eager
(when tensorflow is importable), and a bare KeepAlive round trip as the floor, and prints the
ratios.

    python clients/python/bench_seed.py [--addr HOST:PORT] [--iters N] [--warmup N]

Each gradd iteration: new tape, forward (x @ w + b, reduce_mean(y**2)), gradient w.r.t. [w, b],
.numpy() of both gradients -- one Run round trip.

The server is whatever runs at --addr: `gradd serve` as deployed by default, or `gradd serve
--busy-poll 1000` for the lowest latency of an interactive client (README: it spends a CPU core
while requests come in); the README's performance table has both.

TensorFlow runs in a worker process of its own (started from this script, eager, in-process
there), in blocks that alternate with the gradd blocks, so both see the same machine. It does
not share this process: TensorFlow's thread pools keep spinning after each op and, on a small
machine, slowed gradd's client, its server and the KeepAlive floor by 1.5-1.8x when they did.
Each block is followed by a short pause for the same reason.

A fourth row, "Run replay", sends the bytes of one iteration's Run request again with no client
work at all: the part of the cell's time that is the server's Run and the bigger messages,
against the KeepAlive floor. A fifth, "client work", runs the cell with its Run answered
in-process by one iteration's captured response: the client's own Python work, no network.
The cell cannot cost less than replay + client work, which is why its ratio to the KeepAlive
stays well above 1.3 on loopback.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
BLOCK = 25
# A pause after each block: thread pools that spin after work (TensorFlow's, the server's)
# go idle before the next block is timed, so no row pays for the one before it.
SETTLE = 0.02
W0 = np.random.default_rng(0).normal(size=(3, 2)).astype(np.float32)


def seed_cell(tf, w, b, x):
    with tf.GradientTape() as tape:
        y = x @ w + b
        loss = tf.reduce_mean(y**2)
    dl_dw, dl_db = tape.gradient(loss, [w, b])
    return dl_dw.numpy(), dl_db.numpy()


def timed(fn, n):
    ts = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return ts


def tf_worker():
    """The TensorFlow side: reads a block size per line, runs that many cells, writes their
    times as a JSON line. The first line it writes is its version and the cell's result."""
    import tensorflow as tf
    tw = tf.Variable(W0, name="w")
    tb = tf.Variable(tf.zeros(2, dtype=tf.float32), name="b")
    tx = tf.constant([[1.0, 2.0, 3.0]])
    got = seed_cell(tf, tw, tb, tx)
    print(json.dumps({"version": tf.__version__, "result": [g.tolist() for g in got]}),
          flush=True)
    for line in sys.stdin:
        print(json.dumps(timed(lambda: seed_cell(tf, tw, tb, tx), int(line))), flush=True)


class TfWorker:
    """A `tf_worker` process; None from `start` when tensorflow is not importable."""

    @staticmethod
    def start():
        p = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--tf-worker"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True)
        line = p.stdout.readline()
        if not line:
            p.wait()
            return None
        w = TfWorker()
        w.proc, w.hello = p, json.loads(line)
        return w

    def run(self, n):
        self.proc.stdin.write(f"{n}\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--addr", default=os.environ.get("GRADD_ADDR", "localhost:50051"))
    ap.add_argument("--iters", type=int, default=500)
    ap.add_argument("--warmup", type=int, default=50)
    ap.add_argument("--tf-worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.tf_worker:
        return tf_worker()

    import gradd
    tfw = TfWorker.start()
    note = (f"tensorflow {tfw.hello['version']} eager, CPU, in a worker process"
            if tfw else "tensorflow not importable: TF eager row skipped")
    with gradd.Session(args.addr) as session:
        w = gradd.Variable(W0, name="w")
        b = gradd.Variable(gradd.zeros(2), name="b")
        x = [[1.0, 2.0, 3.0]]
        ref = seed_cell(gradd, w, b, x)
        if tfw:
            np.testing.assert_allclose(tfw.hello["result"][0], ref[0], rtol=1e-4, atol=1e-5)
        # The bytes of one iteration's Run and of its response, captured on the way, to replay.
        send, captured = session._run_raw, []

        def capture(req, **kw):
            captured.append(req)
            captured.append(send(req, **kw))
            return captured[-1]
        session._run_raw = capture
        seed_cell(gradd, w, b, x)
        session._run_raw = send
        replay, reply = captured[-2], captured[-1]
        stubbed = [0]

        def answer_locally(req, **kw):
            stubbed[0] += 1
            return reply

        def client_work():
            # The cell with its Run answered in-process by the captured response: the client's
            # own Python work (ops, tape, encoding the Run, decoding the answer), no network.
            session._run_raw = answer_locally
            try:
                seed_cell(gradd, w, b, x)
            finally:
                session._run_raw = send
        fns = [lambda: seed_cell(gradd, w, b, x), session.keep_alive,
               lambda: send(replay, timeout=session.timeout), client_work]
        names = ["gradd seed cell", "bare round trip (KeepAlive)", "Run replay (no client work)",
                 "client work (Run stubbed out)"]
        times = [[] for _ in fns]
        tf_times = []
        runs0 = session.run_count
        for fn in fns:
            timed(fn, args.warmup)
        if tfw:
            tfw.run(args.warmup)
        done = 0
        while done < args.iters:
            n = min(BLOCK, args.iters - done)
            for fn, ts in zip(fns, times):
                ts += timed(fn, n)
                time.sleep(SETTLE)
            if tfw:
                tf_times += tfw.run(n)
                time.sleep(SETTLE)
            done += n
        runs = session.run_count - runs0 - stubbed[0]
        runs_per_iter = runs / (args.iters + args.warmup)
    if tfw:
        tfw.close()
        names.append("tensorflow eager seed cell")
        times.append(tf_times)

    med = {name: statistics.median(t) * 1e6 for name, t in zip(names, times)}
    print(f"seed cell, {args.iters} iterations each after {args.warmup} warm-up, interleaved in "
          f"blocks of {BLOCK}; server {args.addr}")
    print(f"gradd: {runs_per_iter:.2f} Run round trips per iteration; {note}")
    print(f"{'':32} {'median us':>10} {'p90 us':>10}")
    for name, t in zip(names, times):
        p90 = float(np.percentile(t, 90)) * 1e6
        print(f"{name:32} {med[name]:10.1f} {p90:10.1f}")
    g, ka = med["gradd seed cell"], med["bare round trip (KeepAlive)"]
    print(f"{'ratio gradd / bare round trip':32} {g / ka:10.2f}")
    print(f"{'ratio Run replay / round trip':32} {med['Run replay (no client work)'] / ka:10.2f}")
    print(f"{'ratio client work / round trip':32} "
          f"{med['client work (Run stubbed out)'] / ka:10.2f}")
    if tfw:
        print(f"{'ratio gradd / tensorflow eager':32} {g / med['tensorflow eager seed cell']:10.2f}")
    else:
        print(f"{'ratio gradd / tensorflow eager':32} {'n/a':>10}  ({note})")


if __name__ == "__main__":
    main()
