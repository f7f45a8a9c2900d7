"""Tensor, Variable and the op call that queues an OpStep.

A Tensor is either local (a numpy value, e.g. tf.constant; uploaded as a ConstantStep the
first time an op in a session uses it) or remote (bound to a ref in a session, produced by an
op or a gradient; its value is fetched when needed). Shapes and dtypes are inferred locally
where possible and corrected by the server's results.
"""
import numbers
import weakref

import numpy as np

from . import _dtypes, _enc, _errors, _shapes, _wire
from ._proto import gradd_pb2 as pb
from ._session import get_session, user_frame


class TensorShape(tuple):
    """A shape; prints as `(3, 2)` like TensorFlow's and compares equal to lists and tuples."""

    def __new__(cls, dims=()):
        return super().__new__(cls, tuple(None if d is None else int(d) for d in dims))

    def as_list(self):
        return list(self)

    @property
    def rank(self):
        return len(self)

    ndims = rank

    def num_elements(self):
        n = 1
        for d in self:
            n *= d
        return n

    def __eq__(self, other):
        try:
            return tuple(self) == tuple(other)
        except TypeError:
            return NotImplemented

    def __ne__(self, other):
        r = self.__eq__(other)
        return r if r is NotImplemented else not r

    __hash__ = tuple.__hash__

    def __str__(self):
        return tuple.__repr__(self)

    def __repr__(self):
        return f"TensorShape({list(self)})"


# ---------------------------------------------------------------------------------------------
# Conversion


def _to_numpy(value, dtype=None):
    """Converts a Python/numpy value to an array with TensorFlow's default dtypes (Python
    floats -> float32, ints -> int32). With `dtype`, casts, refusing float -> int truncation."""
    if dtype is not None:
        dtype = _dtypes.as_dtype(dtype)
    if isinstance(value, (np.ndarray, np.generic)):
        arr = np.asarray(value)
        if dtype is None:
            _dtypes.as_dtype(arr.dtype)  # rejects unsupported dtypes
            return arr
    else:
        arr = np.asarray(value)
        if arr.dtype == np.float64 and dtype is None:
            return arr.astype(np.float32)
        if arr.dtype.kind in "iu" and dtype is None:
            if arr.size and (arr.max() > np.iinfo(np.int32).max or arr.min() < np.iinfo(np.int32).min):
                return arr.astype(np.int64)
            return arr.astype(np.int32)
        if dtype is None:
            _dtypes.as_dtype(arr.dtype)
            return arr
    if arr.dtype.kind == "f" and (dtype.is_integer or dtype.is_bool):
        if not np.all(np.mod(arr, 1) == 0):
            raise TypeError(f"cannot convert {value!r} to a tensor of dtype {dtype.name}")
    if arr.dtype.kind == "O":
        raise TypeError(f"cannot convert {value!r} to a tensor")
    return arr.astype(dtype.as_numpy_dtype, copy=False)


def _contains_tensor(value):
    if isinstance(value, _Ops):
        return True
    if isinstance(value, (list, tuple)):
        return any(_contains_tensor(v) for v in value)
    return False


def convert_to_tensor(value, dtype=None, dtype_hint=None, name=None):
    """Returns `value` as a Tensor (or the Variable itself). Python values become local
    constants; `dtype_hint` is used for Python values when they fit it."""
    if isinstance(value, _Ops):
        if dtype is not None and _dtypes.as_dtype(dtype) is not value.dtype:
            raise ValueError(f"tensor has dtype {value.dtype.name}, not {_dtypes.as_dtype(dtype).name}")
        return value
    if isinstance(value, (list, tuple)) and _contains_tensor(value):
        from . import _ops
        return _ops.stack([convert_to_tensor(v, dtype=dtype, dtype_hint=dtype_hint) for v in value])
    if type(value) in (float, int) and dtype is None and dtype_hint is not None:
        # Scalars like the 2 in `y**2` recur in every iteration: reuse one constant per session.
        key = (type(value), value, dtype_hint)
        t = _SCALARS.get(key)
        if t is None:
            t = _SCALARS[key] = _convert(value, None, dtype_hint)
            if len(_SCALARS) > 4096:
                _SCALARS.clear()
        return t
    return _convert(value, dtype, dtype_hint)


_SCALARS = {}


def _convert(value, dtype, dtype_hint):
    if dtype is None and dtype_hint is not None and not isinstance(value, (np.ndarray, np.generic)):
        hint = _dtypes.as_dtype(dtype_hint)
        if hint.is_floating:
            # Python numbers next to a float tensor take its dtype (the `x` in `x @ w`).
            raw = np.asarray(value)
            if raw.dtype.kind in "fiu":
                return Tensor._local(raw.astype(hint.as_numpy_dtype))
        try:
            arr = _to_numpy(value, hint)
            natural = _to_numpy(value)
            if (natural.dtype.kind == "f" and not hint.is_floating) or \
                    (natural.dtype.kind == "b") != hint.is_bool:
                arr = natural
            return Tensor._local(arr)
        except TypeError:
            pass
    return Tensor._local(_to_numpy(value, dtype))


def _attr(v):
    """An attr value normalized for _enc.attr_entry: bool, int, float, str, DType or a tuple
    of ints."""
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (_dtypes.DType, str)):
        return v
    if isinstance(v, numbers.Integral):
        return int(v)
    if isinstance(v, numbers.Real):
        return float(v)
    return tuple(int(x) for x in v)


def _session_of(inputs):
    s = None
    for x in inputs:
        xs = x._session
        if xs is not None:
            if s is None:
                s = xs
            elif xs is not s:
                raise ValueError("tensors from different gradd sessions cannot be mixed")
    return s if s is not None else get_session()


def run_op(op, inputs, attrs=None, n_out=1):
    """Queues OpStep `op` on `inputs` (tensors, variables or Python values) and returns its
    `n_out` output Tensors (shapes/dtypes inferred locally where possible). The step is
    `quiet` (no values come back for it) when every output's shape and dtype is known here."""
    attr_bytes = b""
    if attrs:
        attrs = {k: v for k, v in attrs.items() if v is not None}
        attr_bytes = b"".join([_enc.attr_entry(k, _attr(v)) for k, v in sorted(attrs.items())])
    else:
        attrs = {}
    inputs = [x if isinstance(x, _Ops) else convert_to_tensor(x) for x in inputs]
    session = _session_of(inputs)
    frame = user_frame()
    refs, in_shapes, in_dtypes = [], [], []
    for x in inputs:
        # Remote tensors and variables of this session (the usual case) need no checks beyond
        # the error one; local values are uploaded by _ref_in.
        refs.append(x._ref if x._session is session and x._error is None
                    else x._ref_in(session, frame))
        in_shapes.append(x._shape)
        in_dtypes.append(x._dtype)
    shapes, dtypes = _shapes.infer(op, in_shapes, in_dtypes, attrs, n_out)
    new_ref = session.new_ref
    remote = Tensor._remote
    if n_out == 1:
        s0, d0 = shapes[0], dtypes[0]
        outs = [remote(session, new_ref(), d0, s0)]
        quiet = d0 is not None and s0 is not None and None not in s0
    else:
        outs = [remote(session, new_ref(), d, sh) for sh, d in zip(shapes, dtypes)]
        quiet = None not in dtypes and all(sh is not None and None not in sh for sh in shapes)
    step = _enc.op_step(op, refs, [o._ref for o in outs], attr_bytes, quiet)
    if session._active_tapes:
        session._record(op, inputs, refs, outs)
    session.enqueue(step, frame, outs=outs, quiet=quiet)
    return outs


def fetch(tensors):
    """Fetches the values of remote tensors/variables in one Run (with anything queued)."""
    by_session = {}
    for t in tensors:
        if t._error is not None:
            raise t._error
        if t._value is None and getattr(t, "_awaiting", False):
            t._session.flush()  # a queued gradient step returns this value (fetch=true)
            if t._error is not None:
                raise t._error
        if t._value is None:
            by_session.setdefault(id(t._session), (t._session, []))[1].append(t)
    for session, ts in by_session.values():
        session.enqueue(pb.Step(fetch=pb.FetchStep(refs=[t._ref for t in ts])), user_frame(),
                        on_result=_value_setter(ts))
        session.flush()


def _value_setter(tensors):
    def on_result(r):
        if r is None:
            return
        for t, v in zip(tensors, r.values):
            t._set_from_proto(v.tensor)
    return on_result


# ---------------------------------------------------------------------------------------------
# Operators shared by Tensor and Variable


def _binary(op, a, b):
    if isinstance(a, _Ops):
        if not isinstance(b, _Ops):
            b = convert_to_tensor(b, dtype_hint=a.dtype)
    else:
        a = convert_to_tensor(a, dtype_hint=b.dtype)
    return run_op(op, [a, b])[0]


def matmul(a, b, transpose_a=False, transpose_b=False, name=None):
    """MatMul for rank-2 operands, BatchMatMulV2 for batched ones."""
    if not isinstance(a, _Ops):
        a = convert_to_tensor(a, dtype_hint=b.dtype if isinstance(b, _Ops) else None)
    if not isinstance(b, _Ops):
        b = convert_to_tensor(b, dtype_hint=a.dtype)
    ra = len(a._shape) if a._shape is not None else None
    rb = len(b._shape) if b._shape is not None else None
    if (ra is not None and ra > 2) or (rb is not None and rb > 2):
        return run_op("BatchMatMulV2", [a, b],
                      {"adj_x": transpose_a or None, "adj_y": transpose_b or None})[0]
    if not (transpose_a or transpose_b):
        return run_op("MatMul", [a, b])[0]
    return run_op("MatMul", [a, b],
                  {"transpose_a": transpose_a or None, "transpose_b": transpose_b or None})[0]


class _Ops:
    """Arithmetic, comparison and conversion operators (TensorFlow's overloads)."""

    __slots__ = ()
    __array_priority__ = 100  # numpy defers `ndarray op tensor` to us

    def __add__(self, o):
        return _binary("AddV2", self, o)

    def __radd__(self, o):
        return _binary("AddV2", o, self)

    def __sub__(self, o):
        return _binary("Sub", self, o)

    def __rsub__(self, o):
        return _binary("Sub", o, self)

    def __mul__(self, o):
        return _binary("Mul", self, o)

    def __rmul__(self, o):
        return _binary("Mul", o, self)

    def __truediv__(self, o):
        return _binary("RealDiv", self, o)

    def __rtruediv__(self, o):
        return _binary("RealDiv", o, self)

    def __pow__(self, o):
        return _binary("Pow", self, o)

    def __rpow__(self, o):
        return _binary("Pow", o, self)

    def __matmul__(self, o):
        return matmul(self, o)

    def __rmatmul__(self, o):
        return matmul(o, self)

    def __neg__(self):
        return run_op("Neg", [self])[0]

    def __pos__(self):
        return self

    def __abs__(self):
        return run_op("Abs", [self])[0]

    def __lt__(self, o):
        return _binary("Less", self, o)

    def __gt__(self, o):
        return _binary("Greater", self, o)

    def __le__(self, o):
        return _binary("Greater", self, o)._local_not()

    def __ge__(self, o):
        return _binary("Less", self, o)._local_not()

    def __eq__(self, o):
        if o is None:
            return False
        try:
            return _binary("Equal", self, o)
        except (TypeError, ValueError):
            return NotImplemented

    def __ne__(self, o):
        if o is None:
            return True
        r = self.__eq__(o)
        return r if r is NotImplemented else r._local_not()

    __hash__ = None  # like TensorFlow 2: elementwise ==; use .ref() as a key

    def ref(self):
        """A hashable reference to this object (TensorFlow's Tensor.ref())."""
        return _Reference(self)

    def _local_not(self):
        # No LogicalNot in the op table: negate the fetched boolean value client-side.
        return Tensor._local(np.logical_not(self.numpy()))

    def __getitem__(self, key):
        from . import _ops
        return _ops._getitem(self, key)

    def __len__(self):
        s = self.shape
        if not s:
            raise TypeError("len() of a scalar tensor")
        return s[0]

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __bool__(self):
        return bool(self.numpy())

    def __float__(self):
        return float(self.numpy())

    def __int__(self):
        return int(self.numpy())

    def __index__(self):
        if not self.dtype.is_integer:
            raise TypeError("only integer tensors can be used as an index")
        return int(self.numpy())

    def __array__(self, dtype=None, copy=None):
        a = np.asarray(self.numpy())
        return a.astype(dtype) if dtype is not None else a

    def __format__(self, spec):
        if spec:
            return format(self.numpy(), spec)
        return str(self)

    @property
    def ndim(self):
        return len(self.shape)

    def get_shape(self):
        return self.shape

    def _numpy_text(self, is_repr=False):
        v = np.asarray(self.numpy())
        text = repr(v) if is_repr and v.ndim else str(v)
        if "\n" in text:
            text = "\n" + text
        return text


class _Reference:
    __slots__ = ("_obj",)

    def __init__(self, obj):
        self._obj = obj

    def deref(self):
        return self._obj

    def __hash__(self):
        return id(self._obj)

    def __eq__(self, other):
        return isinstance(other, _Reference) and other._obj is self._obj


class Tensor(_Ops):
    """An immutable value: local (numpy) or bound to a ref in a session."""

    __slots__ = ("_session", "_ref", "_dtype", "_shape", "_value", "_error", "_uploads",
                 "_up_session", "_up_ref", "_awaiting", "__weakref__")

    def __init__(self, *a, **k):
        raise TypeError("use gradd.constant(...) or gradd.convert_to_tensor(...)")

    @classmethod
    def _local(cls, arr):
        t = object.__new__(cls)
        t._session = None
        t._ref = None
        t._dtype = _dtypes.as_dtype(arr.dtype)
        t._shape = tuple(arr.shape)
        t._value = arr
        t._error = None
        t._uploads = None
        t._up_session = t._up_ref = None
        t._awaiting = False
        return t

    @classmethod
    def _remote(cls, session, ref, dtype, shape):
        t = object.__new__(cls)
        t._session = session
        t._ref = ref
        t._dtype = dtype
        t._shape = None if shape is None else tuple(shape)
        t._value = None
        t._error = None
        t._uploads = None
        t._up_session = t._up_ref = None
        t._awaiting = False
        return t

    def __del__(self):
        # Releases the server's copies with the next Run (cheaper than a weakref.finalize per
        # tensor, which the seed cell would pay five times an iteration).
        try:
            if self._ref is not None:
                self._session._release_refs.append(self._ref)
            elif self._up_session is not None:
                self._up_session._release_refs.append(self._up_ref)
        except AttributeError:  # never fully constructed
            pass

    def _ref_in(self, session, frame=None):
        if self._error is not None:
            raise self._error
        if self._session is session:
            return self._ref
        if self._session is not None:
            raise ValueError("tensors from different gradd sessions cannot be mixed")
        if self._up_session is session:
            return self._up_ref
        if self._up_session is None:
            # The common case: a local value used in one session (released by __del__).
            ref = self._up_ref = session.new_ref("c")
            self._up_session = session
            session.enqueue(_enc.constant_step(ref, _wire.encode(self._value)),
                            frame or user_frame(), on_fail=self._forget_upload)
            return ref
        if self._uploads is None:
            self._uploads = weakref.WeakKeyDictionary()
        ref = self._uploads.get(session)
        if ref is None:
            ref = session.new_ref("c")
            uploads = self._uploads
            self._uploads[session] = ref

            def forget(err):  # the upload did not run: upload again on next use
                if uploads.get(session) == ref:
                    del uploads[session]
            session.enqueue(_enc.constant_step(ref, _wire.encode(self._value)),
                            frame or user_frame(), on_fail=forget)
            weakref.finalize(self, session.release, ref).atexit = False
        return ref

    def _forget_upload(self, err):
        """The upload did not run: upload again on next use."""
        self._up_session = self._up_ref = None

    def _set_from_proto(self, t):
        self._dtype, self._shape, value = _wire.decode(t)
        if value is not None:
            self._value = value

    @property
    def dtype(self):
        if self._dtype is None:
            self._resolve_meta()
        return self._dtype

    @property
    def shape(self):
        if self._shape is None:
            self._resolve_meta()
        return TensorShape(self._shape)

    def _resolve_meta(self):
        if self._error is not None:
            raise self._error
        self._session.flush()
        if self._shape is None or self._dtype is None:
            fetch([self])

    def numpy(self):
        """The value as a numpy array (a numpy scalar for rank 0); fetches it if needed."""
        if self._value is None:
            fetch([self])
        v = self._value
        return v[()] if v.ndim == 0 else v.copy()

    @property
    def name(self):
        return self._ref or "Const"

    @property
    def session(self):
        return self._session

    def __str__(self):
        return (f"gradd.Tensor({self._numpy_text()}, shape={TensorShape(self.shape)}, "
                f"dtype={self.dtype.name})")

    def __repr__(self):
        if self._error is not None:
            return f"<gradd.Tensor (failed: {self._error.message.splitlines()[0]})>"
        return (f"<gradd.Tensor: shape={self.shape}, dtype={self.dtype.name}, "
                f"numpy={self._numpy_text(is_repr=True)}>")


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
            step.from_ref = value._ref_in(self._session, frame)
        else:
            arr = value._value if isinstance(value, _Ops) else _to_numpy(value, self._dtype)
            arr = np.asarray(arr, dtype=self._dtype.as_numpy_dtype)
            if arr.shape != self._shape:
                raise ValueError(f"cannot assign a value of shape {arr.shape} to variable "
                                 f"'{self._name}' of shape {self._shape}")
            _wire.to_proto(arr, self._dtype, out=step.value)
            if mode == pb.ASSIGN_MODE_ASSIGN:
                cached = arr.copy()
            elif self._value is not None:
                cached = self._value + arr if mode == pb.ASSIGN_MODE_ADD else self._value - arr
                cached = cached.astype(self._dtype.as_numpy_dtype)
        self._value = cached
        self._session.enqueue(pb.Step(assign=step), frame, on_fail=self._poison)
        return self

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
