"""tf.keras, the part that gradient-tape code uses: layers.Dense, Sequential, activations,
initializers, losses and optimizers (SGD, Adam)."""
from . import activations, initializers, layers, losses, models, optimizers  # noqa: F401
from .layers import Layer  # noqa: F401
from .losses import Loss  # noqa: F401
from .models import Sequential  # noqa: F401
from .optimizers import Optimizer  # noqa: F401
