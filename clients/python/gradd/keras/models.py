"""tf.keras.Sequential: a stack of layers called one after the other.

What a GradientTape training loop uses of Keras 3's Sequential: calling it, `layers`, `add`,
`pop`, `build`, and the variables of its layers (`trainable_variables` for the optimizer).
The Keras training methods (compile, fit, evaluate, predict) are not here: they raise
NotImplementedError, so a loop written with a tape and an optimizer is the way to train.
"""
import inspect

from .._tensor import _Ops, convert_to_tensor
from .layers import Layer


class Sequential(Layer):
    """`Sequential([Dense(8, activation='relu'), Dense(1)])`: built on its first call (or
    `build(input_shape)`), like each of its layers."""

    def __init__(self, layers=None, trainable=True, name=None):
        super().__init__(name=name)
        self.trainable = trainable
        self._layers = []
        for layer in layers or ():
            self.add(layer)

    def add(self, layer):
        """Adds a layer on top of the stack."""
        if not isinstance(layer, Layer):
            raise ValueError("Only instances of `keras.Layer` can be added to a Sequential "
                             f"model. Received: {layer} (of type {type(layer)})")
        if any(lyr.name == layer.name for lyr in self._layers):
            raise ValueError("All layers added to a Sequential model should have unique "
                             f"names. Name '{layer.name}' is already the name of a layer in "
                             "this model. Update the `name` argument to pass a unique name.")
        self._layers.append(layer)
        self.built = False

    def pop(self):
        """Removes the last layer and returns it."""
        layer = self._layers.pop()
        self.built = False
        return layer

    @property
    def layers(self):
        return self._layers[:]

    @layers.setter
    def layers(self, _):
        raise AttributeError("`Sequential.layers` attribute is reserved and should not be "
                             "used. Use `add()` and `pop()` to change the layers in this model.")

    def _no_layers(self):
        return ValueError(f"Sequential model {self.name} cannot be built because it has no "
                          "layers. Call `model.add(layer)`.")

    def build(self, input_shape=None):
        """Builds the layers for inputs of `input_shape` (batch axis included, may be None),
        propagating the shape with each layer's compute_output_shape; a layer that cannot
        compute it leaves the rest to be built by the first call, as in Keras."""
        if input_shape is None:
            return
        if not self._layers:
            raise self._no_layers()
        shape = tuple(input_shape)
        for layer in self._layers:
            layer._check_input(shape)
            try:
                out = layer.compute_output_shape(shape)
            except NotImplementedError:
                return
            if not layer.built:
                layer.build(shape)
                layer.built = True
            shape = tuple(out)
        self.built = True

    def __call__(self, inputs, training=None, mask=None):
        if not self._layers:
            raise self._no_layers()
        x = inputs if isinstance(inputs, _Ops) else convert_to_tensor(inputs,
                                                                      dtype_hint=self._dtype)
        for layer in self._layers:
            # `training` goes to the layers whose call() takes it (Dropout-like layers).
            if training is not None and _takes(layer, "training"):
                x = layer(x, training=training)
            else:
                x = layer(x)
        self.built = True
        return x

    def call(self, inputs, training=None, mask=None):
        return self(inputs, training=training, mask=mask)

    # The variables are those of the layers, in layer order (a layer listed once).

    @property
    def weights(self):
        out, seen = [], set()
        for layer in self._layers:
            for w in layer.weights:
                if id(w) not in seen:
                    seen.add(id(w))
                    out.append(w)
        return out

    variables = weights

    @property
    def trainable_variables(self):
        if not self.trainable:
            return []
        return [w for w in self.weights if w.trainable]

    trainable_weights = trainable_variables

    @property
    def non_trainable_variables(self):
        if not self.trainable:
            return self.weights
        return [w for w in self.weights if not w.trainable]

    non_trainable_weights = non_trainable_variables

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        for layer in self._layers:
            shape = tuple(layer.compute_output_shape(shape))
        return shape

    def _check_input(self, shape):
        if self._layers:
            self._layers[0]._check_input(shape)

    def _unsupported(self, *args, **kwargs):
        raise NotImplementedError("gradd's Sequential has no compile/fit/evaluate/predict: "
                                  "train it with a GradientTape loop and "
                                  "gradd.keras.optimizers (see the client README)")

    compile = fit = evaluate = predict = train_on_batch = test_on_batch = _unsupported


def _takes(layer, arg):
    try:
        return arg in inspect.signature(layer.call).parameters
    except (TypeError, ValueError):
        return False
