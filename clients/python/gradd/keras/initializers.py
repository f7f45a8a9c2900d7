"""Weight initializers by name (tf.keras.initializers.get), with Keras' formulas.

Random values come from gradd.random (numpy, client-side): the same distributions as Keras,
not the same numbers.
"""
import math

import numpy as np

from .. import _dtypes, _ops
from .. import random as _random
from .._tensor import Tensor


def compute_fans(shape):
    """(fan_in, fan_out) of a weight shape, as Keras computes them."""
    shape = tuple(shape)
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive_field = int(np.prod(shape[:-2]))  # convolution kernels: (..., in, out)
    return shape[-2] * receptive_field, shape[-1] * receptive_field


class Initializer:
    """Called as `initializer(shape, dtype=None)`; returns a Tensor."""

    def __call__(self, shape, dtype=None):
        raise NotImplementedError


class Zeros(Initializer):
    def __call__(self, shape, dtype=None):
        return _ops.zeros(shape, dtype=dtype or "float32")


class Ones(Initializer):
    def __call__(self, shape, dtype=None):
        return _ops.ones(shape, dtype=dtype or "float32")


class Constant(Initializer):
    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        dt = _dtypes.as_dtype(dtype or "float32").as_numpy_dtype
        return Tensor._local(np.full(tuple(shape), self.value, dtype=dt))


class Identity(Initializer):
    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        if len(shape) != 2:
            raise ValueError("Identity matrix initializer can only be used for 2D matrices. "
                             f"Received: shape={tuple(shape)} of rank {len(shape)}.")
        dt = _dtypes.as_dtype(dtype or "float32").as_numpy_dtype
        return Tensor._local((self.gain * np.eye(*shape)).astype(dt))


class RandomNormal(Initializer):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def __call__(self, shape, dtype=None):
        return _random.normal(shape, self.mean, self.stddev, dtype or "float32", self.seed)


class TruncatedNormal(Initializer):
    """Normal values redrawn beyond two standard deviations."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def __call__(self, shape, dtype=None):
        return _random.truncated_normal(shape, self.mean, self.stddev, dtype or "float32",
                                        self.seed)


class RandomUniform(Initializer):
    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval, self.maxval, self.seed = minval, maxval, seed

    def __call__(self, shape, dtype=None):
        return _random.uniform(shape, self.minval, self.maxval, dtype or "float32", self.seed)


class VarianceScaling(Initializer):
    """scale / n (n: fan_in, fan_out or their mean) as the variance of a truncated normal,
    an untruncated normal, or a uniform distribution."""

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        if scale <= 0.0:
            raise ValueError(f"Argument `scale` must be positive float. Received: scale={scale}")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"Invalid `mode` argument: {mode}.")
        distribution = distribution.lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in ("uniform", "truncated_normal", "untruncated_normal"):
            raise ValueError(f"Invalid `distribution` argument: {distribution}.")
        self.scale, self.mode, self.distribution, self.seed = scale, mode, distribution, seed

    def __call__(self, shape, dtype=None):
        fan_in, fan_out = compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        scale = self.scale / max(1.0, n)
        dtype = dtype or "float32"
        if self.distribution == "truncated_normal":
            # The stddev of a unit normal truncated to [-2, 2] is .8796...: undo it.
            stddev = math.sqrt(scale) / 0.87962566103423978
            return _random.truncated_normal(shape, 0.0, stddev, dtype, self.seed)
        if self.distribution == "untruncated_normal":
            return _random.normal(shape, 0.0, math.sqrt(scale), dtype, self.seed)
        limit = math.sqrt(3.0 * scale)
        return _random.uniform(shape, -limit, limit, dtype, self.seed)


class GlorotUniform(VarianceScaling):
    def __init__(self, seed=None):
        super().__init__(1.0, "fan_avg", "uniform", seed)


class GlorotNormal(VarianceScaling):
    def __init__(self, seed=None):
        super().__init__(1.0, "fan_avg", "truncated_normal", seed)


class LecunUniform(VarianceScaling):
    def __init__(self, seed=None):
        super().__init__(1.0, "fan_in", "uniform", seed)


class LecunNormal(VarianceScaling):
    def __init__(self, seed=None):
        super().__init__(1.0, "fan_in", "truncated_normal", seed)


class HeUniform(VarianceScaling):
    def __init__(self, seed=None):
        super().__init__(2.0, "fan_in", "uniform", seed)


class HeNormal(VarianceScaling):
    def __init__(self, seed=None):
        super().__init__(2.0, "fan_in", "truncated_normal", seed)


class Orthogonal(Initializer):
    """An orthogonal matrix (QR of a normal one), reshaped to `shape`."""

    def __init__(self, gain=1.0, seed=None):
        self.gain, self.seed = gain, seed

    def __call__(self, shape, dtype=None):
        shape = tuple(shape)
        if len(shape) < 2:
            raise ValueError("The tensor to initialize must be at least two-dimensional. "
                             f"Received: shape={shape} of rank {len(shape)}.")
        rows, cols = int(np.prod(shape[:-1])), shape[-1]
        a = _random.normal((max(rows, cols), min(rows, cols)), seed=self.seed,
                           dtype="float64").numpy()
        q, r = np.linalg.qr(a)
        q = q * np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        dt = _dtypes.as_dtype(dtype or "float32").as_numpy_dtype
        return Tensor._local((self.gain * q.reshape(shape)).astype(dt))


_CLASSES = (Zeros, Ones, Constant, Identity, RandomNormal, TruncatedNormal, RandomUniform,
            VarianceScaling, GlorotUniform, GlorotNormal, LecunUniform, LecunNormal, HeUniform,
            HeNormal, Orthogonal)


def _snake(name):
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


# Keras accepts the class name and its snake_case, and a few aliases.
_BY_NAME = {c.__name__: c for c in _CLASSES}
_BY_NAME.update({_snake(c.__name__): c for c in _CLASSES})
_BY_NAME.update({"normal": RandomNormal, "uniform": RandomUniform, "one": Ones, "zero": Zeros})

# The snake_case aliases of tf.keras.initializers.
zeros, ones, constant, identity = Zeros, Ones, Constant, Identity
glorot_uniform, glorot_normal = GlorotUniform, GlorotNormal
he_uniform, he_normal, lecun_uniform, lecun_normal = HeUniform, HeNormal, LecunUniform, LecunNormal
random_normal, random_uniform, truncated_normal = RandomNormal, RandomUniform, TruncatedNormal
orthogonal, variance_scaling = Orthogonal, VarianceScaling


def get(identifier):
    """An initializer from a name ('glorot_uniform', 'GlorotUniform', 'ones', ...), a class or
    a callable `f(shape, dtype=None)`; None stays None."""
    if identifier is None or isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier)
        if cls is None:
            raise ValueError(f"Could not interpret initializer identifier: {identifier}")
        return cls()
    if isinstance(identifier, type) and issubclass(identifier, Initializer):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret initializer identifier: {identifier!r}")
