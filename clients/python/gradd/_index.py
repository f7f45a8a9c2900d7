"""Indexing, `x[key]` on tensors and variables: TensorFlow's strided-slice semantics (Python's
rules, tf.newaxis, one Ellipsis) built from Slice, GatherV2 and Reshape, so gradients flow
through the ops' own gradients (the op table has no StridedSlice).

getitem takes the keys most code uses (ints, step-1 slices, one Ellipsis) to one Slice, plus a
Squeeze for the ints, and hands any other key to _strided untouched: the fast path does no
work for the rarer cases beyond noticing them.
"""
import numpy as np

from . import _dtypes, _errors
from ._tensor import Tensor, _Ops, run_op

_ALL = slice(None)

_BAD_INDEX = ("Only integers, slices (`:`), ellipsis (`...`), tf.newaxis (`None`) and scalar "
              "tf.int32/tf.int64 tensors are valid indices, got {!r}")


def _check_bounds(i, d, axis):
    """An integer index `i` into a dimension of size `d`: TensorFlow's StridedSlice error
    (InvalidArgumentError, not IndexError) when it is out of range."""
    if i < -d or i >= d:
        raise _errors.InvalidArgumentError(
            f"slice index {i + d if i < 0 else i} of dimension {axis} out of bounds.")


def getitem(x, key):
    """x[key]: ints and step-1 slices as Slice + Squeeze; anything else via _strided."""
    key0 = key
    if not isinstance(key, tuple):
        key = (key,)
    shp = x.shape
    ell = [i for i, k in enumerate(key) if k is Ellipsis]  # not `in`: == on a tensor key
    if ell:
        i = ell[0]
        fill_n = len(shp) - (len(key) - 1)
        key = key[:i] + (_ALL,) * fill_n + key[i + 1:]
    if len(key) > len(shp):
        return _strided(x, key0)  # None in the key, or too many indices (its error)
    begin, sizes, squeeze_axes = [], [], []
    for axis, (k, d) in enumerate(zip(key + (_ALL,) * (len(shp) - len(key)), shp)):
        if isinstance(k, _Ops):
            k = k.__index__()  # TypeError for a float tensor, as in TensorFlow
        if isinstance(k, (int, np.integer)):
            k = int(k)
            _check_bounds(k, d, axis)
            begin.append(k % d)
            sizes.append(1)
            squeeze_axes.append(axis)
        elif isinstance(k, slice):
            try:
                start, stop, step = k.indices(d)
            except (ValueError, TypeError):  # step 0, a float: TensorFlow's errors
                return _strided(x, key0)
            if step != 1:
                return _strided(x, key0)
            begin.append(start)
            sizes.append(max(0, stop - start))
        else:
            return _strided(x, key0)  # None, a second Ellipsis, or not an index at all
    out = run_op("Slice", [x], {"begin": begin, "size": sizes})[0]
    if squeeze_axes:
        out = run_op("Squeeze", [out], {"axis": squeeze_axes})[0]
    return out


def _index(k):
    """An int index (Python, numpy or a scalar int32/int64 tensor), else TensorFlow's
    TypeError."""
    if isinstance(k, (int, np.integer)):
        return int(k)
    if isinstance(k, np.ndarray) and k.ndim == 0 and k.dtype.kind in "iu":
        return int(k)
    if isinstance(k, _Ops) and k.dtype in (_dtypes.int32, _dtypes.int64) and not k.shape:
        return int(k.numpy())
    raise TypeError(_BAD_INDEX.format(k))


def _bound(k):
    return None if k is None else _index(k)


def _strided(x, key):
    """The general case: one Slice for the ints and ranges (when it cuts anything), a GatherV2
    of constant indices for each axis with a step other than 1 (its elements in order, or
    reversed for a negative step), and one Reshape that drops the int-indexed axes and
    inserts the tf.newaxis ones."""
    # TensorFlow treats a list key like a tuple (x[[0, 1]] is x[0, 1]).
    key = tuple(key) if isinstance(key, list) else key if isinstance(key, tuple) else (key,)
    shp = tuple(x.shape)
    rank = len(shp)
    n_ell = 0
    for k in key:
        if k is Ellipsis:
            n_ell += 1
        elif k is not None and not isinstance(k, slice):
            _index(k)  # (a tensor's value is fetched once: it is kept)
    if n_ell > 1:
        raise _errors.InvalidArgumentError("Multiple ellipses in slice spec not allowed")
    n_real = sum(1 for k in key if k is not None and k is not Ellipsis)
    if n_real > rank:
        raise _errors.InvalidArgumentError(
            "Attempting to slice scalar input." if rank == 0 else
            f"Index out of range using input dim {rank}; input has only {rank} dims")
    if not n_ell:
        key = key + (Ellipsis,)
    begin, sizes, gathers, out_shape = [], [], [], []
    dim = 0
    for pos, k in enumerate(key):
        if k is None:
            out_shape.append(1)
            continue
        if k is Ellipsis:
            for d in shp[dim:dim + rank - n_real]:
                begin.append(0)
                sizes.append(d)
                out_shape.append(d)
            dim += rank - n_real
            continue
        d = shp[dim]
        if isinstance(k, slice):
            step = 1 if k.step is None else _index(k.step)
            if step == 0:
                raise _errors.InvalidArgumentError(f"strides[{pos}] must be non-zero")
            picked = range(*slice(_bound(k.start), _bound(k.stop), step).indices(d))
            if len(picked) > 1 and step != 1:  # gathered from the whole axis
                begin.append(0)
                sizes.append(d)
                gathers.append((dim, list(picked)))
            else:  # a range (or one element, or none): part of the Slice
                begin.append(min(picked[0], picked[-1]) if picked else 0)
                sizes.append(len(picked))
            out_shape.append(len(picked))
        else:
            i = _index(k)
            _check_bounds(i, d, dim)
            begin.append(i % d)
            sizes.append(1)
        dim += 1
    out = x
    if any(begin) or tuple(sizes) != shp:
        out = run_op("Slice", [out], {"begin": begin, "size": sizes})[0]
    for axis, picked in gathers:
        idx = Tensor._local(np.array(picked, dtype=np.int32), _dtypes.int32)
        out = run_op("GatherV2", [out, idx], {"axis": axis})[0]
        sizes[axis] = len(picked)
    if tuple(out_shape) != tuple(sizes):
        out = run_op("Reshape", [out], {"shape": out_shape})[0]
    if out is x:  # x[::-1] of a length-1 axis, x[...]: still a new tensor, as in TensorFlow
        out = run_op("Identity", [x])[0]
    return out

