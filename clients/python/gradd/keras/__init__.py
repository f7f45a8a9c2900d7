"""tf.keras, the part that gradient-tape code uses: layers.Dense and activations."""
from . import activations, layers  # noqa: F401
