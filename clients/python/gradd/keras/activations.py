"""Activation functions by name (tf.keras.activations.get)."""
from .. import _ops


def linear(x):
    return x


relu = _ops.relu
tanh = _ops.tanh
sigmoid = _ops.sigmoid
softmax = _ops.softmax
softplus = _ops.softplus
elu = _ops.elu
exponential = _ops.exp

_BY_NAME = {"linear": linear, "relu": relu, "tanh": tanh, "sigmoid": sigmoid,
            "softmax": softmax, "softplus": softplus, "elu": elu, "exponential": exponential}


def get(identifier):
    if identifier is None:
        return linear
    if callable(identifier):
        return identifier
    try:
        return _BY_NAME[identifier]
    except KeyError:
        raise ValueError(f"unknown activation {identifier!r}") from None
