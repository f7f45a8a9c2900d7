"""Every op of the conformance format at special input values, recorded from real TensorFlow
2.21 (tf.raw_ops, eager) in the conformance format: a companion to tf_random_programs.py, whose
inputs stay inside each op's smooth domain.

    .venv-bench/bin/python scripts/tf_special_values.py SEED [N] > /tmp/special.json
    target/release/gradd conformance /tmp/special.json

Each case runs one op under a tape (inside a persistent outer tape when an input is a float),
fetches the outputs, takes the gradient with random output_gradients (about one element in
seven an exact zero, where 0 * inf is NaN but TF's Sqrt/Rsqrt/Reciprocal gradient kernels and
Pow's mul_no_nan give 0) and, for float
inputs, a second derivative: the outer tape's gradient of sum_j <g_j, v_j> over the inner
gradients g_j. Values, for float32 and float64, N times per group with fresh random positions,
fillers and gradients:
  zero      exact +-0: Sqrt/Rsqrt/Log/Reciprocal at 0, Abs/Relu/LeakyRelu/Elu kinks, every
            binary op with a zero operand (0**0, 0**-1, 0/0, ...), Prod with one and two zeros
  nonfinite +-inf and NaN through every unary and binary op (all pairs), reductions, matmuls,
            shape ops, BiasAdd, Softmax/LogSoftmax rows holding -inf/inf/NaN, the cross
            entropies, comparisons, SelectV2 branches, ArgMax and Cast (also to int and bool)
  extreme   overflow and saturation: Exp/Square/Pow/Softplus/Mul past the largest float,
            Sigmoid/Tanh at +-50 and +-1e30, Log1p near -1, Softplus at +-100, Sum/Mean/Prod
            overflow, Softmax rows with +-1e30, cross entropies with extreme logits and labels
            that do not sum to 1, Sparse labels out of range (TF's error code)
  denormal  subnormal inputs (1e-40 / 1e-310); TF's CPU kernels flush them to zero
  denormal_lanes  the same in 13-element tensors, so subnormals sit both in the elements TF's
            vector code computes (the first n - n % 8 float32 or n - n % 4 float64) and in its
            scalar tail, which can differ there (kernels::tf_vector_len)
  ties      Maximum/Minimum with x == y (including +-0, +-inf), Max/Min reductions with repeated
            maxima, ArgMax ties
  pow       Pow's corner table: 0**0, +-0**negative, negative**non-integer, 1**inf, nan**0, ...
  empty     a 0-sized dim through every op that takes one (broadcasts to and from empty, k = 0
            matmuls, reductions of empty axes, empty gathers, tiles, slices, concats)
Tolerances are tf_random_programs.py's (float32 rtol 2e-4 atol 2e-5, float64 1e-9/1e-10).
The relative term scales with |want|, so huge finite results (1e38) compare fine; inputs sit
clearly past or short of each overflow threshold (an inf next to a finite value is a real
difference, not round-off), and no case subtracts huge values to a small result (round-off
there is eps * |operands|, far above rtol * |want|). Beware: under the format's rule an
expected +-inf accepts ANY finite value (rtol * |inf| = inf), so a finite result where TF has
+-inf passes unless the runner compares infinities exactly. Subnormal results flushed to 0 by
TF (FTZ) sit far below atol. Needs tensorflow (see tf_random_programs.py).
"""
import json, os, sys
import numpy as np
import tensorflow as tf

SEED = int(sys.argv[1]) if len(sys.argv) > 1 else 0
N = int(sys.argv[2]) if len(sys.argv) > 2 else 1
sys.argv = sys.argv[:1]
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tf_random_state as S  # noqa: E402  (the Prog recorder and the raw-op table)
from tf_random_state import Prog, F32, F64  # noqa: E402

rng = np.random.default_rng(SEED)
R = tf.raw_ops
inf, nan = np.inf, np.nan
_call = S.call


def call(op, xs, a):  # tf_random_state's table, plus LeakyRelu's alpha, batch matmul and the cross entropies
    if op == "LeakyRelu":
        return R.LeakyRelu(features=xs[0], alpha=a.get("alpha", 0.2))
    if op == "BatchMatMulV2":
        return R.BatchMatMulV2(x=xs[0], y=xs[1], adj_x=a.get("adj_x", False), adj_y=a.get("adj_y", False))
    if "CrossEntropy" in op:
        return getattr(R, op)(features=xs[0], labels=xs[1])
    return _call(op, xs, a)


S.call = call

UNARY = ["Identity", "StopGradient", "Neg", "Square", "Sqrt", "Rsqrt", "Reciprocal", "Exp", "Log", "Log1p", "Abs",
         "Sin", "Cos", "Tanh", "Sigmoid", "Relu", "LeakyRelu", "Elu", "Softplus", "Tan", "Atan", "Asin", "Acos",
         "Sinh", "Cosh", "Expm1", "Erf", "Erfc", "Ceil", "Round", "Floor"]
BINARY = ["AddV2", "Sub", "Mul", "RealDiv", "Pow", "Maximum", "Minimum", "SquaredDifference"]
NONFIN = [inf, -inf, nan]
SPEC = [inf, -inf, nan, 0.0, -0.0]


def K(dt):
    """Per-dtype magnitudes: B near the largest float, H with H*H overflowing, L large, s small
    normal (s*s underflows), X just below and O past Exp's overflow, t subnormal."""
    if dt == F32:
        return dict(B=3e38, H=2e19, L=1e30, s=1e-30, X=88.5, O=89.0, t=1e-40, near=-0.99999994)
    return dict(B=1e308, H=2e154, L=1e300, s=1e-300, X=709.0, O=710.0, t=1e-310, near=-1 + 1e-15)


def reg(n, lo=-2.0, hi=2.0):
    return list(rng.uniform(lo, hi, n))


def vec(dt, specials, extra=2, lo=-2.0, hi=2.0):
    """The special values plus `extra` regular ones, shuffled, as (n,) or (2, n/2)."""
    v = np.array(list(specials) + reg(extra, lo, hi), dtype=dt)[rng.permutation(len(specials) + extra)]
    return v.reshape(2, -1) if len(v) % 2 == 0 and rng.random() < 0.5 else v


def fill(s, dt, pool=SPEC, frac=0.4):
    """Regular values with about `frac` of them (at least one) replaced from `pool`."""
    a = rng.uniform(-2, 2, size=s)
    if a.size and pool:
        m = rng.random(s) < frac
        m.flat[int(rng.integers(0, a.size))] = True
        a = np.where(m, rng.choice(np.array(pool, dtype=np.float64), size=s), a)
    return a.astype(dt)


def pairs(dt, ps, both=True):
    """Two equal-shape inputs holding the pairs (and, with `both`, the swapped pairs)."""
    ps = list(ps) + ([(b, a) for a, b in ps] if both else [])
    ps = [ps[i] for i in rng.permutation(len(ps))]
    x, y = np.array([a for a, _ in ps], dt), np.array([b for _, b in ps], dt)
    if len(ps) % 2 == 0 and rng.random() < 0.5:
        x, y = x.reshape(2, -1), y.reshape(2, -1)
    return [x, y]


def ograd(shape, dt):
    g = rng.uniform(-1, 1, size=shape)
    g = np.where(rng.random(shape) < 0.15, 0.0, g)
    return np.asarray(g).astype(dt)


CASES = []


def run(op, cls, xs, attrs=None, second=True):
    """Records one op on inputs `xs`: forward, gradient and (float inputs) second derivative."""
    dt = next((x.dtype.type for x in xs if x.dtype.kind == "f"), F32)
    p = Prog(f"special/{op}/{cls}/{dt.__name__}/{len(CASES)}", f"{op} at {cls} values", dt)
    names = [p.const(f"x{j}", x) for j, x in enumerate(xs)]
    fl = [n for n, x in zip(names, xs) if x.dtype.kind == "f"]
    second = second and bool(fl)
    if second:
        p.tape("o", True); p.watch("o", fl)
    p.tape("t", False)
    if fl:
        p.watch("t", fl)
    outs = ["y0", "y1"] if "CrossEntropy" in op else ["y0"]
    ok = p.op(op, names, attrs or {}, outs)
    p.stop("t")
    gs = None
    if ok is not None:
        p.fetch(outs)
        y = p.env["y0"]
        if fl and y.dtype.is_floating:
            og = ograd(tuple(y.shape), y.dtype.as_numpy_dtype)
            gs = p.grad("t", ["y0"], fl, og=[og], outputs=[f"g{j}" for j in range(len(fl))])
    if second:
        acc = None
        for j, g in enumerate(gs or []):
            if g is None:
                continue
            p.const(f"v{j}", rng.uniform(-1, 1, size=tuple(g.shape)).astype(g.dtype.as_numpy_dtype))
            s = p.op("Sum", [p.op("Mul", [f"g{j}", f"v{j}"])], {"keep_dims": False})
            acc = s if acc is None else p.op("AddV2", [acc, s])
        p.stop("o")
        if acc is not None:
            p.grad("o", [acc], fl)
    CASES.append(p.case())


def unary_cases(dt):
    k = K(dt); B, H, L, s, X, O, t = (k[c] for c in "BHLsXOt")
    ext = {"Square": [H, -H, s, 1e19 if dt == F32 else 1e150], "Exp": [X, O, 100 if dt == F32 else 800, -X, -O, -104 if dt == F32 else -750],
           "Softplus": [-100, 100, X, O, 13.9, 14.0, -14.0, L, -L], "Sigmoid": [50, -50, 100, -100, X, -O, 17.0, L, -L],
           "Tanh": [50, -50, 20, 9, L, -L, 1e-10], "Log1p": [-1.0, k["near"], -1.5, L, 1e-10, -1e-10],
           "Sqrt": [s, L, B, -1.0], "Rsqrt": [s, L, B, -1.0], "Reciprocal": [s, -s, L, B], "Log": [s, B, -1.0, L],
           "Sin": [L, -L, 1e10, 1e5, B], "Cos": [L, -L, 1e10, 1e5, B], "Elu": [-100, -L, 100, B, -B]}
    pos = ("Sqrt", "Rsqrt", "Log", "Reciprocal", "Log1p")
    for op in UNARY:
        lo = 0.2 if op in pos else -2.0
        attrs = {"alpha": float(rng.choice([0.2, 0.1, 0.0, 1.0, 1.5]))} if op == "LeakyRelu" else {}
        run(op, "zero", [vec(dt, [0.0, -0.0], 2, lo)], attrs)
        run(op, "nonfinite", [vec(dt, NONFIN, 1, lo)], attrs)
        run(op, "extreme", [vec(dt, ext.get(op, [B, -B, L, -L]), 1, lo)], attrs)
        run(op, "denormal", [vec(dt, [t, -t], 2, lo)], attrs)
        # 13 elements: TF's vector lanes (8 float32 / 4 float64 at a time) and its scalar tail.
        run(op, "denormal_lanes", [vec(dt, [t, -t, t, -t, t, -t], 7, lo)], attrs)
        run(op, "empty", [np.zeros([(0,), (2, 0), (0, 3, 1)][int(rng.integers(0, 3))], dt)], attrs)


def binary_cases(dt):
    k = K(dt); B, H, L, s, t = (k[c] for c in "BHLst")
    R3 = [round(v, 1) for v in reg(2, -3, 3)] + [2.0, -0.5]
    Z = [0.0, -0.0]
    pw = [(0, 0), (0, -1), (0, -0.5), (0, 2), (0, 0.5), (-0.0, -1), (-0.0, -2), (-0.0, 0.5), (-0.0, 3), (-2, 0.5),
          (-2, 2), (-2, -1), (-2, 3), (-8, 1 / 3), (inf, -1), (inf, 0), (inf, 0.5), (-inf, 3), (-inf, 2), (-inf, -1),
          (1, inf), (1, nan), (nan, 0), (-1, inf), (-1, -inf), (0.5, inf), (2, -inf), (1, -inf), (2, nan), (nan, 1),
          (0, inf), (0, -inf), (-0.5, inf), (-2, -inf)]
    ext = {"AddV2": [(B, B), (-B, -B), (B, -B), (L, 1)], "Sub": [(B, -B), (-B, B), (B, B)],
           "Mul": [(H, H), (s, s), (B, 2), (-B, 2), (H, -H)], "RealDiv": [(L, s), (s, L), (B, 0.5), (1, B), (B, B), (-L, s)],
           "Pow": [(10, 39 if dt == F32 else 309), (10, -46 if dt == F32 else -330), (L, 2), (2, 128 if dt == F32 else 1024),
                   (-10, 39 if dt == F32 else 309), (H, 2), (s, -2)],
           "Maximum": [(B, -B), (L, L), (-B, B)], "Minimum": [(B, -B), (L, L), (-B, B)],
           "SquaredDifference": [(H, -H), (B, -B), (s, -s), (L, L)]}
    for op in BINARY:
        run(op, "zero", pairs(dt, [(a, b) for a in Z for b in Z + R3]))
        run(op, "nonfinite", pairs(dt, [(a, b) for a in NONFIN for b in NONFIN + [0.0] + R3]))
        run(op, "nonfinite_bcast", [fill((2, 3), dt), np.array(rng.choice([0.0, inf, -inf, nan]), dt)][::int(rng.choice([1, -1]))])
        run(op, "extreme", pairs(dt, ext[op], both=op != "Pow"))
        run(op, "denormal", pairs(dt, [(t, 1.5), (t, t), (-t, 2.0), (1.0, t), (t, -0.5)]))
        for sx, sy in [((0, 3), (3,)), ((2, 0), (1,)), ((0,), ())]:
            xy = [np.zeros(sx, dt), fill(sy, dt, [])]
            run(op, "empty", xy if rng.random() < 0.5 else xy[::-1])
    run("Pow", "pow", pairs(dt, pw, both=False))
    for op in ("Maximum", "Minimum"):
        x = np.array([1.5, -0.5, inf, -inf, 0.0, -0.0, nan, 2.0] + reg(2), dt)
        y = x.copy(); y[4], y[5] = -0.0, 0.0
        y[-2:] = reg(2)
        run(op, "ties", [x, y])


def matrix_cases(dt):
    k = K(dt)
    for ta, tb in [(False, False), (True, False), (False, True)]:
        a = fill((3, 2) if ta else (2, 3), dt, NONFIN, 0.3); b = fill((2, 3) if tb else (3, 2), dt, [0.0], 0.3)
        run("MatMul", "nonfinite", [a, b], {"transpose_a": ta, "transpose_b": tb})
    run("MatMul", "extreme", [np.array([[k["H"], k["H"]], [k["B"], 1.0]], dt), np.array([[k["H"], 0.5], [1.0, 0.25]], dt)])
    for sa, sb in [((0, 3), (3, 2)), ((2, 0), (0, 3)), ((2, 3), (3, 0))]:
        run("MatMul", "empty", [fill(sa, dt, []), fill(sb, dt, [])])
    ay = bool(rng.random() < 0.5)
    run("BatchMatMulV2", "nonfinite", [fill((2, 2, 3), dt, NONFIN, 0.3), fill((2, 3) if ay else (3, 2), dt, [0.0], 0.3)],
        {"adj_x": False, "adj_y": ay})
    for sa, sb in [((0, 2, 3), (3, 2)), ((2, 2, 0), (0, 3)), ((1, 2, 3), (0, 3, 2)), ((2, 0, 3), (2, 3, 2))]:
        run("BatchMatMulV2", "empty", [fill(sa, dt, []), fill(sb, dt, [])], {"adj_x": False, "adj_y": False})


def red_attrs(rank):
    c = int(rng.integers(0, 3))
    a = {"keep_dims": bool(rng.random() < 0.5)}
    if c == 1: a["axis"] = int(rng.integers(-rank, rank))
    if c == 2: a["axis"] = list(range(rank))
    return a


def reduce_cases(dt):
    k = K(dt)
    for op in ("Sum", "Mean", "Max", "Min", "Prod"):
        for ax in (0, 1):
            run(op, "nonfinite", [fill((3, 4), dt, NONFIN, 0.25)], {"axis": ax, "keep_dims": bool(rng.random() < 0.5)})
        run(op, "nonfinite", [fill((2, 3), dt, SPEC, 0.4)], red_attrs(2))
        for s, ax in [((0, 3), 0), ((0, 3), 1), ((3, 0), 1), ((3, 0), None), ((2, 0, 2), [0, 2])]:
            a = {"keep_dims": bool(rng.random() < 0.5)}
            if ax is not None: a["axis"] = ax
            run(op, "empty", [np.zeros(s, dt)], a)
    for op in ("Sum", "Mean"):
        run(op, "extreme", [np.array([[k["B"], k["B"], 1.0], [-k["B"], -k["B"], 2.0]], dt)], {"axis": 1, "keep_dims": False})
    run("Prod", "extreme", [np.array([[k["H"], k["H"], 2.0], [k["s"], k["s"], 3.0]], dt)], {"axis": 1, "keep_dims": False})
    for op in ("Max", "Min"):
        x = np.array([[2.0, 2.0, 1.0, -1.0], [0.5, 0.5, 0.5, 0.5], [inf, inf, 1.0, -inf], [-inf, -inf, -inf, -inf],
                      [0.0, -0.0, -1.0, -0.0], [-3.0, 1.0, -3.0, 1.0]], dt)
        x = x[rng.permutation(6)][:, rng.permutation(4)] * (1 if op == "Max" else -1)
        for ax in (1, 0, None):
            run(op, "ties", [x], {"keep_dims": False} | ({} if ax is None else {"axis": ax}))
    x = np.array([[1.5, -2.0, 0.5, 3.0], [1.5, 0.0, 0.5, 3.0], [0.0, -2.0, 0.0, 3.0], [0.0, 0.0, 0.0, 0.0],
                  [-0.0, 2.0, 1.0, -1.0]], dt)
    x = (x[rng.permutation(5)][:, rng.permutation(4)] * rng.choice([1, -1], size=(5, 4))).astype(dt)
    for ax in (1, 0, None, [0, 1]):
        run("Prod", "zero", [x], {"keep_dims": bool(rng.random() < 0.5)} | ({} if ax is None else {"axis": ax}))
    run("Prod", "zero", [np.array(rng.permutation([0.0, 2.0, -3.0]), dt)], {"axis": 0, "keep_dims": False})
    run("Prod", "zero", [np.array(rng.permutation([0.0, 0.0, -3.0]), dt)], {"axis": 0, "keep_dims": False})


def shape_cases(dt):
    I = lambda *v: np.array(v, np.int32).reshape(-1) if v else np.zeros((0,), np.int32)
    table = [("Reshape", [(2, 3)], {"shape": [3, -1]}), ("Reshape", [(0, 3)], {"shape": [-1, 3]}),
             ("Reshape", [(0, 3)], {"shape": [3, -1]}), ("Reshape", [(0, 3)], {"shape": [0, -1]}),
             ("Reshape", [(2, 0)], {"shape": [0]}), ("Transpose", [(2, 3)], {"perm": [1, 0]}),
             ("Transpose", [(0, 2, 3)], {"perm": [2, 0, 1]}), ("ExpandDims", [(2, 3)], {"axis": 1}),
             ("ExpandDims", [(0,)], {"axis": 0}), ("ExpandDims", [(2, 0)], {"axis": -1}),
             ("Squeeze", [(2, 1, 3)], {"axis": [1]}), ("Squeeze", [(1, 0)], {"axis": [0]}),
             ("ConcatV2", [(2, 3), (1, 3)], {"axis": 0}), ("ConcatV2", [(2, 3), (0, 3)], {"axis": 0}),
             ("ConcatV2", [(0, 3), (0, 3)], {"axis": 0}), ("ConcatV2", [(2, 0), (2, 3)], {"axis": 1}),
             ("Pack", [(2, 3), (2, 3)], {"axis": 1}), ("Pack", [(0,), (0,)], {"axis": 0}), ("Pack", [(0, 3), (0, 3)], {"axis": 1}),
             ("Slice", [(3, 3)], {"begin": [1, 0], "size": [2, -1]}), ("Slice", [(2, 3)], {"begin": [0, 1], "size": [2, 0]}),
             ("Slice", [(2, 3)], {"begin": [2, 0], "size": [0, -1]}), ("Slice", [(2, 0)], {"begin": [0, 0], "size": [-1, -1]}),
             ("GatherV2", [(3, 2), I(2, 0, 2, 2)], {"axis": 0}), ("GatherV2", [(3, 2), I()], {"axis": 0}),
             ("GatherV2", [(0, 3), I()], {"axis": 0}), ("GatherV2", [(3, 2), np.zeros((2, 0), np.int32)], {"axis": 1}),
             ("Tile", [(2, 3)], {"multiples": [2, 1]}), ("Tile", [(2, 3)], {"multiples": [0, 2]}),
             ("Tile", [(0, 2)], {"multiples": [3, 1]}), ("BroadcastTo", [(1, 3)], {"shape": [2, 3]}),
             ("BroadcastTo", [(3,)], {"shape": [0, 3]}), ("BroadcastTo", [(1, 1)], {"shape": [2, 0]}),
             ("BiasAdd", [(2, 3), (3,)], {}), ("BiasAdd", [(0, 3), (3,)], {}), ("BiasAdd", [(2, 0), (0,)], {})]
    for op, ins, attrs in table:
        xs = [x if isinstance(x, np.ndarray) else fill(x, dt) for x in ins]
        run(op, "empty" if any(x.size == 0 for x in xs) else "nonfinite", xs, attrs)


def nn_cases(dt):
    k = K(dt); B, L = k["B"], k["L"]
    rows = {"nonfinite": [[-inf, 0, 1], [-inf, -inf, -inf], [inf, 0, 1], [nan, 0, 1], [inf, inf, 0], [-inf, inf, 0]],
            "extreme": [[L, 0, -L], [L, L, 0], [-L, -L, -L], [B, -B, 0], [-B, -B, 1], [L, -1, 1]]}
    for op in ("Softmax", "LogSoftmax"):
        for cls, rs in rows.items():
            run(op, cls, [np.array(rs, dt)[rng.permutation(6)]])
            run(op, cls, [np.array(rs[int(rng.integers(0, 6))], dt)])
        for s in [(0, 3), (3, 0), (0,)]:
            run(op, "empty", [np.zeros(s, dt)])
    onehot = lambda c: np.eye(3, dtype=dt)[c]
    for cls, rs in rows.items():
        lg = np.array(rs, dt)
        lab = np.stack([onehot(int(rng.integers(0, 3))) if rng.random() < 0.5 else rng.dirichlet(np.ones(3)).astype(dt) for _ in rs])
        run("SoftmaxCrossEntropyWithLogits", cls, [lg, lab])
        run("SoftmaxCrossEntropyWithLogits", cls + "_labels", [lg, np.array([[0.5, 0.5, 0.5], [0, 0, 0], [2, -1, 0],
                                                                              [1, 1, 0], [0, 0, 1], [0, 1, 0]], dt)[rng.permutation(6)]])
        labs = rng.integers(0, 3, size=6).astype([np.int32, np.int64][int(rng.integers(0, 2))])
        run("SparseSoftmaxCrossEntropyWithLogits", cls, [lg, labs])
    run("SoftmaxCrossEntropyWithLogits", "extreme_labels", [fill((4, 3), dt, []), np.array([[0.5, 0.5, 0.5], [0, 0, 0],
                                                                                           [2, -1, 0], [1e30, 0, 0]], dt)])
    run("SoftmaxCrossEntropyWithLogits", "nonfinite_labels", [fill((2, 3), dt, []), np.array([[inf, 0, 0], [nan, 1, 0]], dt)])
    for labs in ([0, 3], [-1, 0], [2, 5]):
        run("SparseSoftmaxCrossEntropyWithLogits", "extreme_labels", [fill((2, 3), dt, []), np.array(labs, np.int64)])
    for s in [(0, 3), (2, 0)]:
        run("SoftmaxCrossEntropyWithLogits", "empty", [np.zeros(s, dt), np.zeros(s, dt)])
        run("SparseSoftmaxCrossEntropyWithLogits", "empty", [np.zeros(s, dt), np.zeros(s[:1], np.int32)])


def nograd_cases(dt):
    k = K(dt)
    other = "float64" if dt == F32 else "float32"
    big = [k["B"], -k["B"], k["t"]] + ([1e300, 3.4028236e38, 1e-50] if dt == F64 else [])
    run("Cast", "nonfinite", [vec(dt, NONFIN + big, 1)], {"dtype": other})
    run("Cast", "zero", [vec(dt, [0.0, -0.0], 2)], {"dtype": other})
    run("Cast", "empty", [np.zeros((0, 2), dt)], {"dtype": other})
    for to in ("int32", "int64", "bool"):
        run("Cast", "nonfinite", [vec(dt, NONFIN + [1e10, -1e10, 2.7, -2.7, -0.5, 0.0, -0.0], 0)], {"dtype": to})
    for op in ("Greater", "Less", "Equal"):
        sp = [0.0, -0.0, inf, -inf, nan, 1.5]
        run(op, "nonfinite", pairs(dt, [(a, b) for a in sp for b in sp], both=False))
        run(op, "empty", [np.zeros((0, 3), dt), fill((3,), dt, [])])
    sh = (2, 3)
    run("SelectV2", "nonfinite", [rng.random(sh) < 0.5, fill(sh, dt), fill(sh, dt)])
    run("SelectV2", "nonfinite", [np.array(bool(rng.random() < 0.5)), fill(sh, dt), fill((3,), dt)])
    run("SelectV2", "empty", [np.zeros((0, 3), bool), fill((3,), dt), fill((0, 1), dt)])
    x = np.array([[1.0, 3.0, 3.0, 2.0], [inf, 1.0, inf, 0.0], [-inf, -inf, -inf, -inf], [1.0, nan, 2.0, nan],
                  [0.0, -0.0, -1.0, -2.0], [nan, nan, 1.0, inf]], dt)
    for ax in (1, 0):
        run("ArgMax", "ties", [x], {"axis": ax})
    run("ArgMax", "empty", [np.zeros((0, 3), dt)], {"axis": 1})
    run("ArgMax", "empty", [np.zeros((0, 3), dt)], {"axis": 0})
    idt = np.int32 if dt == F32 else np.int64
    run("OneHot", "extreme", [np.array([-1, 0, 3, 2, 100], idt)], {"depth": 3, "dtype": dt.__name__})
    run("OneHot", "empty", [np.zeros((0,), idt)], {"depth": 3, "dtype": dt.__name__})
    run("OneHot", "empty", [np.array([0, 1], idt)], {"depth": 0, "dtype": dt.__name__})


if __name__ == "__main__":
    for _ in range(N):
        for dt in (F32, F64):
            for gen in (unary_cases, binary_cases, matrix_cases, reduce_cases, shape_cases, nn_cases, nograd_cases):
                gen(dt)
    json.dump({"format": "gradient-conformance/1", "generated_by": "tf_special_values (TensorFlow %s)" % tf.__version__,
               "cases": CASES}, sys.stdout)
