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

    def __getitem__(self, key):
        # A slice is a shape again (TensorFlow's `x.shape[1:].as_list()`); an index is a dim.
        dims = tuple.__getitem__(self, key)
        return TensorShape(dims) if isinstance(key, slice) else dims

    def __add__(self, other):
        return TensorShape(tuple(self) + tuple(other))

    def __radd__(self, other):
        return TensorShape(tuple(other) + tuple(self))

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
    floats -> float32, ints -> int32). With `dtype`, casts: numpy values unchecked (as
    TensorFlow casts them), Python values refusing float -> int truncation."""
    if dtype is not None:
        dtype = _dtypes.as_dtype(dtype)
    if isinstance(value, (np.ndarray, np.generic)):
        arr = np.asarray(value)
        if dtype is None:
            _dtypes.as_dtype(arr.dtype)  # rejects unsupported dtypes
            return arr
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"cannot convert {value!r} to a tensor of dtype {dtype.name}")
        return arr.astype(dtype.as_numpy_dtype, copy=False)
    arr = np.asarray(value)
    if dtype is None:
        if arr.dtype == np.float64:
            return arr.astype(np.float32)
        if arr.dtype.kind in "iu":
            if arr.size and (arr.max() > np.iinfo(np.int32).max or arr.min() < np.iinfo(np.int32).min):
                return arr.astype(np.int64)
            return arr.astype(np.int32)
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
    """Returns `value` as a Tensor; a Variable is read (an Identity op, recorded by active
    tapes like any read). Python values become local constants; with `dtype_hint` they take
    that dtype where TensorFlow would (see _operand), else their own."""
    if isinstance(value, _Ops):
        if dtype is not None and _dtypes.as_dtype(dtype) is not value.dtype:
            raise ValueError(f"tensor has dtype {value.dtype.name}, not {_dtypes.as_dtype(dtype).name}")
        return value if isinstance(value, Tensor) else value.value()
    if isinstance(value, (list, tuple)) and _contains_tensor(value):
        from . import _ops
        return _ops.stack([convert_to_tensor(v, dtype=dtype, dtype_hint=dtype_hint) for v in value])
    if dtype is None and dtype_hint is not None:
        return _operand(value, _dtypes.as_dtype(dtype_hint), hint=True)
    return Tensor._local(_to_numpy(value, dtype))


def _fits(kind, dtype):
    """Whether TensorFlow converts a Python value (of numpy kind `kind`) to `dtype`: ints and
    bools widen to any number dtype, floats only to floats, nothing else to bool."""
    if dtype.is_floating:
        return kind in "biuf"
    if dtype.is_integer:
        return kind in "biu"
    return kind == "b"


def _operand(value, dtype, hint=False):
    """`value` (not a tensor) as the operand of an op whose other input has `dtype`, converted
    like TensorFlow does: numpy values are cast to `dtype` unchecked (`x * np.float64(2)` is
    float32 for a float32 x), Python numbers and lists when they fit (`int_tensor * 2.5` is a
    TypeError). With `hint` a misfit keeps its own dtype instead (TensorFlow's dtype_hint:
    the op then reports the mismatch)."""
    scalar = type(value) in (float, int)
    if scalar:
        # Scalars like the 2 in `y**2` recur in every iteration: reuse one constant.
        t = _SCALARS.get((type(value), value, dtype))
        if t is not None:
            return t
    elif isinstance(value, (np.ndarray, np.generic)):
        return Tensor._local(_to_numpy(value, dtype))
    elif isinstance(value, (list, tuple)) and _contains_tensor(value):
        return convert_to_tensor(value, dtype_hint=dtype)
    raw = np.asarray(value)
    if _fits(raw.dtype.kind, dtype):
        t = Tensor._local(raw.astype(dtype.as_numpy_dtype))
        if scalar:
            if len(_SCALARS) >= 4096:
                _SCALARS.clear()
            _SCALARS[(type(value), value, dtype)] = t
        return t
    if hint:
        return Tensor._local(_to_numpy(value))
    raise TypeError(f"Cannot convert {value!r} to a tensor of dtype {dtype.name}")


_SCALARS = {}


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
    """`a op b` with TensorFlow's conversion of a non-tensor operand: it takes the dtype of the
    other, a tensor's (see _operand); with no tensor, the first keeps its own dtype (tf.maximum
    and the other ops called with two lists or numbers)."""
    if isinstance(a, _Ops):
        if not isinstance(b, _Ops):
            b = _operand(b, a.dtype)
    elif isinstance(b, _Ops):
        a = _operand(a, b.dtype)
    else:
        a = convert_to_tensor(a)
        b = _operand(b, a.dtype)
    return run_op(op, [a, b])[0]


def _add(x, y):
    """`x + y` and tf.add: TensorFlow converts x on its own and y with x's dtype as a hint only,
    so `int_tensor + 2.5` is the op's dtype error, not a TypeError like `int_tensor * 2.5`."""
    if not isinstance(x, _Ops):
        x = convert_to_tensor(x)
    if not isinstance(y, _Ops):
        y = _operand(y, x.dtype, hint=True)
    return run_op("AddV2", [x, y])[0]


def _truediv(x, y):
    """`x / y` like TensorFlow's truediv: y takes x's dtype where it fits; integers are divided
    as float64 (TensorFlow's table for int32/int64); bools and mixed dtypes are a TypeError."""
    if not isinstance(x, _Ops):
        x = convert_to_tensor(x)
    if not isinstance(y, _Ops):
        y = _operand(y, x.dtype, hint=True)
    dt = x.dtype
    if y.dtype is not dt:
        raise TypeError(f"`x` and `y` must have the same dtype, got {dt!r} != {y.dtype!r}.")
    if not dt.is_floating:
        if not dt.is_integer:
            raise TypeError(f"Invalid dtype {dt!r} in __truediv__")
        x = run_op("Cast", [x], {"dtype": "float64"})[0]
        y = run_op("Cast", [y], {"dtype": "float64"})[0]
    return run_op("RealDiv", [x, y])[0]


def matmul(a, b, transpose_a=False, transpose_b=False, name=None):
    """MatMul for rank-2 operands, BatchMatMulV2 for batched ones. Like TensorFlow, `a` keeps
    its own dtype and `b` takes a's where it fits (`x @ np.ones((2, 1))` is float32)."""
    if not isinstance(a, _Ops):
        a = convert_to_tensor(a)
    if not isinstance(b, _Ops):
        b = _operand(b, a.dtype, hint=True)
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
        return _add(self, o)

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
        return _truediv(self, o)

    def __rtruediv__(self, o):
        return _truediv(_operand(o, self.dtype), self)

    def __pow__(self, o):
        return _binary("Pow", self, o)

    def __rpow__(self, o):
        return _binary("Pow", o, self)

    def __matmul__(self, o):
        return matmul(self, o)

    def __rmatmul__(self, o):
        # Reflected operators convert the other operand with this dtype (`x @ w`, x a list).
        return matmul(_operand(o, self.dtype), self)

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
        return _binary("LessEqual", self, o)

    def __ge__(self, o):
        return _binary("GreaterEqual", self, o)

    def __eq__(self, o):
        if o is None:
            return False
        if not isinstance(o, _Ops):
            o = _operand(o, self.dtype)  # a misfit (`bool_tensor == 1`) is a TypeError
        a, b = self._shape, o._shape
        if a is not None and b is not None and _shapes.broadcast(a, b) is None and \
                None not in a and None not in b:
            return Tensor._local(np.array(False))  # TensorFlow: incompatible shapes differ
        return run_op("Equal", [self, o])[0]

    def __ne__(self, o):
        if o is None:
            return True
        return self.__eq__(o)._local_not()

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
        # A variable formats as its text (TensorFlow's Variable has no __format__); Tensor
        # formats its value.
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

    def __format__(self, spec):
        # TensorFlow formats the numpy value: f"{loss}" is "5.0", f"{loss:.3f}" is "5.000".
        return format(np.asarray(self.numpy()), spec)

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
