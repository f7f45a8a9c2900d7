"""Client-side shape and dtype inference for the op table, so that `.shape` and layer building
need no round trip. Returns None where it cannot tell; the server's answer (every op result
carries its shape and dtype) replaces the guess after the next Run. Never raises: bad shapes
are the server's to report, at the line that queued the op."""
from . import _dtypes

_UNARY = {
    "Identity", "StopGradient", "Neg", "Square", "Sqrt", "Rsqrt", "Reciprocal", "Exp", "Log",
    "Log1p", "Abs", "Sin", "Cos", "Tanh", "Sigmoid", "Relu", "LeakyRelu", "Elu", "Softplus",
    "Softmax", "LogSoftmax", "Cumsum", "Cumprod", "Sign", "Floor", "Tan", "Atan", "Asin", "Acos",
    "Sinh", "Cosh", "Expm1", "Erf", "Erfc", "Ceil", "Round",
}
_BINARY = {"AddV2", "Sub", "Mul", "RealDiv", "DivNoNan", "FloorDiv", "FloorMod", "Pow", "Maximum", "Minimum",
           "SquaredDifference"}
# Ops with a bool output; shaped as a broadcast of their inputs (LogicalNot: its input's).
_COMPARE = {"Greater", "Less", "GreaterEqual", "LessEqual", "Equal", "NotEqual", "LogicalAnd",
            "LogicalOr", "LogicalNot"}
_REDUCE = {"Sum", "Mean", "Max", "Min", "Prod"}


def broadcast(a, b):
    if a is None or b is None:
        return None
    if a == b or not b:
        return a
    if not a:
        return b
    out = []
    for i in range(max(len(a), len(b))):
        x = a[len(a) - 1 - i] if i < len(a) else 1
        y = b[len(b) - 1 - i] if i < len(b) else 1
        if x == y or y == 1:
            out.append(x)
        elif x == 1:
            out.append(y)
        else:
            return None
    return tuple(reversed(out))


def _axes(axis, rank):
    if axis is None:
        return list(range(rank))
    if isinstance(axis, int):
        axis = [axis]
    return sorted({a + rank if a < 0 else a for a in axis})


def _shape(op, s, d, attrs, n_out):  # noqa: C901 - one branch per op family
    s0 = s[0] if s else None
    if op in _UNARY or op in ("Cast",):
        return [s0]
    if op in _BINARY or op in _COMPARE:
        return [broadcast(s[0], s[1]) if len(s) == 2 else s0]
    if op == "SelectV2":
        return [broadcast(broadcast(s[0], s[1]), s[2])]
    if op == "BiasAdd":
        return [s0]
    if None in s:
        return None
    if op == "MatMul":
        a, b = s
        if len(a) != 2 or len(b) != 2:
            return None
        m = a[1] if attrs.get("transpose_a") else a[0]
        n = b[0] if attrs.get("transpose_b") else b[1]
        return [(m, n)]
    if op == "BatchMatMulV2":
        a, b = s
        if len(a) < 2 or len(b) < 2:
            return None
        m = a[-1] if attrs.get("adj_x") else a[-2]
        n = b[-2] if attrs.get("adj_y") else b[-1]
        batch = broadcast(a[:-2], b[:-2])
        return None if batch is None else [batch + (m, n)]
    if op in _REDUCE:
        keep = attrs.get("keep_dims", False)
        axes = _axes(attrs.get("axis"), len(s0))
        if keep:
            return [tuple(1 if i in axes else x for i, x in enumerate(s0))]
        return [tuple(x for i, x in enumerate(s0) if i not in axes)]
    if op == "Reshape":
        shape = list(attrs["shape"])
        if -1 in shape:
            known = 1
            for x in shape:
                if x != -1:
                    known *= x
            total = 1
            for x in s0:
                total *= x
            if known == 0:
                return None
            shape[shape.index(-1)] = total // known
        return [tuple(shape)]
    if op == "Transpose":
        perm = attrs.get("perm")
        return [tuple(s0[p] for p in perm)]
    if op == "ExpandDims":
        ax = attrs["axis"]
        ax = ax + len(s0) + 1 if ax < 0 else ax
        return [s0[:ax] + (1,) + s0[ax:]]
    if op == "Squeeze":
        axes = attrs.get("axis")
        if not axes:
            return [tuple(x for x in s0 if x != 1)]
        axes = _axes(axes, len(s0))
        return [tuple(x for i, x in enumerate(s0) if i not in axes)]
    if op == "ConcatV2":
        ax = attrs["axis"]
        ax = ax + len(s0) if ax < 0 else ax
        return [s0[:ax] + (sum(x[ax] for x in s),) + s0[ax + 1:]]
    if op == "Pack":
        ax = attrs.get("axis", 0)
        ax = ax + len(s0) + 1 if ax < 0 else ax
        return [s0[:ax] + (len(s),) + s0[ax:]]
    if op == "Slice":
        return [tuple(d0 - b if z == -1 else z for d0, b, z in zip(s0, attrs["begin"], attrs["size"]))]
    if op == "GatherV2":
        ax = attrs.get("axis", 0)
        ax = ax + len(s0) if ax < 0 else ax
        return [s0[:ax] + s[1] + s0[ax + 1:]]
    if op == "Tile":
        return [tuple(x * m for x, m in zip(s0, attrs["multiples"]))]
    if op == "BroadcastTo":
        return [tuple(attrs["shape"])]
    if op in ("SoftmaxCrossEntropyWithLogits", "SparseSoftmaxCrossEntropyWithLogits"):
        return [s0[:-1], s0]
    if op == "ArgMax":
        ax = attrs.get("axis", 0)
        ax = ax + len(s0) if ax < 0 else ax
        return [s0[:ax] + s0[ax + 1:]]
    if op == "OneHot":
        return [s0 + (attrs["depth"],)]
    return None


def _dtype(op, d, attrs):
    if op in _COMPARE:
        return [_dtypes.bool]
    if op == "Cast":
        return [_dtypes.as_dtype(attrs["dtype"])]
    if op == "ArgMax":
        return [_dtypes.int64]
    if op == "OneHot":
        return [_dtypes.as_dtype(attrs.get("dtype", "float32"))]
    if op == "SelectV2":
        return [d[1]]
    if op in ("SoftmaxCrossEntropyWithLogits", "SparseSoftmaxCrossEntropyWithLogits"):
        return [d[0], d[0]]
    return [d[0] if d else None]


_KIND = {**{op: 1 for op in _UNARY}, **{op: 2 for op in _BINARY}, **{op: 3 for op in _REDUCE},
         "MatMul": 4}


def infer1(op, inputs, attrs):
    """(shape, dtype) of the one output of `op` on input tensors `inputs` (None where
    unknown); the common cases inline, without the lists `infer` takes and returns."""
    kind = _KIND.get(op)
    n = len(inputs)
    if kind is not None and n:
        a = inputs[0]
        if kind == 1 and n == 1:
            return a._shape, a._dtype
        if kind == 2 and n == 2:
            sa, sb = a._shape, inputs[1]._shape
            if sa == sb:  # (both None: unknown, as broadcast says)
                return sa, a._dtype
            if sa is not None and sb is not None:
                # broadcast(sa, sb) without the call where one shape ends the other (a scalar,
                # a bias): that one is the result.
                if len(sb) <= len(sa) and sa[len(sa) - len(sb):] == sb:
                    return sa, a._dtype
                if sb[len(sb) - len(sa):] == sa:
                    return sb, a._dtype
            return broadcast(sa, sb), a._dtype
        if kind == 3 and n == 1 and not attrs:
            return (), a._dtype  # every axis, keep_dims false: a scalar
        if kind == 4 and n == 2 and not attrs:
            sa, sb = a._shape, inputs[1]._shape
            if sa is not None and sb is not None and len(sa) == 2 and len(sb) == 2:
                return (sa[0], sb[1]), a._dtype
    shapes, dtypes = infer(op, [x._shape for x in inputs], [x._dtype for x in inputs], attrs, 1)
    shape = shapes[0]
    return shape if shape is None or type(shape) is tuple else tuple(shape), dtypes[0]


def infer(op, shapes, dtypes, attrs, n_out):
    """Returns (shapes, dtypes), one per output, with None where unknown."""
    # The common cases first, without the general machinery: this runs for every op call.
    if n_out == 1:
        n = len(shapes)
        if n == 1 and op in _UNARY:
            return [shapes[0]], [dtypes[0]]
        if n == 2 and op in _BINARY:
            return [broadcast(shapes[0], shapes[1])], [dtypes[0]]
        if n == 1 and not attrs and op in _REDUCE:
            return [()], [dtypes[0]]  # every axis, keep_dims false: a scalar
    try:
        out_s = _shape(op, shapes, dtypes, attrs, n_out)
    except Exception:  # a malformed request: the server will say what is wrong
        out_s = None
    try:
        out_d = _dtype(op, dtypes, attrs)
    except Exception:
        out_d = None
    out_s = list(out_s or [])
    out_d = list(out_d or [])
    out_s += [None] * (n_out - len(out_s))
    out_d += [None] * (n_out - len(out_d))
    return out_s[:n_out], out_d[:n_out]
