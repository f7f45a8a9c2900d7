"""numpy <-> gradd.v1.Tensor. Uploads use little-endian `raw` bytes; results are read from
`raw` or from the typed field, whichever the server filled."""
import numpy as np

from . import _dtypes
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


def from_proto(t):
    """Decodes a Tensor into a numpy array (native byte order, writable)."""
    dtype = _dtypes.from_enum(t.dtype)
    shape = tuple(t.shape)
    le = _LE[dtype.enum]
    if t.raw:
        arr = np.frombuffer(t.raw, dtype=le)
    else:
        arr = np.asarray(getattr(t, _FIELD[t.dtype]), dtype=le)
    n = int(np.prod(shape, dtype=np.int64)) if shape else 1
    if arr.size != n:
        raise ValueError(f"tensor of shape {list(shape)} carries {arr.size} values")
    return arr.astype(dtype.as_numpy_dtype, copy=True).reshape(shape)


def has_values(t):
    """True if the Tensor carries values (or needs none: a size-0 shape)."""
    if t.raw or len(getattr(t, _FIELD.get(t.dtype, "float_val"))):
        return True
    return any(d == 0 for d in t.shape)
