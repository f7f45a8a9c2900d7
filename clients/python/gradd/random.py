"""tf.random, computed client-side with numpy (the values are uploaded as constants)."""
import numpy as np

from . import _dtypes
from ._ops import _shape_tuple
from ._tensor import Tensor

_global_seed = None
_rng = np.random.default_rng()


def set_seed(seed):
    """Sets the global seed: the sequence of random values is then reproducible."""
    global _global_seed, _rng
    _global_seed = seed
    _rng = np.random.default_rng(seed)


def _gen(seed):
    if seed is None:
        return _rng
    return np.random.default_rng([seed] if _global_seed is None else [_global_seed, seed])


def normal(shape, mean=0.0, stddev=1.0, dtype=_dtypes.float32, seed=None, name=None):
    dt = _dtypes.as_dtype(dtype)
    v = _gen(seed).normal(mean, stddev, _shape_tuple(shape))
    return Tensor._local(np.asarray(v, dtype=dt.as_numpy_dtype))


def uniform(shape, minval=0, maxval=None, dtype=_dtypes.float32, seed=None, name=None):
    dt = _dtypes.as_dtype(dtype)
    shape = _shape_tuple(shape)
    if dt.is_integer:
        if maxval is None:
            raise ValueError("maxval is required for integer dtypes")
        v = _gen(seed).integers(minval, maxval, shape)
    else:
        v = _gen(seed).uniform(minval, 1.0 if maxval is None else maxval, shape)
    return Tensor._local(np.asarray(v, dtype=dt.as_numpy_dtype))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=_dtypes.float32, seed=None, name=None):
    g = _gen(seed)
    shape = _shape_tuple(shape)
    v = g.normal(0.0, 1.0, shape)
    bad = np.abs(v) > 2
    while bad.any():
        v[bad] = g.normal(0.0, 1.0, int(bad.sum()))
        bad = np.abs(v) > 2
    return Tensor._local(np.asarray(mean + stddev * v, dtype=_dtypes.as_dtype(dtype).as_numpy_dtype))
