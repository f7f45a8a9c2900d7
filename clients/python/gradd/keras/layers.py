"""tf.keras.layers.Dense, and the Layer protocol it follows (Sequential and user layers too)."""
from .. import _dtypes, _ops
from .._tensor import Variable, _Ops, convert_to_tensor
from . import activations, initializers


class Layer:
    """The minimal Keras Layer protocol: build on first call (or an explicit build()),
    trainable_variables, inputs cast to the layer's dtype."""

    def __init__(self, name=None, dtype="float32"):
        self.name = name or _unique(type(self).__name__.lower())
        self._dtype = _dtypes.as_dtype(dtype)
        self.dtype = self._dtype.name
        self.built = False
        self._weights = []

    def add_weight(self, name, shape, initializer, trainable=True):
        if self.built:
            raise ValueError("You cannot add new elements of state (variables or sub-layers) to "
                             "a layer that is already built. All state must be created in the "
                             "`__init__()` method or in the `build()` method.")
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
        dtype = self._dtype
        if not isinstance(inputs, _Ops):
            inputs = convert_to_tensor(inputs, dtype_hint=dtype)
        self._check_input(inputs.shape)
        if not self.built:
            self.build(inputs.shape)
            self.built = True
        # Keras casts float inputs to the layer's dtype, and its matmul promotes int/bool ones
        # to it: either way the layer computes in its dtype.
        if inputs.dtype is not dtype:
            inputs = _ops.cast(inputs, dtype)
        return self.call(inputs, *args, **kwargs)

    def _check_input(self, shape):
        """Raises Keras' ValueError for an input the layer does not accept (its input_spec)."""

    def build(self, input_shape):
        self.built = True

    def compute_output_shape(self, input_shape):
        """The output shape for `input_shape` (Sequential.build uses it to build layer after
        layer without running them)."""
        raise NotImplementedError(f"{type(self).__name__} does not compute its output shape")


_counts = {}


def _unique(base):
    n = _counts.get(base, 0)
    _counts[base] = n + 1
    return base if n == 0 else f"{base}_{n}"


class Dense(Layer):
    """outputs = activation(inputs @ kernel + bias)."""

    def __init__(self, units, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", name=None,
                 **kwargs):
        super().__init__(name=name, dtype=kwargs.get("dtype", "float32"))
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel = None
        self.bias = None

    def _check_input(self, shape):
        if len(shape) < 2:
            raise ValueError(f"Input 0 of layer '{self.name}' is incompatible with the layer: "
                             f"expected min_ndim=2, found ndim={len(shape)}. Full shape "
                             f"received: {shape}")
        if self.kernel is not None and shape[-1] not in (None, self.kernel.shape[0]):
            raise ValueError(f"Input 0 of layer '{self.name}' is incompatible with the layer: "
                             f"expected axis -1 of input shape to have value "
                             f"{self.kernel.shape[0]}, but received input with shape {shape}")

    def build(self, input_shape):
        last = input_shape[-1]
        self.kernel = self.add_weight("kernel", (last, self.units),
                                      lambda s: self.kernel_initializer(s, dtype=self.dtype))
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.units,),
                                        lambda s: self.bias_initializer(s, dtype=self.dtype))
        self.built = True

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)[:-1] + (self.units,)

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
