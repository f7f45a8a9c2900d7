"""More of tf.math and tf.nn: trigonometric, hyperbolic and error functions, ceil and round,
not_equal, the logical functions, Tensor's `&`, `|`, `^` and `~`, and tf.nn.gelu.

Each function is a raw op of the op table or, like TensorFlow's own Python code, composed
from them (logical_xor, gelu), so gradients flow through the parts and shapes and dtypes are
inferred locally (_shapes.py): the steps stay quiet.

_tensor.py imports this module at its end (its operators are set on _Ops below), so only
names defined there are imported here.
"""
import numpy as np

from . import _dtypes, _errors
from ._tensor import Tensor, _binary, _operand, _Ops, convert_to_tensor, run_op

# The names tf exports at the top level too (tf.tan, tf.round, tf.logical_and, ...); the others
# are in tf.math / tf.nn only, as in TensorFlow 2.21.
__all__ = ["tan", "atan", "asin", "acos", "sinh", "cosh", "round", "not_equal", "logical_and",
           "logical_or", "logical_not"]


def tan(x, name=None):
    return run_op("Tan", [x])[0]


def atan(x, name=None):
    return run_op("Atan", [x])[0]


def asin(x, name=None):
    return run_op("Asin", [x])[0]


def acos(x, name=None):
    return run_op("Acos", [x])[0]


def sinh(x, name=None):
    return run_op("Sinh", [x])[0]


def cosh(x, name=None):
    return run_op("Cosh", [x])[0]


def expm1(x, name=None):
    """exp(x) - 1, accurate near 0 (tf.math.expm1)."""
    return run_op("Expm1", [x])[0]


def erf(x, name=None):
    return run_op("Erf", [x])[0]


def erfc(x, name=None):
    return run_op("Erfc", [x])[0]


def ceil(x, name=None):
    return run_op("Ceil", [x])[0]


def round(x, name=None):  # noqa: A001 - TensorFlow's name
    """Rounds half to even (tf.math.round). An integer tensor is returned as it is, without an
    op, as TensorFlow's Python function does (its raw Round kernel gives zeros for integers)."""
    x = convert_to_tensor(x)
    if x.dtype.is_integer:
        return x
    return run_op("Round", [x])[0]


def not_equal(x, y, name=None):
    """x != y elementwise; unlike the `!=` operator, shapes that do not broadcast are an error."""
    return _binary("NotEqual", x, y)


# -- logical ---------------------------------------------------------------------------------

def _bool(x):
    # The raw ops' inputs are bool: TensorFlow converts a Python value to bool (`[1, 0]` is a
    # TypeError); a tensor is taken as it is and the op reports a non-bool one.
    return x if isinstance(x, _Ops) else _operand(x, _dtypes.bool)


def logical_and(x, y, name=None):
    return run_op("LogicalAnd", [_bool(x), _bool(y)])[0]


def logical_or(x, y, name=None):
    return run_op("LogicalOr", [_bool(x), _bool(y)])[0]


def logical_not(x, name=None):
    return run_op("LogicalNot", [_bool(x)])[0]


def logical_xor(x, y, name="LogicalXor"):
    """(x | y) & ~(x & y): TensorFlow's composition (it has no LogicalXor op either)."""
    x, y = _bool(x), _bool(y)
    return logical_and(logical_or(x, y), logical_not(logical_and(x, y)))


# Tensor operators. TensorFlow dispatches on the left operand's dtype (after converting a
# non-tensor one to the tensor's): bool runs the logical op, integers the bitwise op (which
# gradd has not), and its bitwise ops' dtype check rejects the rest.
_BITWISE = {"&": "BitwiseAnd", "|": "BitwiseOr", "^": "BitwiseXor", "~": "Invert"}
_TF_DTYPE_NAMES = {"float32": "float", "float64": "double"}


def _check_bool(x, sym):
    dt = x.dtype
    if dt is _dtypes.bool:
        return
    if dt.is_integer:
        raise NotImplementedError(
            f"gradd has no bitwise ops: `{sym}` on {dt.name} tensors (TensorFlow's "
            f"{_BITWISE[sym]}) is not supported; it works on bool tensors only")
    raise _errors.InvalidArgumentError(
        f"Value for attr 'T' of {_TF_DTYPE_NAMES.get(dt.name, dt.name)} is not in the list of "
        "allowed values: int8, int16, int32, int64, uint8, uint16, uint32, uint64")


def _operators(fn, sym):
    def forward(self, o):
        _check_bool(self, sym)
        return fn(self, o)

    def reflected(self, o):  # `o sym self`, o not a tensor: converted to self's dtype
        _check_bool(self, sym)
        return fn(_operand(o, self.dtype), self)
    return forward, reflected


def _invert(self):
    _check_bool(self, "~")
    return logical_not(self)


_Ops.__and__, _Ops.__rand__ = _operators(logical_and, "&")
_Ops.__or__, _Ops.__ror__ = _operators(logical_or, "|")
_Ops.__xor__, _Ops.__rxor__ = _operators(logical_xor, "^")
_Ops.__invert__ = _invert


# -- nn --------------------------------------------------------------------------------------

def _cast_constant(value, dtype):
    # TensorFlow's math_ops.cast(python_float, dtype) converts to float32 first: for float64
    # too, gelu's constants are the float32 ones, widened.
    return Tensor._local(np.array(np.float32(value), dtype=dtype.as_numpy_dtype))


def gelu(features, approximate=False, name=None):
    """x * P(X <= x), X ~ N(0, 1) (tf.nn.gelu), with TensorFlow 2.21's ops and constants in
    its order: 0.5 * x * erfc(-x * 0.7071...) exactly, or the tanh approximation."""
    x = convert_to_tensor(features)
    if not x.dtype.is_floating:
        raise ValueError("`features.dtype` must be a floating point tensor."
                         f"Received:features.dtype={x.dtype}")
    if approximate:
        coeff = _cast_constant(0.044715, x.dtype)
        inner = 0.7978845608028654 * (x + coeff * x ** 3)
        return 0.5 * x * (1.0 + run_op("Tanh", [inner])[0])
    z = -x * _cast_constant(0.7071067811865476, x.dtype)
    return 0.5 * x * erfc(z)
