"""numpy <-> gradd.v1.Tensor. Uploads use little-endian `raw` bytes; results are read from
`raw` or from the typed field, whichever the server filled."""
import math
import sys

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


def parts(arr):
    """(dtype enum, shape, little-endian raw bytes) of a numpy array of a supported dtype."""
    dtype = _dtypes.of_numpy(arr.dtype)
    if not (_LITTLE and arr.dtype.isnative):  # a big-endian machine or array
        arr = np.asarray(arr, dtype=_LE[dtype.enum])
    return dtype.enum, arr.shape, arr.tobytes()  # tobytes: C order, whatever the layout


_LITTLE = sys.byteorder == "little"


def encode(arr, dtype=None):
    """The bytes of a gradd.v1.Tensor for a numpy array (cast to `dtype` if given)."""
    if dtype is None:
        return _enc.tensor(*parts(arr))
    dtype, arr = _little_endian(arr, dtype)
    return _enc.tensor(dtype.enum, arr.shape, arr.tobytes())


def decode(t):
    """(dtype, shape, values or None) of a Tensor: None when it carries no values (a result
    with only its shape); a size-0 shape always has its (empty) values."""
    enum = t.dtype
    dtype = _BY_ENUM.get(enum) or _dtypes.from_enum(enum)
    shape = tuple(t.shape[:])  # a slice of the repeated field: a list, cheaper to iterate
    raw = t.raw
    if raw:
        le = _LE[enum]
        if len(raw) == le.itemsize * math.prod(shape) and _LITTLE:
            # The usual case: an array straight on `raw` (read-only: a tensor's value is never
            # handed out or changed in place; numpy() returns a copy).
            return dtype, shape, np.ndarray(shape, le, raw)
        arr = np.frombuffer(raw, le)
    else:
        vals = getattr(t, _FIELD.get(enum, "float_val"))
        if not len(vals) and 0 not in shape:
            return dtype, shape, None
        arr = np.asarray(vals, dtype=_LE[enum])
    if arr.size != math.prod(shape):
        raise ValueError(f"tensor of shape {list(shape)} carries {arr.size} values")
    if not arr.dtype.isnative:  # the wire's byte order is not this machine's
        arr = arr.astype(dtype.as_numpy_dtype)
    return dtype, shape, arr.reshape(shape)


_BY_ENUM = {d.enum: d for d in _dtypes.ALL}
