"""gradd: a TensorFlow-shaped client for the gradd gRPC service (tf.GradientTape, remote).

    import gradd as tf

    w = tf.Variable(tf.random.normal((3, 2)), name='w')
    b = tf.Variable(tf.zeros(2, dtype=tf.float32), name='b')
    x = [[1., 2., 3.]]
    with tf.GradientTape() as tape:
        y = x @ w + b
        loss = tf.reduce_mean(y**2)
    [dl_dw, dl_db] = tape.gradient(loss, [w, b])
    print(dl_dw)          # the whole cell above costs ONE Run round trip, sent here

Operations are queued as Steps and sent in one Run when a value is needed (printing, .numpy(),
bool()); errors point at the line that queued the failing op. The server address is GRADD_ADDR
(default localhost:50051), or an explicit `with gradd.Session("host:port"):` block.
"""
from . import errors, keras, math, nn, random  # noqa: F401
from ._dtypes import DType, as_dtype, bool, double, float32, float64, int32, int64  # noqa: F401
from ._errors import (AbortedError, AlreadyExistsError, CancelledError,  # noqa: F401
                      DataLossError, DeadlineExceededError, FailedPreconditionError, GraddError,
                      InternalError, InvalidArgumentError, NotFoundError, OutOfRangeError,
                      PermissionDeniedError, ResourceExhaustedError, SessionLostError,
                      UnauthenticatedError, UnavailableError, UnimplementedError, UnknownError)
from ._ops import *  # noqa: F401,F403
from ._math2 import *  # noqa: F401,F403,A004 - tan, round, not_equal, logical_and, ...
from ._more import eye, linspace, norm, pad, range  # noqa: F401,A004
from ._function import TensorSpec, function  # noqa: F401
from ._print import print  # noqa: F401,A004
from ._session import Session, get_session, reset_default_session  # noqa: F401
from ._tape import GradientTape, UnconnectedGradients  # noqa: F401
from ._tensor import Tensor, TensorShape, Variable, convert_to_tensor, matmul  # noqa: F401

__version__ = "0.1.0"
newaxis = None  # x[tf.newaxis] inserts an axis of size 1


def is_tensor(x):
    return isinstance(x, (Tensor, Variable))


def flush():
    """Sends the current session's queued steps now (one Run)."""
    get_session().flush()
