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


def to_proto(arr, dtype=None, out=None):
    """Encodes a numpy array (cast to `dtype` if given) as a Tensor with raw bytes."""
    dtype = _dtypes.as_dtype(dtype if dtype is not None else arr.dtype)
    arr = np.asarray(arr, dtype=_LE[dtype.enum], order="C")
    t = out if out is not None else pb.Tensor()
    t.dtype = dtype.enum
    t.shape[:] = arr.shape
    t.raw = arr.tobytes()
    return t


def encode(arr, dtype=None):
    """The bytes of a gradd.v1.Tensor for a numpy array (cast to `dtype` if given)."""
    dtype = _dtypes.as_dtype(dtype if dtype is not None else arr.dtype)
    arr = np.asarray(arr, dtype=_LE[dtype.enum], order="C")
    return _enc.tensor(dtype.enum, arr.shape, arr.tobytes())


def from_proto(t):
    """Decodes a Tensor into a numpy array (native byte order, writable)."""
    enum = t.dtype
    dtype = _dtypes.from_enum(enum)
    shape = tuple(t.shape)
    raw = t.raw
    le = _LE[enum]
    arr = np.frombuffer(raw, dtype=le) if raw else np.asarray(getattr(t, _FIELD[enum]), dtype=le)
    if arr.size != math.prod(shape):
        raise ValueError(f"tensor of shape {list(shape)} carries {arr.size} values")
    return arr.astype(dtype.as_numpy_dtype, copy=True).reshape(shape)


def has_values(t):
    """True if the Tensor carries values (or needs none: a size-0 shape)."""
    if t.raw or len(getattr(t, _FIELD.get(t.dtype, "float_val"))):
        return True
    return any(d == 0 for d in t.shape)
