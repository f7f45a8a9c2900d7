"""TensorFlow answers that gradd once got wrong, recorded from real TensorFlow 2.21 into the
fixture tests/data/tf-pinned.json (tests/conformance.rs replays it on every test run):

    .venv-bench/bin/python scripts/tf_pinned_cases.py > tests/data/tf-pinned.json

Each program is the smallest one that showed a difference found by the random generators
(tf_random_state.py, tf_special_values.py), plus every op of the conformance table applied to
int32, int64 and bool inputs (TensorFlow's value, or its error code). Regenerate it with
TensorFlow; never edit the JSON by hand.
"""
import json, sys
import numpy as np
import tensorflow as tf

sys.argv = sys.argv[:1]  # the recorder's module-level rng reads a seed from argv
sys.path.insert(0, __import__("os").path.dirname(__file__))
from tf_random_state import Prog, F32, T, CODES  # noqa: E402

R = tf.raw_ops
i32 = np.int32
CASES = []


def save(*progs):
    CASES.extend(p.case() for p in progs)


# 1 integer / bool sources with unconnected zero
p = Prog("repro/int_source_zero/gradient", "unconnected zero gives integer zeros for a watched int source")
p.const("i", np.array([1, 2], i32)); p.const("f", np.array([0.5, -1.0], F32))
p.tape("t", True); p.watch("t", ["i", "f"]); y = p.op("Mul", ["f", p.op("Cast", ["i"], {"dtype": "float32"})]); p.stop("t")
p.grad("t", [y], ["i"], unc="zero")
q = Prog("repro/int_source_zero/jacobian", "jacobian with unconnected zero w.r.t. an int source")
q.const("i", np.array([1, 2], i32)); q.const("f", np.array([0.5, -1.0], F32))
q.tape("t", True); q.watch("t", ["f"]); y = q.op("Square", ["f"]); q.stop("t")
q.jac("t", y, ["i"], unc="zero")
b = Prog("repro/int_source_zero/bool", "unconnected zero gives bool zeros (False) for a bool source")
b.const("f", np.array([0.5, -1.0], F32)); b.tape("t", True); b.watch("t", ["f"])
m = b.op("Greater", ["f", "f"]); y = b.op("Square", ["f"]); b.stop("t")
b.grad("t", [y], [m], unc="zero")
save(p, q, b)

# 2 integer target that is its own source
p = Prog("repro/int_target_is_source", "d k / d k for an int32 tensor k: TF returns int ones")
p.const("k", np.array([3, -1], i32)); p.tape("t", True); p.stop("t")
p.grad("t", ["k"], ["k"])
save(p)

# 3 assign marks variables as accessed
p = Prog("repro/assign_watches/literal", "v.assign_add(literal) inside a tape: TF watches v")
p.var("v", np.array([1.0, 2.0], F32)); p.tape("t"); p.assign("v", "add", value=np.array([1.0, 1.0], F32)); p.stop("t")
p.watched("t")
q = Prog("repro/assign_watches/source_variable", "v.assign(w) with w not trainable... w trainable: reading w watches it")
q.var("v", np.array([1.0, 2.0], F32), tr=False); q.var("w", np.array([3.0, 4.0], F32))
q.tape("t"); q.assign("v", "assign", source="w"); q.stop("t"); q.watched("t")
save(p, q)

# 4 jacobian of a variable target reads (and watches) it
p = Prog("repro/jacobian_variable_target_watches", "jacobian(v, [v]) reads v on the tape: TF watches v")
p.var("v", np.array([1.0, 2.0], F32)); p.tape("t", True); p.stop("t")
p.jac("t", "v", ["v"]); p.watched("t")
save(p)

# 5 jacobian of an unwatched constant w.r.t. itself
p = Prog("repro/jacobian_unwatched_target_is_source", "jacobian(c, [c]) with c unwatched: None (gradient(c, c) is ones)")
p.const("c", np.array([1.0, 2.0], F32)); p.tape("t", True); p.stop("t")
p.grad("t", ["c"], ["c"]); p.jac("t", "c", ["c"])
save(p)

# 6 batch_jacobian target rank < 2
p = Prog("repro/batch_jacobian_rank1_target", "batch_jacobian of a rank-1 target: TF ValueError")
p.const("x", np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], F32)); p.tape("t", True); p.watch("t", ["x"])
y = p.op("Sum", [p.op("Square", ["x"])], {"axis": 1, "keep_dims": False}); p.stop("t")
p.bjac("t", y, "x")
q = Prog("repro/batch_jacobian_batch_mismatch", "batch_jacobian with different first dims: TF ValueError")
q.const("x", np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], F32)); q.tape("t", True); q.watch("t", ["x"])
y = q.op("Sum", [q.op("Square", ["x"])], {"axis": 0, "keep_dims": True}); q.stop("t")
q.bjac("t", y, "x")
r = Prog("repro/batch_jacobian_error_keeps_tape", "a failed batch_jacobian shape check leaves a non-persistent tape usable")
r.const("x", np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], F32)); r.tape("t"); r.watch("t", ["x"])
h = r.op("Square", ["x"]); y = r.op("Sum", [h], {"axis": 0, "keep_dims": True}); r.stop("t")
r.bjac("t", y, "x"); r.bjac("t", h, "x")
save(p, q, r)

# 7 integer ops TF supports
progs = []
for op, xs, at in [("SquaredDifference", [[3, -2], [1, 4]], {}), ("Pow", [[2, -3], [3, 2]], {}), ("MatMul", [[[1, 2]], [[3], [4]]], {}),
                   ("Relu", [[3, -2]], {}), ("Mean", [[[-7, 2], [3, 4]]], {"axis": 1, "keep_dims": False})]:
    for it in (np.int32, np.int64):
        p = Prog(f"repro/int_op/{op}/{it.__name__}", f"{op} on {it.__name__}: TF computes it")
        ns = [p.const(f"a{j}", np.array(x, it)) for j, x in enumerate(xs)]
        r = p.op(op, ns, at); p.fetch([r])
        progs.append(p)
save(*progs)

# 8 RealDiv on ints
progs = []
for it in (np.int32, np.int64):
    p = Prog(f"repro/int_realdiv/{it.__name__}", "raw RealDiv has no integer kernel: TF NotFoundError")
    p.const("a", np.array([7, -7], it)); p.const("b", np.array([2, 2], it)); p.op("RealDiv", ["a", "b"])
    progs.append(p)
save(*progs)


# 9 a reduction whose reduced axes all have size 1 copies its input (TF's "reduces nothing"
# case), so -0.0 stays -0.0; the format does not compare signed zeros, but Reciprocal makes it
# -inf, and infinities are compared exactly. Also the whole of a one-element tensor, keep_dims,
# and the gradient through both ops.
progs = []
for op in ("Sum", "Mean", "Prod", "Max", "Min"):
    for dt, x, attrs in [(F32, [[-0.0, 2.0]], {"axis": 0, "keep_dims": False}),
                         (np.float64, [[-0.0], [4.0]], {"axis": [1], "keep_dims": True}),
                         (F32, [-0.0], {"keep_dims": False})]:
        p = Prog(f"repro/size_one_reduction/{op}/{dt.__name__}/{len(progs)}",
                 f"{op} over size-1 axes copies its input: -0.0 stays -0.0 (1/x is -inf)", dt)
        p.const("x", np.array(x, dt)); p.tape("t", True); p.watch("t", ["x"])
        y = p.op(op, ["x"], attrs); r = p.op("Reciprocal", [y]); p.stop("t")
        p.fetch([y, r]); p.grad("t", [y], ["x"])
        progs.append(p)
save(*progs)

# 10 more signed zeros (tests/signed_zeros.rs has the rules): Maximum/Minimum on ties of 0.0 and
# -0.0 give y's zero in TF's vector lanes and x's in its scalar tail; Max/Min reductions give
# the later tied element; Neg(0.0) is -0.0, Abs(-0.0) and Sign(-0.0) are 0.0, Relu(-0.0) -0.0.
# Each result goes through Reciprocal, whose +-inf the comparison checks exactly.
progs = []
Z = lambda v, dt: np.array(v, dt)
zp = [0.0, -0.0, -0.0, 0.0, 0.0, -0.0, 0.0, -0.0, -0.0, 0.0, -0.0, 0.0, 0.0]
zq = [-0.0, 0.0, 0.0, -0.0, -0.0, 0.0, -0.0, 0.0, 0.0, -0.0, 0.0, -0.0, -0.0]
for op in ("Maximum", "Minimum"):
    for dt, xs in [(F32, [Z(zp, F32), Z(zq, F32)]), (np.float64, [Z(zp[:7], np.float64), Z(zq[:7], np.float64)]),
                   (F32, [Z(-0.0, F32), Z(zp[:11], F32)]), (np.float64, [Z(zq[:6], np.float64), Z(0.0, np.float64)]),
                   (F32, [Z(zp[:12], F32).reshape(2, 6), Z(zq[:6], F32)])]:
        p = Prog(f"repro/signed_zero_ties/{op}/{dt.__name__}/{len(progs)}",
                 f"{op} on ties of 0.0 and -0.0: y's zero in TF's vector lanes, x's in its tail", dt)
        p.const("x", xs[0]); p.const("y", xs[1])
        m = p.op(op, ["x", "y"]); r = p.op("Reciprocal", [m]); p.fetch([m, r])
        progs.append(p)
for op, x, attrs in [("Max", [[0.0, -0.0], [-0.0, 0.0]], {"axis": 0, "keep_dims": False}),
                     ("Min", [[0.0, -0.0, 0.0, -0.0, -0.0, 0.0, 0.0, 0.0, -0.0]], {"axis": 1, "keep_dims": True}),
                     ("Neg", [0.0, -0.0, 1.0], None), ("Abs", [-0.0, 0.0, -2.0], None),
                     ("Sign", [-0.0, 0.0, -2.0], None), ("Relu", [-0.0, 0.0, 2.0], None)]:
    for dt in (F32, np.float64):
        p = Prog(f"repro/signed_zero/{op}/{dt.__name__}", f"{op} at signed zeros, as TF", dt)
        p.const("x", Z(x, dt)); p.tape("t", True); p.watch("t", ["x"])
        m = p.op(op, ["x"], attrs); r = p.op("Reciprocal", [m]); p.stop("t")
        p.fetch([m, r]); p.grad("t", [m], ["x"])
        progs.append(p)
save(*progs)

# Every op of the table on integer and bool inputs: TensorFlow's value or its error code.
UNARY = {"Identity": "input", "StopGradient": "input", "Neg": "x", "Square": "x", "Sqrt": "x", "Rsqrt": "x",
         "Reciprocal": "x", "Exp": "x", "Log": "x", "Log1p": "x", "Abs": "x", "Sin": "x", "Cos": "x", "Tanh": "x",
         "Sigmoid": "x", "Relu": "features", "LeakyRelu": "features", "Elu": "features", "Softplus": "features",
         "Softmax": "logits", "LogSoftmax": "logits", "Sign": "x", "Floor": "x", "Tan": "x", "Atan": "x", "Asin": "x",
         "Acos": "x", "Sinh": "x", "Cosh": "x", "Expm1": "x", "Erf": "x", "Erfc": "x", "Ceil": "x", "Round": "x", "LogicalNot": "x"}
BINARY = ["AddV2", "Sub", "Mul", "RealDiv", "Pow", "Maximum", "Minimum", "SquaredDifference", "Greater", "Less", "Equal",
          "FloorDiv", "FloorMod", "NotEqual", "LogicalAnd", "LogicalOr"]


def dtype_case(name, xs, op, attrs, fn):
    steps = [{"constant": f"x{i}", "value": T(x)} for i, x in enumerate(xs)]
    st = {"op": op, "inputs": [f"x{i}" for i in range(len(xs))], "outputs": ["y"]}
    if attrs:
        st["attrs"] = attrs
    try:
        y = fn(*[tf.constant(x) for x in xs])
        steps += [st, {"fetch": ["y"], "expect": [T(y.numpy())]}]
    except tf.errors.OpError as e:
        st["expect_error"] = CODES[type(e)]
        steps += [st, {"fetch": ["x0"], "expect": [T(xs[0])]}]
    CASES.append({"name": f"dtype/{name}", "about": "an op on integer or bool inputs", "rtol": 1e-6, "atol": 1e-6,
                  "steps": steps})


rng = np.random.default_rng(0)
for dt in (np.int32, np.int64, np.bool_):
    a = rng.integers(-3, 4, size=(2, 3)).astype(dt)
    b = rng.integers(0, 3, size=(2, 3)).astype(dt)
    n = dt.__name__
    for op, arg in UNARY.items():
        dtype_case(f"{op}/{n}", [a], op, {}, lambda x, op=op, arg=arg: getattr(R, op)(**{arg: x}))
    for op in BINARY:
        dtype_case(f"{op}/{n}", [a, b], op, {}, lambda x, y, op=op: getattr(R, op)(x=x, y=y))
    for op in ["Sum", "Mean", "Max", "Min", "Prod"]:
        dtype_case(f"{op}/{n}", [a], op, {"axis": 1, "keep_dims": False},
                   lambda x, op=op: getattr(R, op)(input=x, axis=1, keep_dims=False))
    dtype_case(f"MatMul/{n}", [a, a.T.copy()], "MatMul", {"transpose_b": False}, lambda x, y: R.MatMul(a=x, b=y))
    dtype_case(f"BatchMatMulV2/{n}", [a[None], a[None]], "BatchMatMulV2", {"adj_y": True},
               lambda x, y: R.BatchMatMulV2(x=x, y=y, adj_y=True))
    dtype_case(f"BiasAdd/{n}", [a, b[0]], "BiasAdd", {}, lambda x, y: R.BiasAdd(value=x, bias=y))
    dtype_case(f"ArgMax/{n}", [a], "ArgMax", {"axis": 1}, lambda x: R.ArgMax(input=x, dimension=1))
    dtype_case(f"Cast/{n}", [a], "Cast", {"dtype": "float32"}, lambda x: R.Cast(x=x, DstT=tf.float32))
    dtype_case(f"Tile/{n}", [a], "Tile", {"multiples": [2, 1]}, lambda x: R.Tile(input=x, multiples=[2, 1]))
    dtype_case(f"DivNoNan/{n}", [a, b], "DivNoNan", {}, lambda x, y: R.DivNoNan(x=x, y=y))
    for op in ["Cumsum", "Cumprod"]:
        dtype_case(f"{op}/{n}", [a], op, {"axis": 1, "exclusive": True},
                   lambda x, op=op: getattr(R, op)(x=x, axis=1, exclusive=True))
for it in (np.int32, np.int64):
    n = it.__name__
    big = np.array([3, -3, 2, 0], it), np.array([40, 41, 70, 0], it)
    dtype_case(f"Pow/wraps/{n}", list(big), "Pow", {}, lambda x, y: R.Pow(x=x, y=y))
    info = np.iinfo(it)
    num, den = np.array([7, -7, 7, -7, 0, info.min, info.min], it), np.array([2, 2, -2, -2, -3, -1, 3], it)
    for op in ("FloorDiv", "FloorMod"):
        dtype_case(f"{op}/signs/{n}", [num, den], op, {}, lambda x, y, op=op: getattr(R, op)(x=x, y=y))
    dtype_case(f"Pow/negative_exponent/{n}", [np.array([2], it), np.array([-1], it)], "Pow", {},
               lambda x, y: R.Pow(x=x, y=y))
    dtype_case(f"Mean/truncates/{n}", [np.array([-3, -4, 2], it)], "Mean", {"axis": 0, "keep_dims": False},
               lambda x: R.Mean(input=x, axis=0, keep_dims=False))

# Special values (tf_special_values.py's recorder, with output gradients and the outer
# tape's weights fixed): NaN/inf/zero/overflow cases where gradd once differed.
import tf_special_values as SV  # noqa: E402


class _Ones:  # the recorder draws the outer tape's weights from rng.uniform: make them 1
    def uniform(self, lo, hi, size=None):
        return np.ones(size)


SV.rng = _Ones()
OG = [1.0]  # the output gradient of the case being recorded
SV.ograd = lambda shape, dt: np.full(shape, OG[0], dt)
inf, nan, F64 = np.inf, np.nan, np.float64
A = np.array
dtype_case("NotEqual/nan", [A([nan, 1.0, 2.0, -0.0], F32), A([nan, 1.0, 3.0, 0.0], F32)], "NotEqual", {},
           lambda x, y: R.NotEqual(x=x, y=y))
dtype_case("NotEqual/broadcast", [A([[1.0], [2.0]], F64), A([1.0, 2.0, 3.0], F64)], "NotEqual", {},
           lambda x, y: R.NotEqual(x=x, y=y))
dtype_case("LogicalAnd/broadcast", [A([[True], [False]]), A([True, False, True])], "LogicalAnd", {},
           lambda x, y: R.LogicalAnd(x=x, y=y))
dtype_case("LogicalOr/broadcast", [A([[True], [False]]), A([True, False, True])], "LogicalOr", {},
           lambda x, y: R.LogicalOr(x=x, y=y))
dtype_case("LogicalAnd/float", [A([1.0], F32), A([0.0], F32)], "LogicalAnd", {}, lambda x, y: R.LogicalAnd(x=x, y=y))
SPECIAL = [
    ("maximum_1_nan", "Maximum", [A([1.0], F32), A([nan], F32)], {}, False),
    ("minimum_nan_1", "Minimum", [A([nan], F64), A([1.0], F64)], {}, False),
    ("max_neg_inf", "Max", [A([-inf, -inf], F32)], {"axis": 0, "keep_dims": False}, False),
    ("min_pos_inf", "Min", [A([inf, inf], F64)], {"axis": 0, "keep_dims": False}, False),
    ("max_empty", "Max", [np.zeros((0,), F32)], {"axis": 0, "keep_dims": False}, False),
    ("elu_nan", "Elu", [A([nan], F32)], {}, False),
    ("elu_0_second", "Elu", [A([0.0], F32)], {}, True),
    ("elu_tiny_neg_second", "Elu", [A([-1e-10], F32)], {}, True),
    ("prod_inf", "Prod", [A([inf, 2.0], F32)], {"axis": 0, "keep_dims": False}, False),
    ("prod_nan", "Prod", [A([nan, 2.0], F64)], {"axis": 0, "keep_dims": False}, False),
    ("prod_inf_zero", "Prod", [A([inf, 0.0, 2.0], F32)], {"axis": 0, "keep_dims": False}, False),
    ("prod_overflow", "Prod", [A([2e19, 2e19, 2.0], F32)], {"axis": 0, "keep_dims": False}, False),
    ("prod_one_zero_second", "Prod", [A([0.0, 2.0, -3.0], F32)], {"axis": 0, "keep_dims": False}, True),
    ("prod_two_zeros_second", "Prod", [A([0.0, 0.0, -3.0], F64)], {"axis": 0, "keep_dims": False}, True),
    ("prod_underflow_second", "Prod", [A([1e-30, 1e-30, 3.0], F32)], {"axis": 0, "keep_dims": False}, True),
    # Prod's second derivative runs through Cumprod's gradient (div_no_nan) as in TensorFlow:
    # infinities and overflow give TF's inf/NaN pattern, not NaN from subtracting.
    ("prod_nonfinite_second", "Prod", [A([[nan, inf, -0.94, -1.39], [inf, -1.45, -0.52, -0.45],
                                          [1.12, -0.65, -1.89, -0.85]], F32)], {"axis": 0, "keep_dims": False}, True),
    ("prod_inf_rows_second", "Prod", [A([[inf, 2.0, -1.5], [0.5, -inf, 3.0]], F64)], {"axis": 1, "keep_dims": True}, True),
    ("prod_overflow_second", "Prod", [A([[2e19, 2e19, 2.0], [1e-30, 1e-30, 3.0]], F32)], {"axis": 1, "keep_dims": False}, True),
    ("cumsum_exclusive_reverse_second", "Cumsum", [A([[1.5, -2.0, 0.5], [3.0, 0.25, -1.0]], F32)],
     {"axis": 1, "exclusive": True, "reverse": True}, True),
    ("cumsum_axis0", "Cumsum", [A([[1.5, -2.0, 0.5], [3.0, 0.25, -1.0]], F64)], {"axis": 0}, True),
    ("cumsum_int", "Cumsum", [A([1, 2, 3], i32)], {"axis": 0}, False),
    ("cumprod_second", "Cumprod", [A([[1.5, -2.0, 0.5], [3.0, 0.25, -1.0]], F64)], {"axis": -1}, True),
    ("cumprod_exclusive_zero_second", "Cumprod", [A([2.0, 0.0, 3.0], F32)], {"axis": 0, "exclusive": True}, True),
    ("cumprod_reverse_inf", "Cumprod", [A([inf, 0.0, 2.0], F32)], {"axis": 0, "reverse": True}, True),
    ("div_no_nan_zeros_second", "DivNoNan", [A([1.0, -2.0, 0.0, 3.0], F32), A([0.0, 4.0, 0.0, -0.5], F32)], {}, True),
    ("div_no_nan_broadcast_second", "DivNoNan", [A([[1.0, 2.0], [3.0, 4.0]], F64), A([0.0, 2.0], F64)], {}, True),
    # float32 Softmax is oneDNN's in TF: rows with inf/NaN keep their finite entries' zeros
    # (float64, Eigen's, is NaN for the whole row).
    ("softmax_nonfinite_f32", "Softmax", [A([[inf, inf, 0.0], [-inf, -inf, -inf], [nan, 0.0, 1.0], [inf, 0.0, 1.0],
                                            [-inf, inf, 0.0], [-inf, 0.0, 1.0], [0.0, nan, 1.0], [1.0, 0.0, nan],
                                            [nan, nan, 2.0], [2.0, -inf, inf], [-inf, -inf, nan],
                                            [nan, -inf, 3.0]], F32)], {}, True),
    ("softmax_nonfinite_f64", "Softmax", [A([[inf, inf, 0.0], [nan, 0.0, 1.0], [-inf, 0.0, 1.0]], F64)], {}, True),
    ("softmax_nan_wide_f32", "Softmax", [A([[0.5] * 7 + [nan] + [1.0] * 12, [-1.0] * 19 + [inf],
                                            [2.0] * 17 + [nan, -inf, 1.0], [nan] + [0.0] * 18 + [-inf]], F32)], {}, True),
    ("floormod_special", "FloorMod", [A([5.5, -5.5, 5.5, -5.5, 0.0, -0.0, inf, 1.0, -1.0, nan, 7.0], F32),
                                      A([2.0, 2.0, -2.0, -2.0, 3.0, 3.0, 2.0, inf, inf, 1.0, 0.0], F32)], {}, True),
    ("floordiv_special", "FloorDiv", [A([5.5, -5.5, 5.5, -5.5, 0.0, -0.0, inf, 1.0, -1.0, nan, 7.0], F64),
                                      A([2.0, 2.0, -2.0, -2.0, 3.0, 3.0, 2.0, inf, inf, 1.0, 0.0], F64)], {}, True),
    ("floormod_broadcast_second", "FloorMod", [A([[5.25, -3.5], [1.25, 9.0]], F64), A([2.5, -1.5], F64)], {}, True),
    ("sign_special", "Sign", [A([-2.0, -0.0, 0.0, 3.0, nan, inf, -inf], F32)], {}, True),
    ("floor_special", "Floor", [A([-1.5, -0.0, 0.5, 2.0, nan, -inf, 1e300], F64)], {}, True),
    ("cast_nan_i32", "Cast", [A([nan], F32)], {"dtype": "int32"}, False),
    ("cast_inf_i32", "Cast", [A([inf], F32)], {"dtype": "int32"}, False),
    ("cast_big_i32", "Cast", [A([1e10], F64)], {"dtype": "int32"}, False),
    ("cast_nan_i64", "Cast", [A([nan], F64)], {"dtype": "int64"}, False),
    ("argmax_nan_first", "ArgMax", [A([nan, 1.0, 2.0], F32)], {"axis": 0}, False),
    ("reshape_0x3_to_0_m1", "Reshape", [np.zeros((0, 3), F32)], {"shape": [0, -1]}, False),
    ("reshape_2x0x3_to_m1_0", "Reshape", [np.zeros((2, 0, 3), F64)], {"shape": [-1, 0]}, False),
    # An incoming gradient of 0 gives 0 through Sqrt/Rsqrt/Reciprocal, even at inf or NaN.
    ("sqrt_0_zero_og", "Sqrt", [A([0.0], F32)], {}, False, 0.0),
    ("rsqrt_neg_zero_og", "Rsqrt", [A([-1.0], F64)], {}, False, 0.0),
    ("reciprocal_0_zero_og", "Reciprocal", [A([0.0], F32)], {}, False, 0.0),
    ("log_0_second_zero_og", "Log", [A([0.0], F64)], {}, True, 0.0),
    ("sqrt_second", "Sqrt", [A([0.5, 2.0], F64)], {}, True),
    ("rsqrt_second", "Rsqrt", [A([0.5, 2.0], F32)], {}, True),
    ("reciprocal_second", "Reciprocal", [A([-0.5, 2.0], F64)], {}, True),
    # The trigonometric, hyperbolic and error-function ops (session 7): edges, overflow, NaN.
    ("tan_second", "Tan", [A([-1.2, -0.3, 0.0, 0.7, 1.4, 1.5707964, nan], F32)], {}, True),
    ("tan_second_f64", "Tan", [A([-1.2, 0.0, 1.4, inf], F64)], {}, True),
    ("atan_special_second", "Atan", [A([-inf, -2.0, -0.0, 0.5, 1e20, inf, nan], F64)], {}, True),
    ("atan_second_f32", "Atan", [A([-3.0, 0.25, 1e20], F32)], {}, True),
    ("asin_edges_second", "Asin", [A([-1.0, -0.5, 0.0, 0.9, 1.0, 1.5, nan], F32)], {}, True),
    ("acos_edges_second", "Acos", [A([-1.0, -0.5, 0.0, 0.9, 1.0, -1.5], F64)], {}, True),
    ("sinh_overflow_second", "Sinh", [A([-100.0, -1.0, 0.0, 2.0, 89.0, 100.0, nan], F32)], {}, True),
    ("cosh_overflow_second", "Cosh", [A([-800.0, -1.0, 0.0, 2.0, 710.0, inf], F64)], {}, True),
    ("expm1_special_second", "Expm1", [A([-inf, -1e-10, 0.0, 1e-10, 1.0, 100.0, nan], F32)], {}, True),
    ("expm1_f64_second", "Expm1", [A([-30.0, -1e-300, 1e-5, 709.0, 710.0], F64)], {}, True),
    ("erf_special_second", "Erf", [A([-inf, -3.0, -0.5, 0.0, 1e-8, 2.0, 4.5, inf, nan], F32)], {}, True),
    ("erf_f64_second", "Erf", [A([-6.0, -0.1, 1e-300, 0.75, 27.0], F64)], {}, True),
    # float64 Erf is NaN in TF once x*x overflows (float32's saturates).
    ("erfc_tails_second", "Erfc", [A([-inf, -6.0, -1.0, 0.0, 1.0, 5.0, 9.0, 10.5, inf, nan], F32)], {}, True),
    ("erfc_f64_tails_second", "Erfc", [A([-1e200, -1.0, 0.5, 9.0, 26.0, 1.35e154, inf], F64)], {}, True),
    ("erf_f64_overflow", "Erf", [A([1.3e154, 1.35e154, -1e200, inf, -inf, nan], F64)], {}, True),
    ("ceil_special", "Ceil", [A([-1.5, -0.5, -0.0, 0.5, 2.0, nan, -inf, 1e300], F64)], {}, True),
    ("round_half_even", "Round", [A([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.49999997, -0.0, 8388609.0, nan, inf], F32)],
     {}, True),
]
for name, op, xs, attrs, second, *og in SPECIAL:
    OG[0] = og[0] if og else 1.0
    SV.CASES.clear()
    SV.run(op, name, xs, attrs, second)
    for c in SV.CASES:
        c["name"] = f"special/{name}"
        CASES.append(c)

json.dump({"format": "gradient-conformance/1", "generated_by": "tf_pinned_cases (TensorFlow %s)" % tf.__version__,
           "cases": CASES}, sys.stdout, indent=None)
