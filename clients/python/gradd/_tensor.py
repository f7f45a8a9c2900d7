"""Tensor and the op call that queues an OpStep (Variable is in _variable.py, conversion of
Python values in _convert.py; both re-exported here).

A Tensor is either local (a numpy value, e.g. tf.constant; uploaded as a ConstantStep the
first time an op in a session uses it) or remote (bound to a ref in a session, produced by an
op or a gradient; its value is fetched when needed). Shapes and dtypes are inferred locally
where possible and corrected by the server's results.
"""
import weakref

import numpy as np

from . import _dtypes, _enc, _framed, _shapes, _wire
from ._framed import _CHR
from ._proto import gradd_pb2 as pb
from ._session import _IN_PACKAGE, _getframe, get_session, user_frame
from ._tensorshape import TensorShape  # noqa: F401 (re-exported)


def run_op(op, inputs, attrs=None, n_out=1):
    """Queues OpStep `op` on `inputs` (tensors, variables or Python values) and returns its
    `n_out` output Tensors (shapes/dtypes inferred locally where possible). The step is
    `quiet` (no values come back for it) when every output's shape and dtype is known here.

    This runs for every op the user's code calls, so the usual case (one output, one or two
    inputs) is written out: small helpers are inlined (marked), and the step is encoded by one
    call (_framed.op1/op2)."""
    if attrs:
        attrs = {k: v for k, v in attrs.items() if v is not None}
    if attrs:
        attr_s = _enc.attrs_str([(k, _attr(v)) for k, v in sorted(attrs.items())])
    else:
        attrs, attr_s = _NO_ATTRS, ""
    for x in inputs:
        if not isinstance(x, _Ops):
            inputs = [x if isinstance(x, _Ops) else convert_to_tensor(x) for x in inputs]
            break
    session = None
    for x in inputs:
        xs = x._session
        if xs is not session and xs is not None:
            if session is not None:
                raise ValueError("tensors from different gradd sessions cannot be mixed")
            session = xs
    if session is None:
        session = get_session()
    # user_frame(), inline: the innermost caller outside this package.
    f = _getframe(1)
    try:
        while _IN_PACKAGE[f.f_code.co_filename]:
            f = f.f_back
        frame = (f.f_code, f.f_lasti)
    except AttributeError:  # f is None: the whole stack is this package's
        frame = None
    # Remote tensors and variables of this session (the usual case) need no checks beyond the
    # error one; local values are uploaded by _ref_in.
    n_in = len(inputs)
    if n_in == 2:
        a, b = inputs
        refs = [a._ref if a._session is session and a._error is None else a._ref_in(session, frame),
                b._ref if b._session is session and b._error is None else b._ref_in(session, frame)]
    else:
        refs = [x._ref if x._session is session and x._error is None
                else x._ref_in(session, frame) for x in inputs]
    if n_out == 1 and n_in <= 2:
        shape, dtype = _shapes.infer1(op, inputs, attrs)
        session._counter = n = session._counter + 1  # session.new_ref(), inline
        ref = f"t{n}"
        t = _new(Tensor)  # _remote(session, ref, dtype, shape), inline
        t._session, t._ref, t._dtype, t._shape, t._value, t._error = \
            session, ref, dtype, shape, None, None
        outs = [t]
        quiet = dtype is not None and shape is not None and None not in shape
        step = (_framed.op2(op, refs[0], refs[1], attr_s, ref, quiet) if n_in == 2 else
                _framed.op1(op, refs[0], attr_s, ref, quiet) if n_in == 1 else
                _framed.op(op, refs, attr_s, [ref], quiet))
    else:
        shapes, dtypes = _shapes.infer(op, [x._shape for x in inputs],
                                       [x._dtype for x in inputs], attrs, n_out)
        outs = [_remote(session, session.new_ref(), d, sh) for sh, d in zip(shapes, dtypes)]
        quiet = None not in dtypes and all(sh is not None and None not in sh for sh in shapes)
        step = _framed.op(op, refs, attr_s, [o._ref for o in outs], quiet)
    for tape in session._active_tapes:
        tape._record(op, inputs, refs, outs)
    session.push(step, (frame, outs, quiet, None, None, None), not quiet)
    return outs


_NO_ATTRS = {}  # read only: the attrs of an op called without any


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
            b = _operand(b, a._dtype or a.dtype)  # _dtype unless unknown: no property call
    elif isinstance(b, _Ops):
        a = _operand(a, b._dtype or b.dtype)
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


def _equality(op, x, o):
    """`x == o` / `x != o` as TensorFlow's: Equal / NotEqual; False / True against None (a
    Variable converts None, a ValueError) and, as a scalar, for shapes that do not broadcast."""
    if o is None and isinstance(x, Tensor):
        return op == "NotEqual"
    if not isinstance(o, _Ops):
        o = _operand(o, x.dtype)  # a misfit (`bool_tensor == 1`) is a TypeError
    a, b = x._shape, o._shape  # known shapes decided here: the ops would raise for them
    if a is not None and b is not None and None not in a + b and _shapes.broadcast(a, b) is None:
        return Tensor._local(np.array(op == "NotEqual"))
    return run_op(op, [x, o])[0]


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

    __add__ = _add  # (x, y): a method as it is

    def __radd__(self, o):
        return _binary("AddV2", o, self)

    # `_binary(op, self, o)`, inline in the forward operators: a call less for `y ** 2`.
    def __sub__(self, o):
        if not isinstance(o, _Ops):
            o = _operand(o, self._dtype or self.dtype)  # _dtype unless unknown: no property
        return run_op("Sub", [self, o])[0]

    def __rsub__(self, o):
        return _binary("Sub", o, self)

    def __mul__(self, o):
        if not isinstance(o, _Ops):
            o = _operand(o, self._dtype or self.dtype)  # _dtype unless unknown: no property
        return run_op("Mul", [self, o])[0]

    def __rmul__(self, o):
        return _binary("Mul", o, self)

    def __truediv__(self, o):
        return _truediv(self, o)

    def __rtruediv__(self, o):
        return _truediv(_operand(o, self.dtype), self)

    def __floordiv__(self, o):
        return _binary("FloorDiv", self, o)

    def __rfloordiv__(self, o):
        return _binary("FloorDiv", o, self)

    def __mod__(self, o):
        return _binary("FloorMod", self, o)

    def __rmod__(self, o):
        return _binary("FloorMod", o, self)

    def __pow__(self, o):
        if not isinstance(o, _Ops):
            o = _operand(o, self._dtype or self.dtype)  # _dtype unless unknown: no property
        return run_op("Pow", [self, o])[0]

    def __rpow__(self, o):
        return _binary("Pow", o, self)

    __matmul__ = matmul  # (a, b, ...): a method as it is

    def __rmatmul__(self, o):
        # Reflected operators convert the other operand with this dtype (`x @ w`, x a list).
        return matmul(_operand(o, self._dtype or self.dtype), self)

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
        return _equality("Equal", self, o)

    def __ne__(self, o):
        return _equality("NotEqual", self, o)

    __hash__ = None  # like TensorFlow 2: elementwise ==; use .ref() as a key

    def ref(self):
        """A hashable reference to this object (TensorFlow's Tensor.ref())."""
        return _Reference(self)

    def __getitem__(self, key):
        from . import _index
        return _index.getitem(self, key)

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
    def _local(cls, arr, dtype=None):
        """A local tensor of numpy array `arr` (`dtype`: its DType, when the caller knows)."""
        t = object.__new__(cls)
        t._session = None
        t._ref = None
        t._dtype = dtype if dtype is not None else _dtypes.of_numpy(arr.dtype)
        t._shape = tuple(arr.shape)
        t._value = arr
        t._error = None
        t._uploads = None
        t._up_session = t._up_ref = None
        t._awaiting = False
        return t

    @classmethod
    def _remote(cls, session, ref, dtype, shape):
        return _remote(session, ref, dtype, shape)

    def __del__(self, _CHR=_CHR):  # (bound here: module globals are gone at interpreter exit)
        # Releases the server's copies with the next Run (cheaper than a weakref.finalize per
        # tensor, which the seed cell would pay five times an iteration).
        try:
            r = self._ref
            if r is not None:  # Session.release(r), inline
                self._session._release_refs.append(f"\n{_CHR[len(r)]}{r}")
            elif self._up_session is not None:
                r = self._up_ref
                self._up_session._release_refs.append(f"\n{_CHR[len(r)]}{r}")
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
            session.push(_framed.constant(ref, *_wire.parts(self._value)),
                         (frame or user_frame(), None, False, None, self._forget_upload, None),
                         False)
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
        v = self._value
        if v is None:
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


def _remote(session, ref, dtype, shape):
    """A Tensor bound to `ref` in `session` (see Tensor._remote). `_uploads`, `_up_session`
    and `_up_ref` stay unset: only local tensors read them (every op output is one of these,
    so the stores are saved); `_awaiting` too (read with getattr)."""
    t = _new(Tensor)
    t._session = session
    t._ref = ref
    t._dtype = dtype
    t._shape = shape if shape is None or type(shape) is tuple else tuple(shape)
    t._value = None
    t._error = None
    return t


_new = object.__new__


# Re-exported (the package and its tests import them from here). At the end: these modules
# import names defined above.
from ._convert import (_SCALARS, _attr, _contains_tensor, _fits, _operand,  # noqa: E402,F401
                       _to_numpy, convert_to_tensor)
from ._variable import Variable  # noqa: E402,F401
from . import _math2  # noqa: E402,F401 - sets the operators &, |, ^, ~ (no room here)
