"""tf.keras, the part that gradient-tape code uses: layers.Dense, activations, initializers."""
from . import activations, initializers, layers  # noqa: F401
