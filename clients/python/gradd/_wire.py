"""numpy <-> gradd.v1.Tensor. Uploads use little-endian `raw` bytes; results are read from
`raw` or from the typed field, whichever the server filled."""
import math

import numpy as np

from . import _dtypes, _enc
from ._proto import gradd_pb2 as pb

_LE = {d.enum: np.dtype(d.as_numpy_dtype).newbyteorder("<") for d in _dtypes.ALL}
_FIELD = {
    pb.DTYPE_FLOAT32: "float_val",
    pb.DTYPE_FLOAT64: "double_val",
    pb.DTYPE_INT32: "int_val",
    pb.DTYPE_INT64: "int64_val",
    pb.DTYPE_BOOL: "bool_val",
}


def _little_endian(arr, dtype):
    """(DType, C-ordered little-endian array) for an upload, cast to `dtype` if given."""
    dtype = _dtypes.as_dtype(dtype if dtype is not None else arr.dtype)
    return dtype, np.asarray(arr, dtype=_LE[dtype.enum], order="C")


def to_proto(arr, dtype=None, out=None):
    """Encodes a numpy array (cast to `dtype` if given) as a Tensor with raw bytes."""
    dtype, arr = _little_endian(arr, dtype)
    t = out if out is not None else pb.Tensor()
    t.dtype = dtype.enum
    t.shape[:] = arr.shape
    t.raw = arr.tobytes()
    return t


def encode(arr, dtype=None):
    """The bytes of a gradd.v1.Tensor for a numpy array (cast to `dtype` if given)."""
    dtype, arr = _little_endian(arr, dtype)
    return _enc.tensor(dtype.enum, arr.shape, arr.tobytes())


def decode(t):
    """(dtype, shape, values or None) of a Tensor: None when it carries no values (a result
    with only its shape); a size-0 shape always has its (empty) values."""
    enum = t.dtype
    dtype = _dtypes.from_enum(enum)
    shape = tuple(t.shape)
    raw = t.raw
    if raw:
        arr = np.frombuffer(raw, dtype=_LE[enum])
    else:
        vals = getattr(t, _FIELD.get(enum, "float_val"))
        if not len(vals) and 0 not in shape:
            return dtype, shape, None
        arr = np.asarray(vals, dtype=_LE[enum])
    if arr.size != math.prod(shape):
        raise ValueError(f"tensor of shape {list(shape)} carries {arr.size} values")
    return dtype, shape, arr.astype(dtype.as_numpy_dtype, copy=True).reshape(shape)
