"""tf.nn: activations, softmax and cross-entropy."""
from ._ops import (bias_add, elu, leaky_relu, log_softmax, relu, sigmoid, softmax,  # noqa: F401
                   softmax_cross_entropy_with_logits, softplus,
                   sparse_softmax_cross_entropy_with_logits, tanh)
from ._math2 import gelu  # noqa: F401,E402
