"""Variable: a mutable tensor held by the server (tf.Variable).

Split from _tensor.py, which re-exports it (`from gradd._tensor import Variable` keeps
working) and imports this module at its end, once everything a Variable uses is defined.
"""
import weakref

import numpy as np

from . import _dtypes, _errors, _wire
from ._convert import _to_numpy, convert_to_tensor
from ._proto import gradd_pb2 as pb
from ._session import get_session, user_frame
from ._tensor import TensorShape, _Ops, fetch, run_op


class Variable(_Ops):
    """A mutable tensor held by the server (tf.Variable). Trainable variables read by an op are
    watched automatically by tapes with watch_accessed_variables=True."""

    __slots__ = ("_session", "_ref", "_dtype", "_shape", "_value", "_error", "_name",
                 "_trainable", "_serial", "__weakref__")

    def __init__(self, initial_value=None, trainable=True, name=None, dtype=None, shape=None):
        if initial_value is None:
            raise ValueError("initial_value must be specified")
        if callable(initial_value):
            initial_value = initial_value()
        t = convert_to_tensor(initial_value, dtype=dtype) if not isinstance(initial_value, _Ops) \
            else initial_value
        if dtype is not None and t.dtype is not _dtypes.as_dtype(dtype):
            from . import _ops
            t = _ops.cast(t, dtype)
        session = t._session if t._session is not None else get_session()
        frame = user_frame()
        self._session = session
        self._ref = session.new_ref("v")
        self._serial = session._counter
        self._name = name or "Variable"
        self._trainable = bool(trainable)
        self._error = None
        self._dtype = t.dtype
        if t._value is not None:
            value = np.array(t._value, copy=True)
            self._value = value
            self._shape = tuple(value.shape)
            session.enqueue(pb.Step(variable=pb.VariableStep(
                ref=self._ref, value=_wire.to_proto(value), trainable=self._trainable)),
                frame, on_fail=self._poison)
        else:
            # A value still on the server: create zeros, then assign from its ref (no round trip).
            self._shape = tuple(t.shape)
            self._value = None
            zeros = np.zeros(self._shape, dtype=self._dtype.as_numpy_dtype)
            session.enqueue(pb.Step(variable=pb.VariableStep(
                ref=self._ref, value=_wire.to_proto(zeros), trainable=self._trainable)),
                frame, on_fail=self._poison)
            session.enqueue(pb.Step(assign=pb.AssignStep(variable=self._ref,
                                                         from_ref=t._ref_in(session, frame))),
                            frame, on_fail=self._poison)
        session._variables[self._ref] = self
        weakref.finalize(self, session.release, self._ref).atexit = False

    def _poison(self, err):
        self._error = err

    def _ref_in(self, session, frame=None):
        if self._error is not None:
            raise self._error
        if session is not self._session:
            raise ValueError("a variable cannot be used outside its gradd session")
        return self._ref

    @property
    def name(self):
        return self._name

    @property
    def trainable(self):
        return self._trainable

    @property
    def dtype(self):
        return self._dtype

    @property
    def shape(self):
        return TensorShape(self._shape)

    @property
    def session(self):
        return self._session

    def numpy(self):
        if self._value is None:
            fetch([self])
        v = self._value
        return v[()] if v.ndim == 0 else v.copy()

    def _set_from_proto(self, t):
        value = _wire.decode(t)[2]
        if value is not None:
            self._value = value

    def value(self):
        """The current value as a Tensor (an Identity op: a read recorded by active tapes)."""
        return run_op("Identity", [self])[0]

    read_value = value

    def _assign(self, mode, value):
        frame = user_frame()
        step = pb.AssignStep(variable=self._ref_in(self._session, frame), mode=mode)
        cached = None
        if isinstance(value, _Ops) and value._value is None:
            self._check_shape(mode, value._shape)
            step.from_ref = value._ref_in(self._session, frame)
        else:
            arr = value._value if isinstance(value, _Ops) else _to_numpy(value, self._dtype)
            arr = np.asarray(arr, dtype=self._dtype.as_numpy_dtype)
            self._check_shape(mode, arr.shape)
            _wire.to_proto(arr, self._dtype, out=step.value)
            if mode == pb.ASSIGN_MODE_ASSIGN:
                cached = arr.copy()
            elif self._value is not None:
                cached = self._value + arr if mode == pb.ASSIGN_MODE_ADD else self._value - arr
                cached = cached.astype(self._dtype.as_numpy_dtype)
        self._value = cached
        self._session.enqueue(pb.Step(assign=step), frame, on_fail=self._assign_failed)
        return self

    def _check_shape(self, mode, shape):
        """TensorFlow's error for a value of another shape, raised before anything is queued
        when the shape is known here: assign checks statically (ValueError), assign_add/_sub
        in the kernel (InvalidArgumentError)."""
        if shape is None or tuple(shape) == self._shape or None in shape:
            return
        if mode == pb.ASSIGN_MODE_ASSIGN:
            raise ValueError(f"Cannot assign value to variable '{self._name}': Shape mismatch. "
                             f"The variable shape {TensorShape(self._shape)}, and the assigned "
                             f"value shape {TensorShape(shape)} are incompatible.")
        raise _errors.InvalidArgumentError(
            f"Cannot update variable with shape {list(self._shape)} using a Tensor with shape "
            f"{list(shape)}, shapes must be equal.")

    def _assign_failed(self, err):
        # The assign did not run (it failed, or a step before it did): the server still holds
        # the previous value, read again when needed. The error was raised by the flush; the
        # variable stays usable, as in TensorFlow.
        self._value = None

    def assign(self, value, use_locking=False, name=None, read_value=True):
        return self._assign(pb.ASSIGN_MODE_ASSIGN, value)

    def assign_add(self, delta, use_locking=False, name=None, read_value=True):
        return self._assign(pb.ASSIGN_MODE_ADD, delta)

    def assign_sub(self, delta, use_locking=False, name=None, read_value=True):
        return self._assign(pb.ASSIGN_MODE_SUB, delta)

    def __repr__(self):
        if self._error is not None:
            return f"<gradd.Variable '{self._name}' (failed: {self._error.message.splitlines()[0]})>"
        return (f"<gradd.Variable '{self._name}' shape={self.shape} dtype={self._dtype.name}, "
                f"numpy={self._numpy_text(is_repr=True)}>")

    __str__ = __repr__
