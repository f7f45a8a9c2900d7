"""Conversion of Python and numpy values to tensors, with TensorFlow's rules: the default
dtypes (Python floats are float32, ints int32), an operand taking the dtype of the tensor it
meets (`x * 2`), and the normalization of attr values.

Split from _tensor.py, which re-exports every name here (`from gradd._tensor import
convert_to_tensor` keeps working). The two modules import each other, each at its end, so
either can be imported first.
"""
import math
import numbers

import numpy as np

from . import _dtypes


def _to_numpy(value, dtype=None):
    """Converts a Python/numpy value to an array with TensorFlow's default dtypes (Python
    floats -> float32, ints -> int32). With `dtype`, casts: numpy values unchecked (as
    TensorFlow casts them), Python values refusing float -> int truncation."""
    if dtype is not None:
        dtype = _dtypes.as_dtype(dtype)
    if isinstance(value, (np.ndarray, np.generic)):
        arr = np.asarray(value)
        if dtype is None:
            _dtypes.as_dtype(arr.dtype)  # rejects unsupported dtypes
            return arr
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"cannot convert {value!r} to a tensor of dtype {dtype.name}")
        return arr.astype(dtype.as_numpy_dtype, copy=False)
    arr = np.asarray(value)
    if dtype is None:
        if arr.dtype == np.float64:
            return arr.astype(np.float32)
        if arr.dtype.kind in "iu":
            if arr.size and (arr.max() > np.iinfo(np.int32).max or arr.min() < np.iinfo(np.int32).min):
                return arr.astype(np.int64)
            return arr.astype(np.int32)
        _dtypes.as_dtype(arr.dtype)
        return arr
    if arr.dtype.kind == "f" and (dtype.is_integer or dtype.is_bool):
        if not np.all(np.mod(arr, 1) == 0):
            raise TypeError(f"cannot convert {value!r} to a tensor of dtype {dtype.name}")
    if arr.dtype.kind == "O":
        raise TypeError(f"cannot convert {value!r} to a tensor")
    return arr.astype(dtype.as_numpy_dtype, copy=False)


def _contains_tensor(value):
    """Whether a nested list/tuple holds a tensor or variable (then it is stacked as an op,
    not converted here)."""
    if isinstance(value, _Ops):
        return True
    return isinstance(value, (list, tuple)) and _leaves(value) == _TENSOR


_TENSOR, _FLOATS, _OTHER = 2, 1, 0


def _leaves(seq):
    """What a nested list/tuple holds: _TENSOR (a tensor or variable somewhere), else _FLOATS
    (only Python floats, so numpy can convert it to a float dtype in one step), else _OTHER.
    Python floats, the usual leaves, are passed over first."""
    kind = _FLOATS
    for v in seq:
        t = type(v)
        if t is float:
            continue
        if t is list or t is tuple or isinstance(v, (list, tuple)):
            k = _leaves(v)
            if k == _TENSOR:
                return _TENSOR
            if k == _OTHER:
                kind = _OTHER
        elif isinstance(v, _Ops):
            return _TENSOR
        else:
            kind = _OTHER
    return kind


def convert_to_tensor(value, dtype=None, dtype_hint=None, name=None):
    """Returns `value` as a Tensor; a Variable is read (an Identity op, recorded by active
    tapes like any read). Python values become local constants; with `dtype_hint` they take
    that dtype where TensorFlow would (see _operand), else their own."""
    if isinstance(value, _Ops):
        if dtype is not None and _dtypes.as_dtype(dtype) is not value.dtype:
            raise ValueError(f"tensor has dtype {value.dtype.name}, not {_dtypes.as_dtype(dtype).name}")
        return value if isinstance(value, Tensor) else value.value()
    if isinstance(value, (list, tuple)) and _contains_tensor(value):
        from . import _ops
        return _ops.stack([convert_to_tensor(v, dtype=dtype, dtype_hint=dtype_hint) for v in value])
    if dtype is None and dtype_hint is not None:
        return _operand(value, _dtypes.as_dtype(dtype_hint), hint=True)
    return Tensor._local(_to_numpy(value, dtype))


def _fits(kind, dtype):
    """Whether TensorFlow converts a Python value (of numpy kind `kind`) to `dtype`: ints and
    bools widen to any number dtype, floats only to floats, nothing else to bool."""
    if dtype.is_floating:
        return kind in "biuf"
    if dtype.is_integer:
        return kind in "biu"
    return kind == "b"


def _operand(value, dtype, hint=False):
    """`value` (not a tensor) as the operand of an op whose other input has `dtype`, converted
    like TensorFlow does: numpy values are cast to `dtype` unchecked (`x * np.float64(2)` is
    float32 for a float32 x), Python numbers and lists when they fit (`int_tensor * 2.5` is a
    TypeError). With `hint` a misfit keeps its own dtype instead (TensorFlow's dtype_hint:
    the op then reports the mismatch)."""
    scalar = type(value) in (float, int)
    if scalar:
        # Scalars like the 2 in `y**2` recur in every iteration: reuse one constant. The key
        # has the type (2 and 2.0 are equal keys), the dtype's enum (hashing a DType is a
        # Python call) and, for a zero, its sign (0.0 and -0.0 are equal keys too).
        key = (type(value), value, dtype.enum) if value else \
            (type(value), value, dtype.enum, math.copysign(1.0, value))
        t = _SCALARS.get(key)
        if t is not None:
            return t
    elif isinstance(value, (np.ndarray, np.generic)):
        return Tensor._local(_to_numpy(value, dtype))
    elif isinstance(value, (list, tuple)):
        kind = _leaves(value)
        if kind == _TENSOR:
            return convert_to_tensor(value, dtype_hint=dtype)
        if kind == _FLOATS and dtype.is_floating:
            # `x @ w`, x a list of floats: the same values as asarray (float64) and astype,
            # one conversion of each float instead of two.
            return Tensor._local(np.array(value, dtype=dtype.as_numpy_dtype), dtype)
    raw = np.asarray(value)
    if _fits(raw.dtype.kind, dtype):
        t = Tensor._local(raw.astype(dtype.as_numpy_dtype), dtype)
        if scalar:
            if len(_SCALARS) >= 4096:
                _SCALARS.clear()
            _SCALARS[key] = t
        return t
    if value is None:  # TensorFlow's conversion error for None (`x != None` is not one)
        raise ValueError("Attempt to convert a value (None) with an unsupported type "
                         "(<class 'NoneType'>) to a Tensor.")
    if hint:
        return Tensor._local(_to_numpy(value))
    raise TypeError(f"Cannot convert {value!r} to a tensor of dtype {dtype.name}")


_SCALARS = {}


def _attr(v):
    """An attr value normalized for _enc.attr_entry: bool, int, float, str, DType or a tuple
    of ints."""
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (_dtypes.DType, str)):
        return v
    if isinstance(v, numbers.Integral):
        return int(v)
    if isinstance(v, numbers.Real):
        return float(v)
    return tuple(int(x) for x in v)


from ._tensor import Tensor, _Ops  # noqa: E402 - at the end: _tensor imports this module
