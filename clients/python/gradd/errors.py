"""tf.errors-style exception classes."""
from ._errors import *  # noqa: F401,F403
from ._errors import GraddError as OpError  # noqa: F401 - TensorFlow's base class name
