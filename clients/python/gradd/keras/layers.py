"""tf.keras.layers.Dense."""
import numpy as np

from .. import _ops
from .. import random as _random
from .._tensor import Variable, _Ops, convert_to_tensor
from . import activations


class Layer:
    """The minimal Keras Layer protocol: build on first call, trainable_variables."""

    def __init__(self, name=None, dtype="float32"):
        self.name = name or _unique(type(self).__name__.lower())
        self.dtype = dtype
        self.built = False
        self._weights = []

    def add_weight(self, name, shape, initializer, trainable=True):
        value = initializer(tuple(shape))
        v = Variable(value, trainable=trainable, name=name)
        self._weights.append(v)
        return v

    @property
    def weights(self):
        return list(self._weights)

    variables = weights

    @property
    def trainable_variables(self):
        return [w for w in self._weights if w.trainable]

    trainable_weights = trainable_variables

    @property
    def non_trainable_variables(self):
        return [w for w in self._weights if not w.trainable]

    def __call__(self, inputs, *args, **kwargs):
        if not isinstance(inputs, _Ops):
            inputs = convert_to_tensor(inputs, dtype_hint=self.dtype)
        if not self.built:
            self.build(inputs.shape)
            self.built = True
        return self.call(inputs, *args, **kwargs)

    def build(self, input_shape):
        pass


_counts = {}


def _unique(base):
    n = _counts.get(base, 0)
    _counts[base] = n + 1
    return base if n == 0 else f"{base}_{n}"


def glorot_uniform(shape, dtype="float32"):
    fan_in, fan_out = shape[-2] if len(shape) > 1 else shape[0], shape[-1]
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return _random.uniform(shape, -limit, limit, dtype=dtype)


def zeros(shape, dtype="float32"):
    return _ops.zeros(shape, dtype=dtype)


_INITIALIZERS = {"glorot_uniform": glorot_uniform, "zeros": zeros}


class Dense(Layer):
    """outputs = activation(inputs @ kernel + bias)."""

    def __init__(self, units, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", name=None,
                 **kwargs):
        super().__init__(name=name, dtype=kwargs.get("dtype", "float32"))
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = _INITIALIZERS.get(kernel_initializer, kernel_initializer)
        self.bias_initializer = _INITIALIZERS.get(bias_initializer, bias_initializer)
        self.kernel = None
        self.bias = None

    def build(self, input_shape):
        last = input_shape[-1]
        self.kernel = self.add_weight("kernel", (last, self.units),
                                      lambda s: self.kernel_initializer(s, dtype=self.dtype))
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.units,),
                                        lambda s: self.bias_initializer(s, dtype=self.dtype))

    def call(self, inputs):
        rank = len(inputs.shape)
        if rank == 2:
            y = _ops.matmul(inputs, self.kernel)
        else:
            flat = _ops.reshape(inputs, (-1, inputs.shape[-1]))
            y = _ops.reshape(_ops.matmul(flat, self.kernel),
                             tuple(inputs.shape[:-1]) + (self.units,))
        if self.use_bias:
            y = _ops.bias_add(y, self.bias)
        return self.activation(y)
