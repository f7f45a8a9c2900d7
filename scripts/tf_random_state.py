"""Random stateful and bookkeeping programs recorded from real TensorFlow, in the conformance
format: a companion to tf_random_programs.py for what that generator does not reach.

    .venv-bench/bin/python scripts/tf_random_state.py SEED [N] > /tmp/state.json
    target/release/gradd conformance /tmp/state.json

A small recorder runs every step in TensorFlow eager (tf.raw_ops, tf.Variable, tf.GradientTape
entered and left step by step) and writes it out with what TensorFlow returned or raised. Cases:
variables assigned (assign/add/sub, literal or another ref) while a tape records, before any
read, on non-trainable variables, fetched afterwards; batch_jacobian on random elementwise and
matmul/bias chains (constant or variable batch source, targets that mix examples, Softmax,
keep_dims sums, an unconnected target, bad target ranks); jacobian with unconnected none/zero,
several sources including variables and integers, after a gradient on a persistent tape, and of
an inner gradient (Hessian) while an outer tape records; nested tapes with unconnected zero and
persistent inner tapes asked twice; integer (int32/int64) forward values of binary, reduction,
shape, cast, compare/select, ArgMax and OneHot ops under a tape that watches them, mixed with
floats via Cast; and tape bookkeeping (targets that are sources, variables read while paused,
output_gradients with unconnected zero, shared subexpressions, watched_variables of nested
tapes). TensorFlow errors are recorded with their gRPC code (Python-side ValueError/IndexError as
INVALID_ARGUMENT, a used non-persistent tape as FAILED_PRECONDITION) and followed by a step that
checks the session still works. Needs tensorflow (see tf_random_programs.py).
"""
import json, sys, numpy as np, tensorflow as tf

rng = np.random.default_rng(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
N = int(sys.argv[2]) if len(sys.argv) > 2 else 6
R = tf.raw_ops
F32, F64 = np.float32, np.float64

def T(a):
    a = np.asarray(a)
    dt = {np.float32: "float32", np.float64: "float64", np.int32: "int32", np.int64: "int64", np.bool_: "bool"}[a.dtype.type]
    return {"dtype": dt, "shape": list(a.shape), "values": a.reshape(-1).tolist()}

def shape(rank=None):
    r = int(rng.integers(0, 4)) if rank is None else rank
    return tuple(int(rng.integers(1, 4)) for _ in range(r))

def arr(s, dt, lo=-2.0, hi=2.0):
    if np.issubdtype(dt, np.integer):
        return rng.integers(int(lo), int(hi) + 1, size=s).astype(dt)
    return rng.uniform(lo, hi, size=s).astype(dt)

def bpartner(s):
    s = list(s)[int(rng.integers(0, len(s) + 1)):]
    return tuple(1 if rng.random() < 0.3 else d for d in s)

def pick(xs):
    return xs[int(rng.integers(0, len(xs)))]

CODES = {tf.errors.InvalidArgumentError: "INVALID_ARGUMENT", tf.errors.FailedPreconditionError: "FAILED_PRECONDITION",
         tf.errors.OutOfRangeError: "OUT_OF_RANGE", tf.errors.UnimplementedError: "UNIMPLEMENTED",
         tf.errors.NotFoundError: "NOT_FOUND"}

def code_of(e):  # RuntimeError: a used non-persistent tape; ValueError/IndexError: TF's Python-side shape checks
    if isinstance(e, tf.errors.OpError): return CODES[type(e)]
    if isinstance(e, RuntimeError): return "FAILED_PRECONDITION"
    if isinstance(e, (ValueError, IndexError)): return "INVALID_ARGUMENT"
    raise e

ARG = {"Identity": "input", "StopGradient": "input", "Relu": "features", "LeakyRelu": "features", "Elu": "features",
       "Softplus": "features", "Softmax": "logits", "LogSoftmax": "logits"}
UNC = {"none": tf.UnconnectedGradients.NONE, "zero": tf.UnconnectedGradients.ZERO}

def call(op, xs, a):
    """Runs format op `op` (attrs `a`) on tensors/variables `xs` with tf.raw_ops."""
    if op in ("AddV2", "Sub", "Mul", "RealDiv", "DivNoNan", "FloorDiv", "FloorMod", "Pow", "Maximum", "Minimum",
              "SquaredDifference", "Greater", "Less", "Equal"):
        return getattr(R, op)(x=xs[0], y=xs[1])
    if op in ("Sum", "Mean", "Max", "Min", "Prod"):
        ax = a.get("axis", list(range(len(xs[0].shape))))
        return getattr(R, op)(input=xs[0], axis=ax, keep_dims=a.get("keep_dims", False))
    if op in ("Cumsum", "Cumprod"):
        return getattr(R, op)(x=xs[0], axis=a.get("axis", 0), exclusive=a.get("exclusive", False), reverse=a.get("reverse", False))
    f = {"MatMul": lambda: R.MatMul(a=xs[0], b=xs[1], transpose_a=a.get("transpose_a", False), transpose_b=a.get("transpose_b", False)),
         "BiasAdd": lambda: R.BiasAdd(value=xs[0], bias=xs[1]),
         "Reshape": lambda: R.Reshape(tensor=xs[0], shape=a["shape"]), "Transpose": lambda: R.Transpose(x=xs[0], perm=a["perm"]),
         "ExpandDims": lambda: R.ExpandDims(input=xs[0], axis=a["axis"]), "Squeeze": lambda: R.Squeeze(input=xs[0], axis=a["axis"]),
         "ConcatV2": lambda: R.ConcatV2(values=list(xs), axis=a["axis"]), "Pack": lambda: R.Pack(values=list(xs), axis=a["axis"]),
         "Slice": lambda: R.Slice(input=xs[0], begin=a["begin"], size=a["size"]),
         "GatherV2": lambda: R.GatherV2(params=xs[0], indices=xs[1], axis=a["axis"]),
         "Tile": lambda: R.Tile(input=xs[0], multiples=a["multiples"]), "BroadcastTo": lambda: R.BroadcastTo(input=xs[0], shape=a["shape"]),
         "Cast": lambda: R.Cast(x=xs[0], DstT=getattr(tf, a["dtype"])),
         "SelectV2": lambda: R.SelectV2(condition=xs[0], t=xs[1], e=xs[2]),
         "ArgMax": lambda: R.ArgMax(input=xs[0], dimension=a.get("axis", 0)),
         "OneHot": lambda: R.OneHot(indices=xs[0], depth=a["depth"], on_value=tf.constant(1, getattr(tf, a.get("dtype", "float32"))),
                                    off_value=tf.constant(0, getattr(tf, a.get("dtype", "float32"))))}.get(op)
    return f() if f else getattr(R, op)(**{ARG.get(op, "x"): xs[0]})

class Prog:
    """Runs steps in TensorFlow and records them (with TensorFlow's results) as a case."""
    def __init__(s, name, about, dt=F32):
        s.name, s.about, s.dt, s.steps, s.env, s.tapes, s.pauses, s.vname, s.n = name, about, dt, [], {}, {}, {}, {}, 0
    def fresh(s, p="r"):
        s.n += 1; return f"{p}{s.n}"
    def val(s, r):
        x = s.env[r]
        if isinstance(x, tf.Variable):  # no variable_accessed: a fetch is not a read on any tape
            return R.ReadVariableOp(resource=x.handle, dtype=x.dtype).numpy()
        return tf.convert_to_tensor(x).numpy()
    def failed(s, st, e):
        st["expect_error"] = code_of(e); s.steps.append(st)
        ok = next(iter(s.env))
        s.steps.append({"fetch": [ok], "expect": [T(s.val(ok))]})
    def const(s, n, a):
        s.env[n] = tf.constant(a); s.steps.append({"constant": n, "value": T(a)}); return n
    def var(s, n, a, tr=True):
        v = s.env[n] = tf.Variable(a, trainable=tr); s.vname[id(v)] = n
        s.steps.append({"variable": n, "value": T(a), "trainable": tr}); return n
    def tape(s, t, persistent=False, wav=True):
        s.tapes[t] = tf.GradientTape(persistent=persistent, watch_accessed_variables=wav); s.tapes[t].__enter__()
        s.steps.append({"tape": t, "persistent": persistent, "watch_accessed_variables": wav})
    def stop(s, t): s.tapes[t].__exit__(None, None, None); s.steps.append({"stop": t})
    def pause(s, t): s.pauses[t] = s.tapes[t].stop_recording(); s.pauses[t].__enter__(); s.steps.append({"pause": t})
    def resume(s, t): s.pauses.pop(t).__exit__(None, None, None); s.steps.append({"resume": t})
    def reset(s, t): s.tapes[t].reset(); s.steps.append({"reset": t})
    def watch(s, t, refs):
        s.tapes[t].watch([s.env[r] for r in refs]); s.steps.append({"watch": t, "refs": list(refs)})
    def op(s, op, ins, attrs=None, outs=None):
        attrs = attrs or {}; outs = outs or [s.fresh()]
        st = {"op": op, "inputs": list(ins), "outputs": outs}
        if attrs: st["attrs"] = attrs
        try:
            ys = call(op, [s.env[i] for i in ins], attrs)
        except Exception as e:
            return s.failed(st, e)
        ys = list(ys) if isinstance(ys, (tuple, list)) else [ys]
        for n, y in zip(outs, ys): s.env[n] = y
        s.steps.append(st); return outs[0]
    def assign(s, v, mode, value=None, source=None):
        st = {"assign": v, "mode": mode}
        x = tf.constant(value) if source is None else s.env[source]  # a typed tensor, as on the wire
        if source is None: st["value"] = T(value)
        else: st["source"] = source
        try:
            getattr(s.env[v], {"assign": "assign", "add": "assign_add", "sub": "assign_sub"}[mode])(x)
        except Exception as e:
            return s.failed(st, e)
        s.steps.append(st)
    def fetch(s, refs):
        s.steps.append({"fetch": list(refs), "expect": [T(s.val(r)) for r in refs]})
    def watched(s, t):
        s.steps.append({"watched_variables": t, "expect": sorted(s.vname[id(v)] for v in s.tapes[t].watched_variables())})
    def _res(s, st, fn, outs=None):
        try:
            gs = fn()
        except Exception as e:
            return s.failed(st, e)
        gs = [None if g is None else tf.convert_to_tensor(g) for g in (gs if isinstance(gs, list) else [gs])]
        st["expect"] = [None if g is None else T(g.numpy()) for g in gs]
        for n, g in zip(outs or [], gs):
            if g is not None: s.env[n] = g
        s.steps.append(st); return gs
    def grad(s, t, targets, sources, og=None, unc="none", outputs=None):
        st = {"gradient": t, "targets": list(targets), "sources": list(sources)}
        if og is not None: st["output_gradients"] = [T(o) for o in og]
        st["unconnected"] = unc
        if outputs: st["outputs"] = outputs
        return s._res(st, lambda: s.tapes[t].gradient([s.env[x] for x in targets], [s.env[x] for x in sources],
                      output_gradients=None if og is None else [tf.constant(o) for o in og], unconnected_gradients=UNC[unc]), outputs)
    def jac(s, t, target, sources, unc="none"):
        st = {"jacobian": t, "target": target, "sources": list(sources), "unconnected": unc}
        return s._res(st, lambda: s.tapes[t].jacobian(s.env[target], [s.env[x] for x in sources], unconnected_gradients=UNC[unc]))
    def bjac(s, t, target, source):
        st = {"batch_jacobian": t, "target": target, "source": source}
        r = s._res(st, lambda: s.tapes[t].batch_jacobian(s.env[target], s.env[source]))
        if r is not None: st["expect"] = st["expect"][0]
    def case(s):
        f = s.dt == F32
        return {"name": s.name, "about": s.about, "rtol": 2e-4 if f else 1e-9, "atol": 2e-5 if f else 1e-10, "steps": s.steps}

UN = ["Tanh", "Sin", "Sigmoid", "Square"]
BIN = ["AddV2", "Sub", "Mul"]

def rand_op(p, pool):
    return p.op(pick(UN), [pick(pool)]) if rng.random() < 0.45 else p.op(pick(BIN), [pick(pool), pick(pool)])

def record_assign(i):
    """Assignments interleaved with reads while a tape records; fetch, watched_variables, gradients."""
    dt = F32 if i % 2 == 0 else F64
    p, s = Prog(f"state/assign/{dt.__name__}/{i}", "variables assigned while a tape records", dt), (2, 3)
    pers, wav = bool(rng.random() < 0.5), bool(rng.random() < 0.8)
    p.var("v0", arr(s, dt)); p.var("v1", arr(s, dt)); p.var("n0", arr(s, dt), tr=False); p.const("c0", arr(s, dt)); p.const("c1", arr(s, dt))
    vars_, pool = ["v0", "v1", "n0"], ["v0", "v1", "n0", "c0", "c1"]
    p.tape("t", pers, wav)
    w = [r for r in ("n0", "c0", "v1") if rng.random() < 0.3]
    if w: p.watch("t", w)
    if rng.random() < 0.4:  # assign before any read
        p.assign(pick(vars_), pick(["assign", "add", "sub"]), value=arr(s, dt))
    res = []
    for k in range(int(rng.integers(4, 9))):
        if rng.random() < 0.3 and k > 0:
            src = pick(pool + res) if rng.random() < 0.5 else None
            p.assign(pick(vars_), pick(["assign", "add", "sub"]), value=None if src else arr(s, dt), source=src)
        else:
            paused = rng.random() < 0.15
            if paused: p.pause("t")
            r = rand_op(p, pool + res)
            if paused: p.resume("t")
            res.append(r)
    if rng.random() < 0.1:  # a shape or dtype the variable cannot take
        p.assign("v0", "add", value=arr((3,), dt) if rng.random() < 0.5 else arr(s, np.int32))
    p.stop("t"); p.fetch(vars_ + res[-2:]); p.watched("t")
    for q in range(2):
        tg = sorted(set(pick(res) for _ in range(int(rng.integers(1, 3)))))
        src = sorted(set(pick(pool + res) for _ in range(int(rng.integers(2, 6)))))
        og = [arr(s, dt, -1, 1) for _ in tg] if rng.random() < 0.3 else None
        p.grad("t", tg, src, og, pick(["none", "zero"]))
    if pers: p.jac("t", res[-1], ["v0", "n0", "c0"], pick(["none", "zero"]))
    return p.case()

def record_bjac(i):
    """batch_jacobian of a random per-example chain (or a target that mixes examples)."""
    dt = F32 if i % 2 == 0 else F64
    p = Prog(f"state/batch_jacobian/{dt.__name__}/{i}", "batch_jacobian on random chains", dt)
    B, D = int(rng.integers(2, 5)), int(rng.integers(1, 4))
    isvar, pers = bool(rng.random() < 0.35), bool(rng.random() < 0.6)
    (p.var if isvar else p.const)("x", arr((B, D), dt))
    p.const("c", arr((B, int(rng.integers(1, 3))), dt))
    p.tape("t", pers)
    if not isvar: p.watch("t", ["x"])
    h, cols, mids = "x", D, []
    for k in range(int(rng.integers(1, 4))):
        if h != "x" and k == 1: mids.append(h)  # an intermediate per-example source
        c = rng.random()
        if c < 0.35:
            h = p.op(pick(UN), [h])
        elif c < 0.55:
            n = p.const(p.fresh("k"), arr((cols,), dt)); h = p.op(pick(["Mul", "AddV2"]), [h, n])
        elif c < 0.8:
            H = int(rng.integers(1, 4)); w = p.fresh("w")
            (p.var if rng.random() < 0.4 else p.const)(w, arr((cols, H), dt, -1, 1))
            h, cols = p.op("MatMul", [h, w]), H
            if rng.random() < 0.5: h = p.op("BiasAdd", [h, p.const(p.fresh("b"), arr((H,), dt, -1, 1))])
        elif cols == D:
            h = p.op("Mul", [h, "x"])
    kind = pick(["plain", "sum", "softmax", "logsoftmax", "tanh_mm", "cross", "unconnected", "rank3", "bad"])
    p.name = f"state/batch_jacobian/{kind}/{dt.__name__}/{i}"
    if kind == "sum": tg = p.op("Sum", [h], {"axis": 1, "keep_dims": True})
    elif kind == "softmax": tg = p.op("Softmax", [h])
    elif kind == "logsoftmax": tg = p.op("LogSoftmax", [h])
    elif kind == "tanh_mm": tg = p.op("Tanh", [p.op("MatMul", [h, p.const("w2", arr((cols, 2), dt, -1, 1))])])
    elif kind == "cross": tg = p.op(pick(["Sub", "Mul"]), [h, p.op("Mean", [h], {"axis": 0, "keep_dims": True})])
    elif kind == "unconnected": tg = p.op("Tanh", ["c"])
    elif kind == "rank3": tg = p.op("ExpandDims", [h], {"axis": int(rng.integers(1, 3))})
    elif kind == "bad": tg = p.op("Sum", [h], {"axis": pick([1, 0]), "keep_dims": False})
    else: tg = h
    p.stop("t")
    src = mids[0] if mids and kind not in ("bad", "unconnected") and rng.random() < 0.25 else "x"
    p.bjac("t", tg, src)
    if pers or kind == "bad":  # a failed shape check leaves a non-persistent tape unused
        p.bjac("t", h, "x")
    p.grad("t", [h], ["x"], unc=pick(["none", "zero"]))  # FAILED_PRECONDITION once a non-persistent tape is used
    return p.case()

def record_jac(i):
    """jacobian w.r.t. tensors, variables, unwatched and integer sources; after a gradient on a
    persistent tape; the Hessian of an inner gradient recorded by an outer tape."""
    dt = F32 if i % 2 == 0 else F64
    p = Prog(f"state/jacobian/{dt.__name__}/{i}", "jacobian: unconnected, variables, persistent, hessian", dt)
    sx = shape(int(rng.integers(1, 3)))
    p.const("x", arr(sx, dt)); p.var("v", arr(sx[-1:], dt)); p.var("n", arr(sx[-1:], dt), tr=False)
    p.const("c", arr(sx, dt)); p.const("i", arr(sx, np.int32, -3, 3))
    kind = pick(["plain", "after_grad", "hessian"]); p.name = f"state/jacobian/{kind}/{dt.__name__}/{i}"
    if kind == "hessian": p.tape("o", bool(rng.random() < 0.5)); p.watch("o", ["x"])
    pers = kind == "after_grad" or rng.random() < 0.4
    p.tape("t", pers); p.watch("t", ["x", "i"])
    a = p.op("Mul", ["x", "v"]); b = p.op(pick(UN), [a]); ci = p.op("Cast", ["i"], {"dtype": dt.__name__})
    y = p.op(pick(["Mul", "AddV2", "Sub"]), [b, pick(["x", ci, "n", "c"])])
    if rng.random() < 0.5: y = p.op("Sum", [y], {"axis": -1, "keep_dims": bool(rng.random() < 0.5)})
    p.stop("t")
    srcs = ["x", "v", "n", "c", "i", a]
    if kind == "hessian":
        ys = p.op("Sum", [y], {"keep_dims": False})
        gs = p.grad("t", [ys], ["x", "v", "n"], unc=pick(["none", "zero"]), outputs=["gx", "gv", "gn"])
        p.stop("o")
        if gs is not None:
            for g in ("gx", "gv", "gn"):
                if g in p.env: p.jac("o", g, ["x", "v", "n", "c"], pick(["none", "zero"]))
        return p.case()
    if kind == "after_grad": p.grad("t", [y], srcs, unc=pick(["none", "zero"]))
    p.jac("t", y, srcs, pick(["none", "zero"]))
    p.jac("t", a, ["x", "v"], pick(["none", "zero"]))  # FAILED_PRECONDITION on a used non-persistent tape
    return p.case()

def record_nested(i):
    """Nested tapes, unconnected zero on inner and outer gradients, persistent inner asked twice."""
    dt = F32 if i % 2 == 0 else F64
    p, s = Prog(f"state/nested/{dt.__name__}/{i}", "nested tapes, unconnected zero, persistent inner", dt), (2, 2)
    p.var("v0", arr(s, dt)); p.var("v1", arr(s, dt), tr=False); p.const("x", arr(s, dt)); p.const("c", arr(s, dt))
    p.tape("o", bool(rng.random() < 0.5))
    if rng.random() < 0.6: p.watch("o", ["x"])
    pre = [rand_op(p, ["v0", "x", "c"]) for _ in range(int(rng.integers(0, 2)))]
    ip = bool(rng.random() < 0.6)
    p.tape("i", ip, bool(rng.random() < 0.8))
    p.watch("i", ["x"] + (["v1"] if rng.random() < 0.3 else []))
    pool = ["v0", "v1", "x", "c"] + pre
    res = [rand_op(p, pool)]
    for _ in range(int(rng.integers(1, 4))): res.append(rand_op(p, pool + res))
    p.stop("i")
    p.watched("i"); p.watched("o")
    parts = []
    for q in range(2 if ip else 1):
        srcs = ["v0", "v1", "x", "c"] + pre[:1]
        outs = [f"g{q}_{j}" for j in range(len(srcs))]
        gs = p.grad("i", [res[-1 - q] if q < len(res) else res[-1]], srcs, unc=pick(["zero", "none"]), outputs=outs)
        for o in outs:
            if gs is not None and o in p.env:
                parts.append(p.op("Mul", [p.op("Tanh", [o]), p.const(p.fresh("w"), arr(s, dt, -1, 1))]))
    p.stop("o")
    if parts:
        srcs = ["v0", "v1", "x", "c"] + pre + res[:1]
        p.grad("o", parts, srcs, unc=pick(["zero", "none"]))
    return p.case()

INT_BIN = ["AddV2", "Sub", "Mul", "Maximum", "Minimum", "SquaredDifference", "Pow", "RealDiv", "DivNoNan", "FloorDiv",
           "FloorMod"]
INT_OPS = INT_BIN + ["Neg", "Square", "Abs", "Relu", "Identity", "Sum", "Mean", "Max", "Min", "Prod", "Reshape",
                     "Transpose", "ConcatV2", "Pack", "Slice", "GatherV2", "Tile", "BroadcastTo", "ExpandDims", "Squeeze",
                     "Cast", "ArgMax", "OneHot", "Greater", "Less", "Equal", "SelectV2", "MatMul", "BiasAdd",
                     "Cumsum", "Cumprod", "Sign"]

def int_gen(op, it):
    """(integer inputs, attrs) for `op`."""
    s = shape(int(rng.integers(1, 4)))
    a = lambda sh, lo=-5, hi=5: arr(sh, it, lo, hi)
    if op in INT_BIN:
        s2 = bpartner(s)
        if op == "Pow": return [a(s, -3, 3), a(s2, 0, 3)], {}
        return [a(s), a(s2)], {}
    if op in ("Sum", "Mean", "Max", "Min", "Prod"):
        x = a(s, -3, 3) if op == "Prod" else a(s, -9, 9)
        at = {"keep_dims": bool(rng.random() < 0.5)}
        if rng.random() < 0.7: at["axis"] = int(rng.integers(-len(s), len(s))) if rng.random() < 0.5 else [int(rng.integers(0, len(s)))]
        return [x], at
    if op in ("Cumsum", "Cumprod"):
        return [a(s, -3, 3)], {"axis": int(rng.integers(-len(s), len(s))), "exclusive": bool(rng.random() < 0.5),
                               "reverse": bool(rng.random() < 0.5)}
    if op == "Reshape": return [a(s)], {"shape": [-1] if rng.random() < 0.5 else [1, int(np.prod(s))]}
    if op == "Transpose": return [a(s)], {"perm": [int(v) for v in rng.permutation(len(s))]}
    if op == "ExpandDims": return [a(s)], {"axis": int(rng.integers(-len(s) - 1, len(s) + 1))}
    if op == "Squeeze": return [a((1,) + s)], {"axis": [0]}
    if op == "ConcatV2": return [a(s), a(s)], {"axis": int(rng.integers(0, len(s)))}
    if op == "Pack": return [a(s), a(s), a(s)], {"axis": int(rng.integers(0, len(s) + 1))}
    if op == "Slice":
        b = [int(rng.integers(0, d)) for d in s]
        return [a(s)], {"begin": b, "size": [int(rng.integers(1, d - q + 1)) if rng.random() < 0.7 else -1 for d, q in zip(s, b)]}
    if op == "GatherV2":
        ax = int(rng.integers(0, len(s)))
        return [a(s), rng.integers(0, s[ax], size=shape(int(rng.integers(0, 3)))).astype(pick([np.int32, np.int64]))], {"axis": ax}
    if op == "Tile": return [a(s)], {"multiples": [int(rng.integers(1, 3)) for _ in s]}
    if op == "BroadcastTo": return [a(bpartner(s))], {"shape": list(s)}
    if op == "Cast":
        c = rng.random()
        if c < 0.3: return [(rng.integers(-8, 9, size=s) / 4).astype(pick([F32, F64]))], {"dtype": it.__name__}  # truncation
        if c < 0.5: return [rng.random(s) < 0.5], {"dtype": it.__name__}
        if c < 0.6: return [(rng.integers(-3, 3, size=s) + 2**31 * rng.integers(-2, 3, size=s)).astype(np.int64)], {"dtype": "int32"}  # wraps
        return [a(s)], {"dtype": pick(["float32", "float64", "int32", "int64", "bool"])}
    if op == "ArgMax": return [a(s, -2, 2)], {"axis": int(rng.integers(0, len(s)))}
    if op == "OneHot":
        at = {"depth": int(rng.integers(1, 5))}
        if rng.random() < 0.5: at["dtype"] = pick(["float32", "int32", "float64"])
        return [a(s, -1, 4)], at
    if op in ("Greater", "Less", "Equal"): return [a(s, -2, 2), a(bpartner(s), -2, 2)], {}
    if op == "SelectV2": return [rng.random(bpartner(s)) < 0.5, a(s), a(bpartner(s))], {}
    if op == "MatMul": return [a((2, 3)), a((3, int(rng.integers(1, 3))))], {}
    if op == "BiasAdd": return [a(s + (2,)), a((2,))], {}
    return [a(s)], {}

def record_int(i):
    """An integer op under a tape watching its (integer) inputs, mixed with a float source via Cast."""
    op, it, dt = INT_OPS[i % len(INT_OPS)], pick([np.int32, np.int64]), F32 if i % 2 == 0 else F64
    p = Prog(f"state/int/{op}/{it.__name__}/{i}", "integer forward values; no gradients for integers", dt)
    xs, attrs = int_gen(op, it)
    names = [p.const(f"a{j}", x) for j, x in enumerate(xs)]
    p.const("f", arr((2,), dt))
    p.tape("t", True)
    p.watch("t", names + ["f"])
    r = p.op(op, names, attrs)
    fi = p.op("Cast", ["f"], {"dtype": it.__name__})   # float -> int detour: no gradient back to f
    fs = p.op("Sum", [p.op("Square", ["f"])], {"keep_dims": False})
    if r is None:
        p.stop("t"); p.grad("t", [fs], ["f", "a0"], unc=pick(["none", "zero"]))
        return p.case()
    rf = p.op("Cast", [r], {"dtype": dt.__name__})
    y = p.op("Mul", [rf, fs])
    mix = pick(["AddV2", "Mul"])
    if rng.random() < 0.2:  # int with float or int32 with int64: INVALID_ARGUMENT
        p.op(mix, [names[0], pick(["f", p.const("o", arr((2,), np.int64 if it == np.int32 else np.int32))])])
    if rng.random() < 0.15: p.op(pick(["Tanh", "Exp", "Sqrt", "Softmax"]), [names[0]])  # float-only op on ints
    p.stop("t")
    p.fetch([r, fi, rf, y])
    p.grad("t", [y], names + ["f", r, rf], unc=pick(["none", "zero"]))
    p.grad("t", [r], ["f"] + names, unc=pick(["none", "zero"]))  # integer target
    if rng.random() < 0.5:
        p.jac("t", y, ["f", names[0]], pick(["none", "zero"]))
    return p.case()

def record_misc(i):
    """Tape bookkeeping users hit."""
    dt = F32 if (i + i // 8) % 2 == 0 else F64
    kind = ["target_is_source", "paused_read", "og_zero", "shared", "nested_watched", "og_errors", "self_record",
            "reset_late"][i % 8]
    p, s = Prog(f"state/misc/{kind}/{dt.__name__}/{i}", "tape bookkeeping: " + kind, dt), (2, 3)
    p.const("x", arr(s, dt)); p.const("c", arr(s, dt)); p.var("v", arr(s, dt)); p.var("u", arr(s, dt))
    if kind == "target_is_source":
        p.const("k", arr(s, np.int32, -3, 3)); p.tape("t", True); p.watch("t", ["x", "k"])
        y = p.op(pick(UN), ["x"])
        p.stop("t")
        p.grad("t", ["x"], ["x"]); p.grad("t", ["c"], ["c", "x"], unc=pick(["none", "zero"]))
        p.grad("t", ["x", y], ["x", y]); p.grad("t", ["v"], ["v", "u"]); p.grad("t", [y], ["x", "x"])
        p.grad("t", ["k"], ["k", "x"], unc=pick(["none", "zero"]))  # an integer target that is its own source
        for tg in ("x", "c", "v"): p.jac("t", tg, [tg])
        p.bjac("t", "x", "x"); p.watched("t")
    elif kind == "paused_read":
        p.tape("t", bool(rng.random() < 0.5)); p.watch("t", ["x"])
        p.pause("t"); a = p.op(pick(UN), ["v"]); p.resume("t")
        y = p.op("Mul", [a, p.op(pick(UN), ["x"])])
        if rng.random() < 0.5: y = p.op("Mul", [y, "u"])
        p.stop("t")
        p.watched("t"); p.grad("t", [y], ["v", "u", "x", a], unc=pick(["none", "zero"]))
    elif kind == "og_zero":
        p.tape("t", False); p.watch("t", ["x"])
        y1 = p.op(pick(UN), ["x"]); y2 = p.op("Mul", ["v", y1]); y3 = p.op(pick(UN), ["c"])
        p.stop("t")
        p.grad("t", [y1, y2, y3], ["x", "v", "u", "c", y3], og=[arr(s, dt, -1, 1) for _ in range(3)], unc="zero")
    elif kind == "shared":
        p.tape("t", True); p.watch("t", ["x"])
        h = p.op("Tanh", [p.op("Mul", ["x", "v"])])
        y1 = p.op("Mul", [h, h]); y2 = p.op(pick(UN), [h]); y3 = p.op("AddV2", [y1, y2])
        p.stop("t")
        p.grad("t", [y1, y2, h, y3], ["x", "v", h, y1], unc=pick(["none", "zero"]))
        p.grad("t", [y3, y3], ["x", h], og=[arr(s, dt, -1, 1), arr(s, dt, -1, 1)])
    elif kind == "nested_watched":
        p.var("n", arr(s, dt), tr=False)
        p.tape("o", True, bool(rng.random() < 0.7)); a = p.op("Mul", ["v", "x"])
        p.tape("i", True, bool(rng.random() < 0.7))
        if rng.random() < 0.5: p.watch("i", ["n"])
        b = p.op("Mul", ["u", a])
        if rng.random() < 0.5:
            p.pause("i"); b = p.op("Mul", [b, "n"]); p.resume("i")
        p.stop("i")
        e = p.op("Mul", [b, "v"])
        p.stop("o")
        p.watched("i"); p.watched("o")
        p.grad("i", [b], ["v", "u", "n", a], unc=pick(["none", "zero"])); p.grad("o", [e], ["v", "u", "n"])
    elif kind == "self_record":  # a persistent tape records its own gradient: second derivative from one tape
        p.tape("t", True); p.watch("t", ["x"])
        y = p.op(pick(["Mul", "AddV2"]), [p.op(pick(UN), ["x"]), p.op(pick(UN), ["v"])])
        p.grad("t", [y], ["x", "v"], outputs=["gx", "gv"])
        h = p.op("Mul", ["gx", p.op(pick(UN), ["gv"])])
        p.stop("t")
        p.grad("t", [h], ["x", "v", "gx"]); p.grad("t", ["gx", y], ["x", y], unc=pick(["none", "zero"]))
    elif kind == "reset_late":  # reset forgets reads and watches; a watch after an op does not reach back
        p.tape("t", True); q = p.op("Mul", ["v", "x"]); p.reset("t")
        y = p.op("Square", ["c"]); p.watch("t", ["c"]); z = p.op("Mul", [y, "c"]); z = p.op("Mul", [z, "u"])
        p.stop("t")
        p.watched("t"); p.grad("t", [z], ["c", "v", "u"]); p.grad("t", [q], ["v", "x"], unc=pick(["none", "zero"]))
    else:
        p.tape("t", True); p.watch("t", ["x"])
        y = p.op("Mul", [p.op("Square", ["x"]), "v"])
        p.stop("t")
        p.grad("t", [y], ["x"], og=[arr((4,), dt)])                      # wrong shape
        p.grad("t", [y], ["x"], og=[arr(s, F64 if dt == F32 else F32)])  # wrong dtype
        p.grad("t", [y], ["x", "v"])                                       # the tape still works
    return p.case()

if __name__ == "__main__":  # tf_pinned_cases.py imports the recorder
    cases = [gen(i) for gen, k in ((record_assign, 8), (record_bjac, 8), (record_jac, 8), (record_nested, 6), (record_misc, 12))
             for i in range(max(1, N * k // 6))]
    cases += [record_int(i) for i in range(len(INT_OPS) * max(1, N // 3))]
    json.dump({"format": "gradient-conformance/1", "generated_by": "tf_random_state (TensorFlow %s)" % tf.__version__,
               "cases": cases}, sys.stdout)
