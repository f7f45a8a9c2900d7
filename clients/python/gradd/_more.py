"""More of TensorFlow's everyday API, built from what the op table already has: creation
functions that make local constants (tf.range, tf.linspace, tf.eye; not differentiable, as in
TensorFlow for integer ranges and identity matrices) and composites whose gradients come from
their parts (tf.norm, tf.math.reduce_variance / reduce_std, tf.pad with a fill value)."""
import numbers

import numpy as np

from . import _dtypes
from ._ops import _t, ones_like, reduce_mean, reduce_sum, sqrt, squared_difference, squeeze
from ._tensor import Tensor, _Ops, run_op

__all__ = ["range", "linspace", "eye", "norm", "pad"]


def _scalar(v):
    return v.numpy().item() if isinstance(v, _Ops) else v


def range(start, limit=None, delta=1, dtype=None, name="range"):  # noqa: A001 - TF's name
    """tf.range: int32 for integer arguments, float32 when any is a float (or `dtype`)."""
    if limit is None:
        start, limit = 0, start
    start, limit, delta = _scalar(start), _scalar(limit), _scalar(delta)
    if delta == 0:
        from ._errors import InvalidArgumentError
        raise InvalidArgumentError("Requires delta != 0: 0")
    if dtype is None:
        ints = all(isinstance(v, numbers.Integral) for v in (start, limit, delta))
        dtype = _dtypes.int32 if ints else _dtypes.float32
    npt = _dtypes.as_dtype(dtype).as_numpy_dtype
    n = max(0, int(np.ceil((limit - start) / delta)))
    # Computed in the output dtype, element by element, as TensorFlow's kernel does.
    out = np.asarray(npt(start) + np.arange(n, dtype=npt) * npt(delta), dtype=npt)
    return Tensor._local(out)


def linspace(start, stop, num, name=None, axis=0):
    """tf.linspace for scalar start/stop: `num` values from start to stop inclusive."""
    if axis != 0:
        raise NotImplementedError("gradd's linspace takes scalar start and stop (axis=0)")
    start, stop, num = _scalar(start), _scalar(stop), int(_scalar(num))
    npt = np.float64 if isinstance(start, np.float64) else np.float32
    if num <= 1:
        return Tensor._local(np.full((max(num, 0),), start, dtype=npt))
    step = (npt(stop) - npt(start)) / npt(num - 1)
    out = (npt(start) + np.arange(num, dtype=npt) * step).astype(npt)
    out[-1] = npt(stop)
    return Tensor._local(out)


def eye(num_rows, num_columns=None, batch_shape=None, dtype=_dtypes.float32, name=None):
    """tf.eye: an identity matrix (optionally batched), as a local constant."""
    npt = _dtypes.as_dtype(dtype).as_numpy_dtype
    m = np.eye(int(num_rows), int(num_rows if num_columns is None else num_columns), dtype=npt)
    if batch_shape is not None:
        m = np.broadcast_to(m, tuple(int(d) for d in batch_shape) + m.shape).copy()
    return Tensor._local(m)


def norm(tensor, ord="euclidean", axis=None, keepdims=None, name=None):  # noqa: A002
    """tf.norm, the Euclidean (Frobenius) norm: sqrt(sum(x * x)) over `axis` (all by default)."""
    # ord=2 is the Euclidean norm of vectors (an int axis); over two axes it is the spectral norm.
    if ord not in ("euclidean", "fro") and not (ord in (2, 2.0) and isinstance(axis, int)):
        raise NotImplementedError(f"gradd's norm supports ord='euclidean' only, got {ord!r}")
    x = _t(tensor)
    n = sqrt(reduce_sum(x * x, axis=axis, keepdims=True))
    if keepdims:
        return n
    return squeeze(n) if axis is None else squeeze(n, axis=axis)


def reduce_variance(input_tensor, axis=None, keepdims=False, name=None):
    x = _t(input_tensor)
    return reduce_mean(squared_difference(x, reduce_mean(x, axis=axis, keepdims=True)),
                       axis=axis, keepdims=keepdims)


def reduce_std(input_tensor, axis=None, keepdims=False, name=None):
    return sqrt(reduce_variance(input_tensor, axis=axis, keepdims=keepdims))


def pad(tensor, paddings, mode="CONSTANT", constant_values=0, name=None):
    """tf.pad in CONSTANT mode: the Pad op (its gradient is the slice of the incoming one).
    A non-zero `constant_values` is added where a padded ones tensor is 0, so the values
    inside stay exact. REFLECT and SYMMETRIC (MirrorPad) raise NotImplementedError."""
    mode = str(mode).upper()
    if mode in ("REFLECT", "SYMMETRIC"):
        raise NotImplementedError(f"gradd: tf.pad mode={mode!r}: only CONSTANT is supported")
    if mode != "CONSTANT":
        raise ValueError('Value of argument `mode` expected to be one of "CONSTANT", "REFLECT", '
                         f'or "SYMMETRIC". Received `mode` = {mode}')
    x = _t(tensor)
    p = np.asarray(paddings.numpy() if isinstance(paddings, _Ops) else paddings)
    # The server checks the shape (rank x 2) and signs, as TensorFlow's kernel does.
    attrs = {"paddings": [int(v) for v in p.reshape(-1)]}
    y = run_op("Pad", [x], attrs)[0]
    c = _scalar(constant_values)
    if c == 0:
        return y
    inside = run_op("Pad", [ones_like(x)], attrs)[0]  # 1 where x went, 0 in the padding
    return y + (1 - inside) * c
