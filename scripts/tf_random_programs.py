"""Random single-op programs recorded from real TensorFlow, in the conformance format: a
differential test of gradd's semantics beyond the shared conformance file.

    .venv-bench/bin/python scripts/tf_random_programs.py SEED [CASES_PER_OP] > /tmp/rand.json
    target/release/gradd conformance /tmp/rand.json

Every op of the conformance format gets random shapes (broadcasting partners, batch dims,
ties for Max/Min), attrs and float32/float64 inputs; each case checks the forward values and
the gradient (with random output_gradients), and two in three also a second derivative (an
outer tape's gradient of sum_j <g_j, v_j> over the inner gradients g_j), the rest a jacobian.
Invalid applications (mismatched shapes, bad attrs, out-of-range indices) are recorded with
TensorFlow's error code, followed by a step that checks the session still works; small
dense networks (random activation and loss) train for three SGD steps with assign_sub; random
chains exercise the tape's bookkeeping (watches, non-trainable variables, paused recording,
integer detours, unconnected none/zero, watched_variables); and nested tapes differentiate an
inner gradient again (with an optional outer reset). Needs tensorflow (not
a dependency of gradd; see the README's performance section for the venv).
"""
import contextlib, json, sys, numpy as np, tensorflow as tf

rng = np.random.default_rng(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
N_PER_OP = int(sys.argv[2]) if len(sys.argv) > 2 else 6
R = tf.raw_ops

def T(a):
    a = np.asarray(a)
    dt = {np.float32: "float32", np.float64: "float64", np.int32: "int32", np.int64: "int64", np.bool_: "bool"}[a.dtype.type]
    return {"dtype": dt, "shape": list(a.shape), "values": a.reshape(-1).tolist()}

def shape(rank=None):
    r = int(rng.integers(0, 4)) if rank is None else rank
    return tuple(int(rng.integers(1, 4)) for _ in range(r))

def arr(s, dt, lo=-2.0, hi=2.0):
    return rng.uniform(lo, hi, size=s).astype(dt)

def bpartner(s):
    s = list(s)
    k = int(rng.integers(0, len(s) + 1))
    s = s[k:]
    return tuple(1 if rng.random() < 0.3 else d for d in s)

UNARY = {
    "Identity": ("input", None), "StopGradient": ("input", None), "Neg": ("x", None), "Square": ("x", None),
    "Sqrt": ("x", (0.2, 3)), "Rsqrt": ("x", (0.2, 3)), "Reciprocal": ("x", (0.3, 3)), "Exp": ("x", None),
    "Log": ("x", (0.2, 3)), "Log1p": ("x", (-0.7, 3)), "Abs": ("x", None), "Sin": ("x", None), "Cos": ("x", None),
    "Tanh": ("x", None), "Sigmoid": ("x", None), "Relu": ("features", None), "LeakyRelu": ("features", None),
    "Elu": ("features", None), "Softplus": ("features", None), "Sign": ("x", None), "Floor": ("x", None),
    "Tan": ("x", (-1.2, 1.2)), "Atan": ("x", None), "Asin": ("x", (-0.9, 0.9)), "Acos": ("x", (-0.9, 0.9)),
    "Sinh": ("x", None), "Cosh": ("x", None), "Expm1": ("x", None), "Erf": ("x", None), "Erfc": ("x", None), "Ceil": ("x", None),
    "Round": ("x", None),
}
BINARY = ["AddV2", "Sub", "Mul", "RealDiv", "Pow", "Maximum", "Minimum", "SquaredDifference", "DivNoNan", "FloorDiv",
          "FloorMod"]

def gen(op, dt):
    """(inputs as numpy, attrs for the JSON, tf callable on tensors)"""
    if op in UNARY:
        arg, dom = UNARY[op]
        s = shape()
        x = arr(s, dt, *(dom or (-2, 2)))
        if op in ("Relu", "LeakyRelu", "Abs", "Elu"):
            x = np.where(np.abs(x) < 0.05, 0.3, x).astype(dt)
        attrs = {}
        if op == "LeakyRelu" and rng.random() < 0.5:
            attrs["alpha"] = float(rng.choice([0.1, 0.3]))
        return [x], attrs, lambda a: getattr(R, op)(**{arg: a}, **attrs)
    if op in BINARY:
        s = shape(); s2 = bpartner(s)
        if rng.random() < 0.5: s, s2 = s2, s
        x, y = arr(s, dt), arr(s2, dt)
        if op == "Pow": x = arr(s, dt, 0.3, 2); y = arr(s2, dt, -2, 2)
        if op == "RealDiv": y = np.where(np.abs(y) < 0.3, 0.7, y).astype(dt)
        if op == "DivNoNan": y = np.where(np.abs(y) < 0.3, 0.0, y).astype(dt)  # some exact zeros
        if op in ("FloorDiv", "FloorMod"): y = np.where(np.abs(y) < 0.3, 0.7, y).astype(dt)
        return [x, y], {}, lambda a, b: getattr(R, op)(x=a, y=b)
    if op == "MatMul":
        m, k, n = (int(rng.integers(1, 5)) for _ in range(3))
        ta, tb = bool(rng.random() < 0.5), bool(rng.random() < 0.5)
        a = arr((k, m) if ta else (m, k), dt); b = arr((n, k) if tb else (k, n), dt)
        attrs = {}
        if ta: attrs["transpose_a"] = True
        if tb: attrs["transpose_b"] = True
        return [a, b], attrs, lambda x, y: R.MatMul(a=x, b=y, transpose_a=ta, transpose_b=tb)
    if op == "BatchMatMulV2":
        m, k, n = (int(rng.integers(1, 4)) for _ in range(3))
        bx = shape(int(rng.integers(0, 3))); by = bpartner(bx)
        if rng.random() < 0.5: bx, by = by, bx
        ax, ay = bool(rng.random() < 0.5), bool(rng.random() < 0.5)
        a = arr(bx + ((k, m) if ax else (m, k)), dt); b = arr(by + ((n, k) if ay else (k, n)), dt)
        return [a, b], {"adj_x": ax, "adj_y": ay}, lambda x, y: R.BatchMatMulV2(x=x, y=y, adj_x=ax, adj_y=ay)
    if op in ("Sum", "Mean", "Max", "Min", "Prod"):
        s = shape(int(rng.integers(1, 4)))
        x = arr(s, dt, 0.5, 1.5) if op == "Prod" else arr(s, dt)
        if op in ("Max", "Min") and rng.random() < 0.3:
            x = np.round(x).astype(dt)  # ties
        keep = bool(rng.random() < 0.5)
        attrs = {"keep_dims": keep}
        c = rng.random()
        if c < 0.3:
            axes = list(range(len(s)))
        elif c < 0.6:
            ax = int(rng.integers(-len(s), len(s))); attrs["axis"] = ax; axes = [ax]
        else:
            axes = sorted(set(int(v) for v in rng.integers(0, len(s), size=2))); attrs["axis"] = axes
        return [x], attrs, lambda a: getattr(R, op)(input=a, axis=axes, keep_dims=keep)
    if op in ("Cumsum", "Cumprod"):
        s = shape(int(rng.integers(1, 4)))
        x = arr(s, dt, 0.5, 1.5) if op == "Cumprod" else arr(s, dt)
        ax = int(rng.integers(-len(s), len(s))); ex = bool(rng.random() < 0.5); rv = bool(rng.random() < 0.5)
        return [x], {"axis": ax, "exclusive": ex, "reverse": rv}, lambda a: getattr(R, op)(x=a, axis=ax, exclusive=ex, reverse=rv)
    if op == "Reshape":
        s = shape(int(rng.integers(1, 4))); n = int(np.prod(s))
        new = [n] if rng.random() < 0.3 else [1, n]
        if rng.random() < 0.4: new = [-1] + new[1:] if len(new) > 1 else [-1]
        return [arr(s, dt)], {"shape": new}, lambda a: R.Reshape(tensor=a, shape=new)
    if op == "Transpose":
        s = shape(int(rng.integers(1, 4))); perm = [int(v) for v in rng.permutation(len(s))]
        return [arr(s, dt)], {"perm": perm}, lambda a: R.Transpose(x=a, perm=perm)
    if op == "ExpandDims":
        s = shape(); ax = int(rng.integers(-len(s) - 1, len(s) + 1))
        return [arr(s, dt)], {"axis": ax}, lambda a: R.ExpandDims(input=a, axis=ax)
    if op == "Squeeze":
        s = list(shape(int(rng.integers(1, 3)))); i = int(rng.integers(0, len(s) + 1)); s.insert(i, 1)
        return [arr(tuple(s), dt)], {"axis": [i]}, lambda a: R.Squeeze(input=a, axis=[i])
    if op in ("ConcatV2", "Pack"):
        s = shape(int(rng.integers(1, 3))); k = int(rng.integers(1, 4))
        if op == "ConcatV2":
            k = max(k, 2)
            ax = int(rng.integers(0, len(s)))
            xs = [arr(tuple(int(rng.integers(1, 3)) if j == ax else d for j, d in enumerate(s)), dt) for _ in range(k)]
            return xs, {"axis": ax}, lambda *a: R.ConcatV2(values=list(a), axis=ax)
        ax = int(rng.integers(0, len(s) + 1))
        xs = [arr(s, dt) for _ in range(k)]
        return xs, {"axis": ax}, lambda *a: R.Pack(values=list(a), axis=ax)
    if op == "Slice":
        s = shape(int(rng.integers(1, 4)))
        begin = [int(rng.integers(0, d)) for d in s]
        size = [int(rng.integers(1, d - b + 1)) if rng.random() < 0.7 else -1 for d, b in zip(s, begin)]
        return [arr(s, dt)], {"begin": begin, "size": size}, lambda a: R.Slice(input=a, begin=begin, size=size)
    if op == "GatherV2":
        s = shape(int(rng.integers(1, 3))); ax = int(rng.integers(0, len(s)))
        idx = rng.integers(0, s[ax], size=shape(int(rng.integers(0, 3)))).astype(np.int32 if rng.random() < 0.5 else np.int64)
        return [arr(s, dt), idx], {"axis": ax}, lambda a, i: R.GatherV2(params=a, indices=i, axis=ax)
    if op == "Tile":
        s = shape(int(rng.integers(1, 3))); mult = [int(rng.integers(1, 3)) for _ in s]
        return [arr(s, dt)], {"multiples": mult}, lambda a: R.Tile(input=a, multiples=mult)
    if op == "BroadcastTo":
        s = shape(int(rng.integers(1, 3))); small = bpartner(s)
        return [arr(small, dt)], {"shape": list(s)}, lambda a: R.BroadcastTo(input=a, shape=list(s))
    if op == "BiasAdd":
        s = shape(int(rng.integers(2, 4)))
        return [arr(s, dt), arr(s[-1:], dt)], {}, lambda a, b: R.BiasAdd(value=a, bias=b)
    if op in ("Softmax", "LogSoftmax"):
        s = shape(int(rng.integers(1, 3)))
        return [arr(s, dt)], {}, lambda a: getattr(R, op)(logits=a)
    if op == "SoftmaxCrossEntropyWithLogits":
        b, c = int(rng.integers(1, 4)), int(rng.integers(2, 5))
        lab = rng.dirichlet(np.ones(c), size=b).astype(dt)
        return [arr((b, c), dt), lab], {}, lambda a, l: R.SoftmaxCrossEntropyWithLogits(features=a, labels=l)
    if op == "SparseSoftmaxCrossEntropyWithLogits":
        b, c = int(rng.integers(1, 4)), int(rng.integers(2, 5))
        lab = rng.integers(0, c, size=(b,)).astype(np.int64 if rng.random() < 0.5 else np.int32)
        return [arr((b, c), dt), lab], {}, lambda a, l: R.SparseSoftmaxCrossEntropyWithLogits(features=a, labels=l)
    if op == "SelectV2":
        s = shape(); cond = rng.random(bpartner(s)) < 0.5
        return [cond, arr(s, dt), arr(bpartner(s), dt)], {}, lambda c, t, e: R.SelectV2(condition=c, t=t, e=e)
    if op == "Cast":
        s = shape(); to = "float64" if dt == np.float32 else "float32"
        return [arr(s, dt)], {"dtype": to}, lambda a: R.Cast(x=a, DstT=getattr(tf, to))
    raise KeyError(op)

OPS = list(UNARY) + BINARY + ["MatMul", "BatchMatMulV2", "Sum", "Mean", "Max", "Min", "Prod", "Reshape",
       "Transpose", "ExpandDims", "Squeeze", "ConcatV2", "Pack", "Slice", "GatherV2", "Tile", "BroadcastTo",
       "BiasAdd", "Softmax", "LogSoftmax", "SoftmaxCrossEntropyWithLogits", "SparseSoftmaxCrossEntropyWithLogits",
       "SelectV2", "Cast", "Cumsum", "Cumprod"]

def record(op, dt, i, second):
    xs, attrs, fn = gen(op, dt)
    names = [f"x{j}" for j in range(len(xs))]
    ts = [tf.constant(x) for x in xs]
    fl = [j for j, x in enumerate(xs) if x.dtype.kind == "f"]
    srcs = [ts[j] for j in fl]
    steps = [{"constant": n, "value": T(x)} for n, x in zip(names, xs)]
    nout = 2 if "CrossEntropy" in op else 1
    outs = [f"y{j}" for j in range(nout)]
    jac = not second
    with tf.GradientTape(persistent=True) as outer:
        outer.watch(srcs)
        with tf.GradientTape(persistent=jac) as inner:
            inner.watch(srcs)
            ys = fn(*ts)
            ys = list(ys) if isinstance(ys, (tuple, list)) else [ys]
            y0 = ys[0]
        og = tf.constant(rng.uniform(-1, 1, size=y0.shape).astype(y0.dtype.as_numpy_dtype))
        gs = inner.gradient(y0, srcs, output_gradients=og)
        gs = [None if g is None else tf.convert_to_tensor(g) for g in gs]
        vs, total, parts = [], None, []
        if second:
            for j, g in enumerate(gs):
                if g is None:
                    continue
                v = rng.uniform(-1, 1, size=g.shape).astype(g.dtype.as_numpy_dtype)
                vs.append((j, v))
                p = tf.raw_ops.Sum(input=tf.raw_ops.Mul(x=g, y=tf.constant(v)), axis=list(range(len(g.shape))), keep_dims=False)
                total = p if total is None else tf.raw_ops.AddV2(x=total, y=p)
    second = second and total is not None
    if jac:
        js = inner.jacobian(y0, srcs)
        js = [None if v is None else tf.convert_to_tensor(v) for v in js]
    if second:
        hs = outer.gradient(total, srcs)
        hs = [None if h is None else tf.convert_to_tensor(h) for h in hs]
        steps += [{"tape": "o", "persistent": True, "watch_accessed_variables": True},
                  {"watch": "o", "refs": [names[j] for j in fl]}]
    steps += [{"tape": "t", "persistent": jac, "watch_accessed_variables": True},
              {"watch": "t", "refs": [names[j] for j in fl]}]
    st = {"op": op, "inputs": names, "outputs": outs}
    if attrs: st["attrs"] = attrs
    steps.append(st)
    steps.append({"stop": "t"})
    steps.append({"fetch": outs, "expect": [T(y.numpy()) for y in ys]})
    gname = [f"g{j}" for j in range(len(fl))]
    steps.append({"gradient": "t", "targets": ["y0"], "sources": [names[j] for j in fl],
                  "output_gradients": [T(og.numpy())], "unconnected": "none",
                  "outputs": gname, "expect": [None if g is None else T(g.numpy()) for g in gs]})
    if jac:
        steps.append({"jacobian": "t", "target": "y0", "sources": [names[j] for j in fl], "unconnected": "none",
                      "expect": [None if v is None else T(v.numpy()) for v in js]})
    if second:
        acc = None
        for j, v in vs:
            steps.append({"constant": f"v{j}", "value": T(v)})
            steps.append({"op": "Mul", "inputs": [f"g{j}", f"v{j}"], "outputs": [f"m{j}"]})
            steps.append({"op": "Sum", "inputs": [f"m{j}"], "attrs": {"keep_dims": False}, "outputs": [f"s{j}"]})
            if acc is None:
                acc = f"s{j}"
            else:
                steps.append({"op": "AddV2", "inputs": [acc, f"s{j}"], "outputs": [f"a{j}"]})
                acc = f"a{j}"
        steps.append({"stop": "o"})
        steps.append({"gradient": "o", "targets": [acc], "sources": [names[j] for j in fl], "unconnected": "none",
                      "expect": [None if h is None else T(h.numpy()) for h in hs]})
    return {"name": f"rand/{op}/{dt.__name__}/{i}{'/2nd' if second else '/jac'}", "about": "random single op",
            "rtol": 2e-4 if dt == np.float32 else 1e-9, "atol": 2e-5 if dt == np.float32 else 1e-10, "steps": steps}

def bad(op, dt):
    """An invalid application of `op`: (inputs, attrs, tf callable)."""
    f = lambda *s: arr(s, dt)
    table = {
        "AddV2": ([f(2, 3), f(4)], {}, lambda a, b: R.AddV2(x=a, y=b)),
        "MatMul": ([f(2, 3), f(2, 3)], {}, lambda a, b: R.MatMul(a=a, b=b)),
        "BatchMatMulV2": ([f(2, 2, 3), f(3, 3, 2)], {}, lambda a, b: R.BatchMatMulV2(x=a, y=b)),
        "Reshape": ([f(2, 3)], {"shape": [4, 2]}, lambda a: R.Reshape(tensor=a, shape=[4, 2])),
        "Transpose": ([f(2, 3)], {"perm": [0, 0]}, lambda a: R.Transpose(x=a, perm=[0, 0])),
        "Squeeze": ([f(2, 3)], {"axis": [0]}, lambda a: R.Squeeze(input=a, axis=[0])),
        "ConcatV2": ([f(2, 3), f(3, 2)], {"axis": 0}, lambda a, b: R.ConcatV2(values=[a, b], axis=0)),
        "Pack": ([f(2, 3), f(3, 2)], {"axis": 0}, lambda a, b: R.Pack(values=[a, b], axis=0)),
        "Slice": ([f(2, 3)], {"begin": [1, 0], "size": [2, 3]}, lambda a: R.Slice(input=a, begin=[1, 0], size=[2, 3])),
        "GatherV2": ([f(3, 2), np.array([0, 3], np.int32)], {"axis": 0},
                     lambda a, i: R.GatherV2(params=a, indices=i, axis=0)),
        "BiasAdd": ([f(2, 3), f(2)], {}, lambda a, b: R.BiasAdd(value=a, bias=b)),
        "Sum": ([f(2, 3)], {"axis": 2, "keep_dims": False}, lambda a: R.Sum(input=a, axis=2)),
        "ExpandDims": ([f(2, 3)], {"axis": 4}, lambda a: R.ExpandDims(input=a, axis=4)),
        "BroadcastTo": ([f(2, 3)], {"shape": [3, 3]}, lambda a: R.BroadcastTo(input=a, shape=[3, 3])),
        "SparseSoftmaxCrossEntropyWithLogits": ([f(2, 3), np.array([0, 3], np.int64)], {},
            lambda a, l: R.SparseSoftmaxCrossEntropyWithLogits(features=a, labels=l)),
        "SoftmaxCrossEntropyWithLogits": ([f(2, 3), f(2, 4)], {},
            lambda a, l: R.SoftmaxCrossEntropyWithLogits(features=a, labels=l)),
    }
    return table.get(op)

CODES = {tf.errors.InvalidArgumentError: "INVALID_ARGUMENT", tf.errors.FailedPreconditionError: "FAILED_PRECONDITION",
         tf.errors.OutOfRangeError: "OUT_OF_RANGE", tf.errors.UnimplementedError: "UNIMPLEMENTED"}

def record_error(op, dt):
    got = bad(op, dt)
    if got is None:
        return None
    xs, attrs, fn = got
    try:
        fn(*[tf.constant(x) for x in xs])
    except tf.errors.OpError as e:
        code = CODES.get(type(e))
        if code is None:
            raise
    else:
        return None  # TensorFlow accepted it: not an error case
    names = [f"x{j}" for j in range(len(xs))]
    steps = [{"constant": n, "value": T(x)} for n, x in zip(names, xs)]
    st = {"op": op, "inputs": names, "outputs": ["y"], "expect_error": code}
    if attrs: st["attrs"] = attrs
    steps.append(st)
    steps.append({"fetch": ["x0"], "expect": [T(xs[0])]})
    return {"name": f"rand/{op}/error", "about": "invalid application", "rtol": 1e-6, "atol": 1e-6, "steps": steps}

def record_model(i):
    """A small dense network trained for three steps with plain SGD, as a user would write it:
    variables read under a tape, gradients w.r.t. all of them, assign_sub updates."""
    dt = np.float32 if i % 2 == 0 else np.float64
    n, d, h, c = (int(rng.integers(2, 6)) for _ in range(4))
    act = ["Relu", "Tanh", "Sigmoid", "Elu", "Softplus"][i % 5]
    loss_kind = ["sparse", "dense", "mse"][i % 3]
    init = {"w1": arr((d, h), dt, -1, 1), "b1": arr((h,), dt, -0.1, 0.1), "w2": arr((h, c), dt, -1, 1),
            "b2": np.zeros((c,), dt)}
    x = arr((n, d), dt)
    labels = rng.integers(0, c, size=(n,)).astype(np.int64)
    target = np.eye(c, dtype=dt)[labels] if loss_kind == "dense" else arr((n, c), dt)
    lr = np.asarray(0.1, dt)
    steps = [{"variable": k, "value": T(v), "trainable": True} for k, v in init.items()]
    steps += [{"constant": "x", "value": T(x)}, {"constant": "labels", "value": T(labels)},
              {"constant": "target", "value": T(target)}, {"constant": "lr", "value": T(lr)}]
    vs = {k: tf.Variable(v) for k, v in init.items()}
    tx, tl, tt, tlr = (tf.constant(v) for v in (x, labels, target, lr))
    names = list(init)
    for k in range(3):
        with tf.GradientTape() as tape:
            z1 = R.BiasAdd(value=R.MatMul(a=tx, b=vs["w1"]), bias=vs["b1"])
            a1 = getattr(R, act)(**({"features": z1} if act in ("Relu", "Elu", "Softplus") else {"x": z1}))
            z2 = R.BiasAdd(value=R.MatMul(a=a1, b=vs["w2"]), bias=vs["b2"])
            if loss_kind == "sparse":
                per = R.SparseSoftmaxCrossEntropyWithLogits(features=z2, labels=tl)[0]
            elif loss_kind == "dense":
                per = R.SoftmaxCrossEntropyWithLogits(features=z2, labels=tt)[0]
            else:
                per = R.SquaredDifference(x=z2, y=tt)
            loss = R.Mean(input=per, axis=list(range(len(per.shape))))
        gs = tape.gradient(loss, [vs[v] for v in names])
        steps += [{"tape": "t", "persistent": False, "watch_accessed_variables": True},
                  {"op": "MatMul", "inputs": ["x", "w1"], "outputs": ["h1"]},
                  {"op": "BiasAdd", "inputs": ["h1", "b1"], "outputs": ["z1"]},
                  {"op": act, "inputs": ["z1"], "outputs": ["a1"]},
                  {"op": "MatMul", "inputs": ["a1", "w2"], "outputs": ["h2"]},
                  {"op": "BiasAdd", "inputs": ["h2", "b2"], "outputs": ["z2"]}]
        if loss_kind == "sparse":
            steps.append({"op": "SparseSoftmaxCrossEntropyWithLogits", "inputs": ["z2", "labels"], "outputs": ["per"]})
        elif loss_kind == "dense":
            steps.append({"op": "SoftmaxCrossEntropyWithLogits", "inputs": ["z2", "target"], "outputs": ["per"]})
        else:
            steps.append({"op": "SquaredDifference", "inputs": ["z2", "target"], "outputs": ["per"]})
        steps += [{"op": "Mean", "inputs": ["per"], "attrs": {"keep_dims": False}, "outputs": ["loss"]},
                  {"stop": "t"},
                  {"fetch": ["loss"], "expect": [T(loss.numpy())]},
                  {"gradient": "t", "targets": ["loss"], "sources": names, "unconnected": "none",
                   "outputs": [f"g_{v}" for v in names], "expect": [T(g.numpy()) for g in gs]}]
        for v, g in zip(names, gs):
            vs[v].assign_sub(R.Mul(x=g, y=tlr))
            steps += [{"op": "Mul", "inputs": [f"g_{v}", "lr"], "outputs": [f"u_{v}"]},
                      {"assign": v, "mode": "sub", "source": f"u_{v}"}]
    steps.append({"fetch": names, "expect": [T(vs[v].numpy()) for v in names]})
    return {"name": f"rand/model/{act}/{loss_kind}/{dt.__name__}/{i}", "about": "dense net, 3 SGD steps",
            "rtol": 1e-3 if dt == np.float32 else 1e-9, "atol": 1e-4 if dt == np.float32 else 1e-10, "steps": steps}

def record_tape(i):
    """Tape semantics on a random chain: trainable and non-trainable variables, explicit watches,
    watch_accessed_variables, stop_recording around some ops, integer detours, persistent
    tapes asked twice, unconnected none/zero and watched_variables."""
    dt = np.float32 if i % 2 == 0 else np.float64
    s = (2, 3)
    persistent, wav = bool(rng.random() < 0.5), bool(rng.random() < 0.7)
    steps, env, tfv = [], {}, {}
    for k in range(3):
        v, tr = arr(s, dt), bool(rng.random() < 0.7)
        steps.append({"variable": f"v{k}", "value": T(v), "trainable": tr})
        env[f"v{k}"] = tfv[f"v{k}"] = tf.Variable(v, trainable=tr)
    for k in range(2):
        c = arr(s, dt)
        steps.append({"constant": f"c{k}", "value": T(c)})
        env[f"c{k}"] = tf.constant(c)
    watch = [n for n in ("c0", "c1", "v0") if rng.random() < 0.4]
    with tf.GradientTape(persistent=persistent, watch_accessed_variables=wav) as tape:
        steps.append({"tape": "t", "persistent": persistent, "watch_accessed_variables": wav})
        if watch:
            tape.watch([env[n] for n in watch])
            steps.append({"watch": "t", "refs": watch})
        for k in range(int(rng.integers(3, 7))):
            op = str(rng.choice(["AddV2", "Mul", "Sub", "Tanh", "Square", "Maximum", "IntDetour", "StopGradient"]))
            a, b = (str(rng.choice(sorted(env))) for _ in range(2))
            paused = bool(rng.random() < 0.2)
            if paused:
                steps.append({"pause": "t"})
            with (tape.stop_recording() if paused else contextlib.nullcontext()):
                if op in ("AddV2", "Mul", "Sub", "Maximum"):
                    y = getattr(R, op)(x=env[a], y=env[b])
                    steps.append({"op": op, "inputs": [a, b], "outputs": [f"r{k}"]})
                elif op == "IntDetour":
                    yi = R.Cast(x=env[a], DstT=tf.int32)
                    y = R.Cast(x=yi, DstT=tf.as_dtype(dt))
                    steps.append({"op": "Cast", "inputs": [a], "attrs": {"dtype": "int32"}, "outputs": [f"i{k}"]})
                    steps.append({"op": "Cast", "inputs": [f"i{k}"], "attrs": {"dtype": dt.__name__}, "outputs": [f"r{k}"]})
                elif op == "StopGradient":
                    y = R.StopGradient(input=env[a])
                    steps.append({"op": op, "inputs": [a], "outputs": [f"r{k}"]})
                else:
                    y = getattr(R, op)(x=env[a])
                    steps.append({"op": op, "inputs": [a], "outputs": [f"r{k}"]})
            if paused:
                steps.append({"resume": "t"})
            env[f"r{k}"] = y
        steps.append({"stop": "t"})
    results = [n for n in env if n.startswith("r")]
    names = {id(v): n for n, v in tfv.items()}
    steps.append({"watched_variables": "t", "expect": sorted(names[id(v)] for v in tape.watched_variables())})
    for q in range(2 if persistent else 1):
        targets = sorted(set(str(t) for t in rng.choice(results, size=int(rng.integers(1, 3)))))
        sources = sorted(set(str(t) for t in rng.choice(sorted(env), size=int(rng.integers(1, 5)))))
        unc = "zero" if rng.random() < 0.4 else "none"
        gs = tape.gradient([env[t] for t in targets], [env[n] for n in sources],
                           unconnected_gradients=tf.UnconnectedGradients.ZERO if unc == "zero" else tf.UnconnectedGradients.NONE)
        steps.append({"gradient": "t", "targets": targets, "sources": sources, "unconnected": unc,
                      "expect": [None if g is None else T(tf.convert_to_tensor(g).numpy()) for g in gs]})
    if not persistent:
        steps.append({"gradient": "t", "targets": [results[0]], "sources": ["c0"], "unconnected": "none",
                      "expect_error": "FAILED_PRECONDITION"})
    return {"name": f"rand/tape/{dt.__name__}/{i}", "about": "tape semantics", "rtol": 2e-4 if dt == np.float32 else 1e-9,
            "atol": 2e-5 if dt == np.float32 else 1e-10, "steps": steps}

def record_nested(i):
    """Nested tapes on a random chain: ops before the inner tape (seen by the outer only), an
    optional outer reset, an inner gradient recorded by the outer tape, ops on that gradient,
    and the outer gradient; output_gradients on the inner call."""
    dt = np.float32 if i % 2 == 0 else np.float64
    s = (2, 2)
    steps, env = [], {}
    for k, tr in enumerate([True, False]):
        v = arr(s, dt)
        steps.append({"variable": f"v{k}", "value": T(v), "trainable": tr})
        env[f"v{k}"] = tf.Variable(v, trainable=tr)
    c = arr(s, dt)
    steps.append({"constant": "c0", "value": T(c)})
    env["c0"] = tf.constant(c)
    unary = ["Tanh", "Square", "Sin", "Sigmoid", "Atan", "Erf", "Sinh"]
    binary = ["Mul", "AddV2", "Sub"]
    n = [0]

    def chain(count):
        k = None
        for _ in range(count):
            k = f"r{n[0]}"; n[0] += 1
            if rng.random() < 0.5:
                op = str(rng.choice(unary)); a = str(rng.choice(sorted(env)))
                env[k] = getattr(R, op)(x=env[a])
                steps.append({"op": op, "inputs": [a], "outputs": [k]})
            else:
                op = str(rng.choice(binary)); a, b = (str(rng.choice(sorted(env))) for _ in range(2))
                env[k] = getattr(R, op)(x=env[a], y=env[b])
                steps.append({"op": op, "inputs": [a, b], "outputs": [k]})
        return k

    outer_p = bool(rng.random() < 0.5)
    watch_c = bool(rng.random() < 0.5)
    with tf.GradientTape(persistent=outer_p) as outer:
        steps.append({"tape": "o", "persistent": outer_p, "watch_accessed_variables": True})
        if watch_c:
            outer.watch(env["c0"]); steps.append({"watch": "o", "refs": ["c0"]})
        chain(int(rng.integers(0, 3)))
        if rng.random() < 0.25:
            outer.reset(); steps.append({"reset": "o"})
        with tf.GradientTape() as inner:
            steps.append({"tape": "i", "persistent": False, "watch_accessed_variables": True})
            inner.watch(env["c0"]); steps.append({"watch": "i", "refs": ["c0"]})
            y = chain(int(rng.integers(1, 5)))
            steps.append({"stop": "i"})
        og = arr(s, dt, -1, 1)
        srcs = ["v0", "c0"] + [str(rng.choice([k for k in env if k.startswith("r")]))]
        gs = inner.gradient(env[y], [env[k] for k in srcs], output_gradients=tf.constant(og))
        steps.append({"constant": "og", "value": T(og)})
        steps.append({"gradient": "i", "targets": [y], "sources": srcs, "output_gradients": [T(og)],
                      "unconnected": "none", "outputs": [f"g{j}" for j in range(len(srcs))],
                      "expect": [None if g is None else T(tf.convert_to_tensor(g).numpy()) for g in gs]})
        parts = []
        for j, g in enumerate(gs):
            if g is None:
                continue
            env[f"g{j}"] = g
            w = arr(s, dt, -1, 1)
            steps.append({"constant": f"w{j}", "value": T(w)})
            env[f"q{j}"] = R.Mul(x=R.Tanh(x=g), y=tf.constant(w))
            steps.append({"op": "Tanh", "inputs": [f"g{j}"], "outputs": [f"tg{j}"]})
            steps.append({"op": "Mul", "inputs": [f"tg{j}", f"w{j}"], "outputs": [f"q{j}"]})
            parts.append(f"q{j}")
        steps.append({"stop": "o"})
    if not parts:
        return None
    osrcs = ["v0", "v1", "c0"] + [k for k in env if k.startswith("r")][:2]
    hs = outer.gradient([env[q] for q in parts], [env[k] for k in osrcs])
    steps.append({"gradient": "o", "targets": parts, "sources": osrcs, "unconnected": "none",
                  "expect": [None if h is None else T(tf.convert_to_tensor(h).numpy()) for h in hs]})
    return {"name": f"rand/nested/{dt.__name__}/{i}", "about": "nested tapes", "rtol": 2e-4 if dt == np.float32 else 1e-9,
            "atol": 2e-5 if dt == np.float32 else 1e-10, "steps": steps}

cases = [record_model(i) for i in range(N_PER_OP * 2)]
cases += [c for c in (record_nested(i) for i in range(N_PER_OP * 8)) if c is not None]
cases += [record_tape(i) for i in range(N_PER_OP * 8)]
for op in OPS:
    c = record_error(op, np.float32)
    if c is not None:
        cases.append(c)
for op in OPS:
    for i in range(N_PER_OP):
        dt = np.float32 if i % 2 == 0 else np.float64
        try:
            cases.append(record(op, dt, i, i % 3 != 0))
        except Exception as e:
            print("skip", op, type(e).__name__, str(e)[:200], file=sys.stderr)
json.dump({"format": "gradient-conformance/1", "generated_by": "tfdiff", "cases": cases}, sys.stdout)
