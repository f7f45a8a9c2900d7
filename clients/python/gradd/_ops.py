"""TensorFlow-named functions, each mapped to a raw op of the op table (FORMAT.md)."""
import operator

import numpy as np

from . import _dtypes, _errors
from ._tensor import (Tensor, TensorShape, _add, _binary, _operand, _Ops, _to_numpy, _truediv,
                      convert_to_tensor, matmul, run_op)

__all__ = [
    "constant", "zeros", "ones", "zeros_like", "ones_like", "fill", "identity", "stop_gradient",
    "add", "subtract", "multiply", "divide", "truediv", "pow", "negative", "square", "sqrt",
    "rsqrt", "reciprocal", "exp", "log", "log1p", "abs", "sin", "cos", "tanh", "sigmoid",
    "softplus", "maximum", "minimum", "squared_difference", "greater", "less", "greater_equal", "less_equal", "equal",
    "reduce_sum", "reduce_mean", "reduce_max", "reduce_min", "reduce_prod", "cumsum", "matmul",
    "floor", "sign",
    "reshape", "transpose", "expand_dims", "squeeze", "concat", "stack", "slice", "gather",
    "tile", "broadcast_to", "cast", "argmax", "one_hot", "where", "add_n", "shape", "size",
    "rank", "clip_by_value", "relu", "leaky_relu", "elu", "softmax", "log_softmax", "bias_add",
    "softmax_cross_entropy_with_logits", "sparse_softmax_cross_entropy_with_logits",
]


def _t(x, dtype_hint=None):
    return x if isinstance(x, _Ops) else convert_to_tensor(x, dtype_hint=dtype_hint)


def _unary(op, x, attrs=None):
    return run_op(op, [_t(x)], attrs)[0]


# -- creation -----------------------------------------------------------------------------------

def constant(value, dtype=None, shape=None, name=None):
    """A local constant (uploaded to a session when an op first uses it)."""
    if isinstance(value, _Ops):
        value = value.numpy()
    arr = _to_numpy(value, dtype)
    if shape is not None:
        shape = tuple(shape)
        arr = np.broadcast_to(arr, shape) if arr.size == 1 else arr.reshape(shape)
        arr = np.array(arr)
    return Tensor._local(arr)


def _shape_tuple(shape):
    if isinstance(shape, _Ops):
        shape = shape.numpy()
    if np.ndim(shape) == 0:
        return (int(shape),)
    return tuple(int(d) for d in shape)


def zeros(shape, dtype=_dtypes.float32, name=None):
    return Tensor._local(np.zeros(_shape_tuple(shape), dtype=_dtypes.as_dtype(dtype).as_numpy_dtype))


def ones(shape, dtype=_dtypes.float32, name=None):
    return Tensor._local(np.ones(_shape_tuple(shape), dtype=_dtypes.as_dtype(dtype).as_numpy_dtype))


def fill(dims, value, name=None):
    v = _to_numpy(value)
    return Tensor._local(np.full(_shape_tuple(dims), v, dtype=v.dtype))


def zeros_like(x, dtype=None, name=None):
    x = _t(x)
    return zeros(x.shape, dtype or x.dtype)


def ones_like(x, dtype=None, name=None):
    x = _t(x)
    return ones(x.shape, dtype or x.dtype)


def identity(x, name=None):
    return _unary("Identity", x)


def stop_gradient(x, name=None):
    return _unary("StopGradient", x)


# -- elementwise ---------------------------------------------------------------------------------

def add(x, y, name=None):
    return _add(x, y)


def subtract(x, y, name=None):
    return _binary("Sub", x, y)


def multiply(x, y, name=None):
    return _binary("Mul", x, y)


def divide(x, y, name=None):
    # TensorFlow converts a non-tensor x with y's dtype, then divides with `/`.
    if not isinstance(x, _Ops):
        x = _operand(x, y.dtype) if isinstance(y, _Ops) else convert_to_tensor(x)
    return _truediv(x, y)


def truediv(x, y, name=None):
    return _truediv(x, y)


def pow(x, y, name=None):  # noqa: A001 - TensorFlow's name
    return _binary("Pow", x, y)


def maximum(x, y, name=None):
    return _binary("Maximum", x, y)


def minimum(x, y, name=None):
    return _binary("Minimum", x, y)


def squared_difference(x, y, name=None):
    return _binary("SquaredDifference", x, y)


def floordiv(x, y, name=None):
    """floor(x / y), elementwise (tf.math.floordiv, `//`)."""
    return _binary("FloorDiv", x, y)


def floormod(x, y, name=None):
    """x - floor(x / y) * y, with the divisor's sign (tf.math.floormod, `%`)."""
    return _binary("FloorMod", x, y)


mod = floormod


def floor(x, name=None):
    return _unary("Floor", x)


def sign(x, name=None):
    return _unary("Sign", x)


def divide_no_nan(x, y, name=None):
    """x / y, and 0 wherever y is 0 (tf.math.divide_no_nan)."""
    return _binary("DivNoNan", x, y)


def greater(x, y, name=None):
    return _binary("Greater", x, y)


def less(x, y, name=None):
    return _binary("Less", x, y)


def greater_equal(x, y, name=None):
    return _binary("GreaterEqual", x, y)


def less_equal(x, y, name=None):
    return _binary("LessEqual", x, y)


def equal(x, y, name=None):
    return _binary("Equal", x, y)


def negative(x, name=None):
    return _unary("Neg", x)


def square(x, name=None):
    return _unary("Square", x)


def sqrt(x, name=None):
    return _unary("Sqrt", x)


def rsqrt(x, name=None):
    return _unary("Rsqrt", x)


def reciprocal(x, name=None):
    return _unary("Reciprocal", x)


def exp(x, name=None):
    return _unary("Exp", x)


def log(x, name=None):
    return _unary("Log", x)


def log1p(x, name=None):
    return _unary("Log1p", x)


def abs(x, name=None):  # noqa: A001
    return _unary("Abs", x)


def sin(x, name=None):
    return _unary("Sin", x)


def cos(x, name=None):
    return _unary("Cos", x)


def tanh(x, name=None):
    return _unary("Tanh", x)


def sigmoid(x, name=None):
    return _unary("Sigmoid", x)


def softplus(features, name=None):
    return _unary("Softplus", features)


def relu(features, name=None):
    return _unary("Relu", features)


def leaky_relu(features, alpha=0.2, name=None):
    return _unary("LeakyRelu", features, {"alpha": float(alpha)})


def elu(features, name=None):
    return _unary("Elu", features)


def _to_last(axis, x):
    """The perm that swaps `axis` of `x` with the last one (its own inverse), or None when
    `axis` is the last: the softmax ops work over the last axis only."""
    if axis is None or axis == -1:
        return None
    r = len(x.shape)
    axis = operator.index(axis)
    if not -r <= axis < r:
        raise _errors.InvalidArgumentError(
            f"`dim` must be in the range [{-r}, {r}) where {r} is the number of dimensions in "
            f"the input. Received: dim={axis}")
    axis %= r
    if axis == r - 1:
        return None
    perm = list(range(r))
    perm[axis], perm[-1] = r - 1, axis
    return perm


def _softmax(op, logits, axis):
    x = _t(logits)
    perm = _to_last(axis, x)
    if perm is None:
        return run_op(op, [x])[0]
    return transpose(run_op(op, [transpose(x, perm)])[0], perm)


def softmax(logits, axis=None, name=None):
    return _softmax("Softmax", logits, axis)


def log_softmax(logits, axis=None, name=None):
    return _softmax("LogSoftmax", logits, axis)


def clip_by_value(t, clip_value_min, clip_value_max, name=None):
    # TensorFlow's order (minimum first): it decides the result when min > max.
    return maximum(minimum(_t(t), clip_value_max), clip_value_min)


def add_n(inputs, name=None):
    out = inputs[0]
    for x in inputs[1:]:
        out = add(out, x)
    return out


# -- reductions ----------------------------------------------------------------------------------

def _axis_attr(axis):
    if axis is None:
        return None
    if isinstance(axis, _Ops):
        axis = axis.numpy().tolist()
    if isinstance(axis, (list, tuple)):
        return [int(a) for a in axis]
    return int(axis)


def _reduce(op, x, axis, keepdims):
    if axis is None and not keepdims:  # all axes: no attrs
        return run_op(op, [x if isinstance(x, _Ops) else convert_to_tensor(x)])[0]
    return run_op(op, [_t(x)], {"axis": _axis_attr(axis), "keep_dims": bool(keepdims) or None})[0]


def reduce_sum(input_tensor, axis=None, keepdims=False, name=None):
    return _reduce("Sum", input_tensor, axis, keepdims)


def reduce_mean(input_tensor, axis=None, keepdims=False, name=None):
    return _reduce("Mean", input_tensor, axis, keepdims)


def reduce_max(input_tensor, axis=None, keepdims=False, name=None):
    return _reduce("Max", input_tensor, axis, keepdims)


def reduce_min(input_tensor, axis=None, keepdims=False, name=None):
    return _reduce("Min", input_tensor, axis, keepdims)


def reduce_prod(input_tensor, axis=None, keepdims=False, name=None):
    return _reduce("Prod", input_tensor, axis, keepdims)


def _scan(op, x, axis, exclusive, reverse):
    return _unary(op, x, {"axis": int(axis), "exclusive": bool(exclusive), "reverse": bool(reverse)})


def cumsum(x, axis=0, exclusive=False, reverse=False, name=None):
    """Running sums along `axis` (tf.math.cumsum)."""
    return _scan("Cumsum", x, axis, exclusive, reverse)


def cumprod(x, axis=0, exclusive=False, reverse=False, name=None):
    """Running products along `axis` (tf.math.cumprod)."""
    return _scan("Cumprod", x, axis, exclusive, reverse)


# -- shapes --------------------------------------------------------------------------------------

def reshape(tensor, shape, name=None):
    return run_op("Reshape", [_t(tensor)], {"shape": list(_shape_tuple(shape))})[0]


def transpose(a, perm=None, conjugate=False, name=None):
    a = _t(a)
    if perm is None:
        perm = list(reversed(range(len(a.shape))))
    return run_op("Transpose", [a], {"perm": [int(p) for p in perm]})[0]


def expand_dims(input, axis, name=None):  # noqa: A002
    return run_op("ExpandDims", [_t(input)], {"axis": int(axis)})[0]


def squeeze(input, axis=None, name=None):  # noqa: A002
    x = _t(input)
    if axis is None:
        axis = [i for i, d in enumerate(x.shape) if d == 1]
    elif isinstance(axis, int):
        axis = [axis]
    return run_op("Squeeze", [x], {"axis": [int(a) for a in axis]})[0]


def _same_dtype(values):
    values = list(values)
    hint = next((v.dtype for v in values if isinstance(v, _Ops)), None)
    return [_t(v, hint) for v in values]


def concat(values, axis, name=None):
    return run_op("ConcatV2", _same_dtype(values), {"axis": int(axis)})[0]


def stack(values, axis=0, name=None):
    return run_op("Pack", _same_dtype(values), {"axis": int(axis)})[0]


def slice(input_, begin, size, name=None):  # noqa: A001
    return run_op("Slice", [_t(input_)], {"begin": [int(b) for b in begin],
                                          "size": [int(s) for s in size]})[0]


def gather(params, indices, axis=None, batch_dims=0, name=None):
    if not isinstance(indices, _Ops):
        indices = convert_to_tensor(indices, dtype_hint=_dtypes.int32)
    return run_op("GatherV2", [_t(params), indices], {"axis": int(axis or 0)})[0]


def tile(input, multiples, name=None):  # noqa: A002
    return run_op("Tile", [_t(input)], {"multiples": list(_shape_tuple(multiples))})[0]


def broadcast_to(input, shape, name=None):  # noqa: A002
    return run_op("BroadcastTo", [_t(input)], {"shape": list(_shape_tuple(shape))})[0]


def cast(x, dtype, name=None):
    dtype = _dtypes.as_dtype(dtype)
    x = _t(x)
    if x._dtype is dtype:
        return x if isinstance(x, Tensor) else identity(x)
    return run_op("Cast", [x], {"dtype": dtype.name})[0]


def argmax(input, axis=None, output_type=_dtypes.int64, name=None):  # noqa: A002
    out = run_op("ArgMax", [_t(input)], {"axis": int(axis or 0)})[0]
    return out if _dtypes.as_dtype(output_type) is _dtypes.int64 else cast(out, output_type)


def one_hot(indices, depth, on_value=None, off_value=None, axis=None, dtype=None, name=None):
    """OneHot with on/off values as attrs (scalars, as TensorFlow requires; not
    differentiable, as in TensorFlow) and a Transpose for an `axis` other than the last."""
    if not isinstance(indices, _Ops):
        indices = convert_to_tensor(indices, dtype_hint=_dtypes.int32)
    r = len(indices.shape)
    last = axis is None or axis == -1 or axis == r
    if not last and not 0 <= axis < r:
        raise _errors.InvalidArgumentError(
            f"Expected axis to be -1 or between [0, {r + 1}).  But received: {axis}")
    dtype = _dtypes.as_dtype(dtype) if dtype is not None else None
    values = {}
    for key, v in (("on_value", on_value), ("off_value", off_value)):
        if v is not None:  # TensorFlow's dtype inference: dtype, else on_value's, else off_value's
            v = _t(v, dtype)
            if dtype is not None and v.dtype is not dtype:
                raise TypeError(f"dtype {v.dtype} of {key} does not match dtype parameter {dtype}")
            values[key] = v
    if len(values) == 2 and values["on_value"].dtype is not values["off_value"].dtype:
        raise TypeError(f"dtype {values['on_value'].dtype} of on_value does not match dtype "
                        f"{values['off_value'].dtype} of off_value")
    if dtype is None:
        dtype = next(iter(values.values())).dtype if values else _dtypes.float32
    if dtype is _dtypes.bool and len(values) < 2:
        raise TypeError(f"Cannot convert {0 if 'on_value' in values else 1} to EagerTensor "
                        "of dtype bool")
    attrs = {"depth": int(depth)}
    if dtype is not _dtypes.float32:
        attrs["dtype"] = dtype.name
    for key, v in values.items():
        v = np.asarray(v.numpy())
        if v.ndim:
            raise _errors.InvalidArgumentError(f"{key} must be a scalar, but got: {list(v.shape)}")
        # Ints stay ints (exact beyond 2**53); floats and bools go as floats.
        attrs[key] = int(v) if dtype.is_integer else float(v)
    out = run_op("OneHot", [indices], attrs)[0]
    return out if last else transpose(out, list(range(axis)) + [r] + list(range(axis, r)))


def where(condition, x=None, y=None, name=None):
    if x is None or y is None:
        raise NotImplementedError("gradd's where needs x and y (SelectV2)")
    x, y = _same_dtype([x, y])
    return run_op("SelectV2", [_t(condition, _dtypes.bool), x, y])[0]


def shape(input, out_type=_dtypes.int32, name=None):  # noqa: A002
    return Tensor._local(np.array(_t(input).shape, dtype=_dtypes.as_dtype(out_type).as_numpy_dtype))


def size(input, out_type=_dtypes.int32, name=None):  # noqa: A002
    return Tensor._local(np.array(_t(input).shape.num_elements(),
                                  dtype=_dtypes.as_dtype(out_type).as_numpy_dtype))


def rank(input, name=None):  # noqa: A002
    return Tensor._local(np.array(len(_t(input).shape), dtype=np.int32))


# -- nn ------------------------------------------------------------------------------------------

def bias_add(value, bias, data_format=None, name=None):
    value = _t(value)
    return run_op("BiasAdd", [value, _t(bias, value.dtype)])[0]


def softmax_cross_entropy_with_logits(labels, logits, axis=-1, name=None):
    logits = _t(logits)
    labels = _t(labels, logits.dtype)
    if _to_last(axis, logits) is not None:  # as TensorFlow: move the class axis to the end
        r = len(logits.shape)
        axis = operator.index(axis) % r
        perm = [i for i in range(r) if i != axis] + [axis]
        logits, labels = transpose(logits, perm), transpose(labels, perm)
    return run_op("SoftmaxCrossEntropyWithLogits", [logits, labels], n_out=2)[0]


def sparse_softmax_cross_entropy_with_logits(labels, logits, name=None):
    logits = _t(logits)
    if not isinstance(labels, _Ops):
        labels = convert_to_tensor(labels, dtype_hint=_dtypes.int32)
    return run_op("SparseSoftmaxCrossEntropyWithLogits", [logits, labels], n_out=2)[0]


__all__ += ["TensorShape"]
