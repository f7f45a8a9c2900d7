"""tf.function and tf.TensorSpec. gradd has no graph mode: a decorated function runs eagerly,
as TensorFlow's does under `tf.config.run_functions_eagerly(True)`. Its ops are queued and
batched into Runs like any other code, which is what tracing would buy here. An
`input_signature` is still honoured: arguments are converted to and checked against it, with
TensorFlow's TypeError when they do not fit."""
import functools
import inspect

from . import _dtypes
from ._nest import _flatten
from ._tensor import TensorShape, _Ops, convert_to_tensor

__all__ = ["function", "TensorSpec"]


class TensorSpec:
    """The shape (None for unknown dims, or None for any rank) and dtype of a tensor."""

    def __init__(self, shape, dtype=_dtypes.float32, name=None):
        self._shape = None if shape is None else TensorShape(shape)
        self._dtype = _dtypes.as_dtype(dtype)
        self._name = name

    shape = property(lambda self: self._shape)
    dtype = property(lambda self: self._dtype)
    name = property(lambda self: self._name)

    def is_compatible_with(self, x):
        """True if tensor (or spec) `x` has this dtype and a shape this one allows."""
        if x.dtype is not self._dtype:
            return False
        shape = x.shape
        if self._shape is None or shape is None:
            return True
        return len(shape) == len(self._shape) and all(
            a is None or b is None or a == b for a, b in zip(self._shape, shape))

    def __eq__(self, other):
        return (isinstance(other, TensorSpec) and self._shape == other._shape
                and self._dtype is other._dtype and self._name == other._name)

    def __hash__(self):
        return hash((self._shape, self._dtype.name, self._name))

    def __repr__(self):
        shape = "<unknown>" if self._shape is None else str(self._shape)
        return f"TensorSpec(shape={shape}, dtype={self._dtype!r}, name={self._name!r})"


def function(func=None, input_signature=None, autograph=True, jit_compile=None,
             reduce_retracing=False, experimental_implements=None,
             experimental_autograph_options=None, experimental_attributes=None,
             experimental_relax_shapes=None, experimental_compile=None,
             experimental_follow_type_hints=None):
    """`@tf.function` or `@tf.function(input_signature=..., jit_compile=...)`: `func` itself,
    run eagerly on every call (the compilation options have nothing to act on)."""
    if input_signature is not None:
        specs, _ = _flatten(list(input_signature))
        bad = [s for s in specs if not isinstance(s, TensorSpec)]
        if bad:
            raise TypeError("input_signature must be a possibly nested sequence of TensorSpec "
                            f"objects, got invalid args {bad} with types "
                            f"{[type(b) for b in bad]}.")
    if func is None:
        return functools.partial(function, input_signature=input_signature)
    if input_signature is None:
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            return func(*args, **kwargs)
    else:
        signature = inspect.signature(func)

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            return func(*_bind(signature, input_signature, args, kwargs))
    wrapper.python_function = func
    wrapper.input_signature = input_signature
    return wrapper


def _bind(signature, input_signature, args, kwargs):
    """The arguments as tensors matching `input_signature` (one spec structure a parameter)."""
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError as e:
        raise TypeError(f"Binding inputs to tf.function failed due to `{e}`. Received args: "
                        f"{args} and kwargs: {kwargs}") from None
    values = list(bound.arguments.values())
    # A method's instance is not in the signature (TensorFlow binds it first).
    head = values[:1] if next(iter(signature.parameters), None) in ("self", "cls") else []
    values = values[len(head):]
    if len(values) > len(input_signature):
        raise TypeError("Binding inputs to tf.function failed due to `too many positional "
                        f"arguments`. Received args: {args} and kwargs: {kwargs}")
    return head + [_match(v, s, args, kwargs) for v, s in zip(values, input_signature)]


def _match(value, spec, args, kwargs):
    """`value` converted to the structure of `spec`, each TensorSpec's part a tensor."""
    if isinstance(spec, TensorSpec):
        t = value if isinstance(value, _Ops) else convert_to_tensor(value, dtype_hint=spec.dtype)
        if not spec.is_compatible_with(t):
            raise TypeError("Binding inputs to tf.function failed due to `Can not cast "
                            f"{TensorSpec(t.shape, t.dtype)!r} to {spec!r}`. Received args: "
                            f"{args} and kwargs: {kwargs}")
        return t
    if isinstance(spec, dict) and isinstance(value, dict) and sorted(spec) == sorted(value):
        return {k: _match(value[k], spec[k], args, kwargs) for k in spec}
    if isinstance(spec, (list, tuple)) and isinstance(value, (list, tuple)) and \
            len(spec) == len(value):
        return type(value)(_match(v, s, args, kwargs) for v, s in zip(value, spec))
    raise TypeError(f"Binding inputs to tf.function failed: {value!r} does not match the "
                    f"structure of {spec!r}")
