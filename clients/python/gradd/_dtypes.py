"""DTypes of the wire format (gradd.v1.DType), with TensorFlow's names."""
import builtins

import numpy as np

from ._proto import gradd_pb2 as pb


class DType:
    """A tensor element type (`gradd.float32`, ...), comparable with TensorFlow-style names."""

    __slots__ = ("name", "as_numpy_dtype", "enum", "is_floating", "is_integer", "is_bool")

    def __init__(self, name, np_type, enum, is_floating=False, is_integer=False, is_bool=False):
        self.name = name
        self.as_numpy_dtype = np_type
        self.enum = enum
        self.is_floating = is_floating
        self.is_integer = is_integer
        self.is_bool = is_bool

    @property
    def base_dtype(self):
        return self

    def __repr__(self):
        return f"gradd.{self.name}"

    def __str__(self):
        return f"<dtype: '{self.name}'>"

    def __eq__(self, other):
        if other is None:
            return False
        try:
            return as_dtype(other) is self
        except TypeError:
            return NotImplemented

    def __hash__(self):
        return hash(self.name)

    def __reduce__(self):
        return as_dtype, (self.name,)


float32 = DType("float32", np.float32, pb.DTYPE_FLOAT32, is_floating=True)
float64 = DType("float64", np.float64, pb.DTYPE_FLOAT64, is_floating=True)
int32 = DType("int32", np.int32, pb.DTYPE_INT32, is_integer=True)
int64 = DType("int64", np.int64, pb.DTYPE_INT64, is_integer=True)
bool = DType("bool", np.bool_, pb.DTYPE_BOOL, is_bool=True)  # noqa: A001 - TensorFlow's name
double = float64

ALL = (float32, float64, int32, int64, bool)
_BY_NAME = {d.name: d for d in ALL}
_BY_NAME["double"] = float64
_BY_ENUM = {d.enum: d for d in ALL}
_BY_NP = {np.dtype(d.as_numpy_dtype): d for d in ALL}


def as_dtype(x):
    """Converts a DType, a name ('float32'), a numpy dtype or a Python type to a DType."""
    if isinstance(x, DType):
        return x
    if isinstance(x, str):
        try:
            return _BY_NAME[x]
        except KeyError:
            raise TypeError(f"unsupported dtype {x!r}") from None
    if x is float:
        return float32
    if x is int:
        return int32
    if x is builtins.bool:
        return bool
    try:
        npd = np.dtype(x)
    except TypeError:
        raise TypeError(f"unsupported dtype {x!r}") from None
    try:
        return _BY_NP[npd]
    except KeyError:
        raise TypeError(f"unsupported dtype {x!r} (gradd supports {', '.join(_BY_NAME)})") from None


def from_enum(e):
    try:
        return _BY_ENUM[e]
    except KeyError:
        raise ValueError(f"unknown wire dtype {e}") from None


def of_numpy(npdtype):
    """as_dtype for a numpy dtype, with the supported ones looked up first (every local tensor
    calls this)."""
    d = _BY_NP.get(npdtype)
    return d if d is not None else as_dtype(npdtype)
