"""Activation functions by name (tf.keras.activations.get).

Keras' sigmoid and softmax remember the logits they were applied to, and its crossentropy
losses use them instead of the probabilities (no 1e-7 clipping, exact gradients): a
`Dense(1, activation='sigmoid')` output given to `BinaryCrossentropy()` is computed from the
logits. gradd does the same (keras_logits below), so losses of such models match TensorFlow.
"""
import weakref

from .. import _math2, _ops
from .._tensor import _Ops, convert_to_tensor

# id(output) -> (weak reference to output, its logits). A Tensor has slots (no attribute can be
# set on it, as Keras does on a tf.Tensor) and no hash (== is elementwise): keyed by id, the
# entry leaves with its output.
_LOGITS = {}


def _remember_logits(output, logits):
    key = id(output)

    def forget(_, key=key):
        _LOGITS.pop(key, None)

    _LOGITS[key] = (weakref.ref(output, forget), logits)
    return output


def keras_logits(output):
    """The logits `output` was computed from by sigmoid or softmax below, else None."""
    entry = _LOGITS.get(id(output))
    if entry is not None and entry[0]() is output:
        return entry[1]
    return None


def linear(x):
    return x


def sigmoid(x):
    x = x if isinstance(x, _Ops) else convert_to_tensor(x)
    return _remember_logits(_ops.sigmoid(x), x)


def softmax(x, axis=-1):
    x = x if isinstance(x, _Ops) else convert_to_tensor(x)
    return _remember_logits(_ops.softmax(x, axis=axis), x)


def gelu(x, approximate=False):
    """Keras 3's keras.activations.gelu: exact (erf) unless `approximate`, unlike
    keras.ops.gelu, whose default is the tanh approximation."""
    return _math2.gelu(x, approximate=approximate)


relu = _ops.relu
tanh = _ops.tanh
softplus = _ops.softplus
elu = _ops.elu
exponential = _ops.exp

_BY_NAME = {"linear": linear, "relu": relu, "tanh": tanh, "sigmoid": sigmoid,
            "softmax": softmax, "softplus": softplus, "elu": elu, "exponential": exponential,
            "gelu": gelu}


def get(identifier):
    if identifier is None:
        return linear
    if callable(identifier):
        return identifier
    try:
        return _BY_NAME[identifier]
    except KeyError:
        raise ValueError(f"unknown activation {identifier!r}") from None
