"""GradientTape: queues tape/watch/stop/gradient steps and mirrors the tape's recording locally.

The mirror exists for one reason: `tape.gradient` must return None for a source the target does
not depend on, and deciding that on the server would cost a round trip per gradient call. The
mirror records, per tape, which refs are tracked and through which ops; a source reachable from
the target only through ops that certainly have a gradient is connected, one that is not
reachable at all is not (None). Anything in between (non-differentiable edges, unknown dtypes,
gradients recorded by an outer tape) is left to the server: the gradient step is flushed at once
and its answer returned. A second gradient on a used non-persistent tape is refused here.
"""
import enum
import warnings

import numpy as np

from . import _dtypes, _enc, _errors, _wire
from ._proto import gradd_pb2 as pb
from ._session import get_session, user_frame
from ._tensor import Tensor, TensorShape, Variable, _Ops, convert_to_tensor


class UnconnectedGradients(enum.Enum):
    """What tape.gradient returns for a source the target does not depend on (the strings
    'none' and 'zero' are accepted too, as TensorFlow accepts them)."""

    NONE = "none"
    ZERO = "zero"


# A dict, not Enum attribute lookups: this runs for every gradient call.
_UNCONNECTED = {UnconnectedGradients.NONE: pb.UNCONNECTED_NONE, "none": pb.UNCONNECTED_NONE,
                None: pb.UNCONNECTED_NONE, UnconnectedGradients.ZERO: pb.UNCONNECTED_ZERO,
                "zero": pb.UNCONNECTED_ZERO}


def _unconnected(u):
    try:
        return _UNCONNECTED[u]
    except (KeyError, TypeError):
        raise ValueError(f"Unknown value for unconnected_gradients: {u!r}") from None


def _check_batch_shapes(target, source):
    """TensorFlow's batch_jacobian check (ValueError), where the shapes are known here."""
    ts, ss = target._shape, source._shape
    for s in (ts, ss):
        if s is not None and len(s) < 2:
            raise ValueError(f"Shape {TensorShape(s)} must have rank at least 2")
    if ts is not None and ss is not None and None not in (ts[0], ss[0]) and ts[0] != ss[0]:
        raise ValueError(f"Need first dimension of target shape ({TensorShape(ts)}) and "
                         f"source shape ({TensorShape(ss)}) to match.")


_NO_GRADIENT = {"StopGradient", "Greater", "Less", "GreaterEqual", "LessEqual", "Equal", "ArgMax",
                "OneHot"}
_DIFFERENTIABLE = {
    "AddV2", "Sub", "Mul", "RealDiv", "Pow", "Maximum", "Minimum", "SquaredDifference",
    "Identity", "Neg", "Square", "Sqrt", "Rsqrt", "Reciprocal", "Exp", "Log", "Log1p", "Abs",
    "Sin", "Cos", "Tanh", "Sigmoid", "Relu", "LeakyRelu", "Elu", "Softplus", "MatMul",
    "BatchMatMulV2", "Sum", "Mean", "Max", "Min", "Prod", "Reshape", "Transpose", "ExpandDims",
    "Squeeze", "ConcatV2", "Pack", "Slice", "GatherV2", "Tile", "BroadcastTo", "BiasAdd",
    "Softmax", "LogSoftmax", "SoftmaxCrossEntropyWithLogits",
    "SparseSoftmaxCrossEntropyWithLogits", "Cast", "SelectV2",
}
_NO_GRADIENT_INPUT = {("SelectV2", 0), ("GatherV2", 1), ("SparseSoftmaxCrossEntropyWithLogits", 1)}


def _edge(op, i, j, in_dtype, out_dtype):
    """Whether a gradient flows from output j of `op` to its input i: True, False or None
    (cannot tell)."""
    if in_dtype is None or out_dtype is None:
        return None
    if not in_dtype.is_floating or not out_dtype.is_floating:
        return False  # gradients of integer (and boolean) tensors are None
    if op in _NO_GRADIENT or (op, i) in _NO_GRADIENT_INPUT:
        return False
    if j > 0:
        return None  # secondary outputs (the cross-entropy backprop)
    return True if op in _DIFFERENTIABLE else None


def _flatten(x):
    """(leaves, structure) for nested lists/tuples/dicts; a leaf's structure is None."""
    if isinstance(x, (list, tuple)):
        leaves, structs = [], []
        for v in x:
            lv, s = _flatten(v)
            leaves += lv
            structs.append((len(lv), s))
        return leaves, (type(x), structs)
    if isinstance(x, dict):
        keys = sorted(x)
        leaves, structs = [], []
        for k in keys:
            lv, s = _flatten(x[k])
            leaves += lv
            structs.append((k, len(lv), s))
        return leaves, (dict, structs)
    return [x], None


def _pack(structure, leaves):
    if structure is None:
        return leaves[0]
    kind, structs = structure
    if kind is dict:
        out, i = {}, 0
        for k, n, s in structs:
            out[k] = _pack(s, leaves[i:i + n])
            i += n
        return out
    out, i = [], 0
    for n, s in structs:
        out.append(_pack(s, leaves[i:i + n]))
        i += n
    return out if kind is list else kind(out)


class GradientTape:
    """Records operations for automatic differentiation (tf.GradientTape)."""

    def __init__(self, persistent=False, watch_accessed_variables=True):
        self._persistent = bool(persistent)
        self._wav = bool(watch_accessed_variables)
        self._session = None
        self._name = None
        self._entered = False
        self._exited = False
        self._paused = False
        self._consumed = False
        self._on_server = False
        self._error = None
        self._tracked = {}
        self._unknown = set()
        #: Whether gradient/jacobian results carry their values (so printing them is free).
        self.fetch = True

    # -- context ---------------------------------------------------------------------------

    def __enter__(self):
        if self._entered and not self._exited:
            raise ValueError("Tape is still recording, This can happen if you try to "
                             "re-enter an already-active tape.")
        session = get_session()
        if self._name is not None and self._session is session and self._error is None and \
                not (self._consumed and not self._persistent):
            # TensorFlow's re-entry: a tape that has not computed its gradient (persistent, or
            # not yet used) records again, on top of what it recorded.
            self._entered, self._exited, self._paused = True, False, False
            session.enqueue(_enc.tape_step(self._name, self._persistent, self._wav, reenter=True),
                            user_frame(), on_result=self._created, on_fail=self._poison)
            session._active_tapes.append(self)
            return self
        if self._name is not None:
            # A new tape: the server's tape under the old name is unreachable from here on.
            self._session.release(tape=self._name)
        self._session = session
        self._name = session.new_ref("tape")
        self._entered, self._exited, self._paused, self._consumed = True, False, False, False
        self._on_server = False
        self._error = None
        self._tracked, self._unknown = {}, set()
        session.enqueue(_enc.tape_step(self._name, self._persistent, self._wav),
                        user_frame(), on_result=self._created, on_fail=self._poison)
        session._active_tapes.append(self)
        return self

    def __del__(self):
        # Releases the server's tape with the next Run (cheaper than a weakref.finalize).
        try:
            if self._name is not None:
                self._session.release(tape=self._name)
        except AttributeError:  # never fully constructed
            pass

    def __exit__(self, *exc):
        session = self._session
        self._exited = True
        if self in session._active_tapes:
            session._active_tapes.remove(self)
        if session._lost is None and not session._closed:
            session.enqueue(_enc.stop_step(self._name), user_frame(), tape=self)
        return False

    def _created(self, r):
        self._on_server = True

    def _poison(self, err):
        self._error = err

    @property
    def _recording(self):
        return self._entered and not self._exited and not self._paused and not self._consumed

    def _check(self):
        if self._session is None:
            raise RuntimeError("GradientTape must be used as a context manager "
                               "(`with gradd.GradientTape() as tape:`)")
        if self._error is not None:
            raise self._error

    def _check_unused(self):
        # The client knows the tape is used up: raise here, like TensorFlow, not from the Run.
        if self._consumed and not self._persistent:
            frame = user_frame()
            raise _errors.TapeConsumedError(
                "A non-persistent GradientTape can only be used to compute one set of gradients "
                "(or jacobians)" + _fmt(frame), filename=frame[0] if frame else None,
                lineno=frame[1] if frame else None)

    # -- recording mirror ------------------------------------------------------------------

    def _record(self, op, inputs, refs, outputs):
        """Mirrors the recording of `op` (inputs with their refs in this tape's session)."""
        tracked = self._tracked
        edges = []
        for i, (x, r) in enumerate(zip(inputs, refs)):
            if r not in tracked and self._wav and isinstance(x, Variable) and x._trainable:
                tracked[r] = ()
            if r in tracked:
                edges.append((r, i, x._dtype))
        if not edges:
            return
        for j, o in enumerate(outputs):
            self._tracked[o._ref] = tuple((r, _edge(op, i, j, dt, o._dtype)) for r, i, dt in edges)

    def _predict(self, target_refs, target_dtypes, sources, refs, unconnected):
        tracked = self._tracked
        possible, unknown = set(), False
        stack = [r for r in target_refs if r in tracked]
        possible.update(stack)
        while stack:
            r = stack.pop()
            if r in self._unknown:
                unknown = True
            for inp, e in tracked[r]:
                if e is not False and inp not in possible:
                    possible.add(inp)
                    stack.append(inp)
        certain = set()
        stack = [r for r, d in zip(target_refs, target_dtypes)
                 if r in tracked and d is not None and d.is_floating and r not in self._unknown]
        certain.update(stack)
        while stack:
            r = stack.pop()
            for inp, e in tracked[r]:
                if e is True and inp not in certain:
                    certain.add(inp)
                    stack.append(inp)
        out = []
        for s, r in zip(sources, refs):
            floating = s._dtype is not None and s._dtype.is_floating
            if r in certain and floating:
                out.append(True)
            elif unconnected == pb.UNCONNECTED_ZERO and floating and s._shape is not None:
                out.append(True)
            elif r not in possible and not unknown and r not in target_refs and floating:
                out.append(False)
            else:
                out.append(None)
        return out

    def _gradients_recorded_elsewhere(self, outs):
        # Gradients run as ops: an active outer tape may record them. Let the server decide.
        for tape in self._session._active_tapes:
            if tape._recording and (tape is not self or self._persistent):
                for o in outs:
                    if o is not None:
                        tape._tracked[o._ref] = ()
                        tape._unknown.add(o._ref)

    # -- public API ------------------------------------------------------------------------

    def watch(self, tensor):
        """Ensures `tensor` (a tensor, variable or nested structure of them) is traced."""
        self._check()
        session = self._session
        frame = user_frame()
        leaves, _ = _flatten(tensor)
        refs = []
        for x in leaves:
            if not isinstance(x, _Ops):
                raise ValueError(f"cannot watch {x!r}: pass a tensor or a variable")
            r = x._ref_in(session, frame)
            refs.append(r)
            if x._dtype is None:
                self._tracked.setdefault(r, ())
                self._unknown.add(r)
            elif x._dtype.is_floating:
                self._tracked.setdefault(r, ())
        session.enqueue(pb.Step(watch=pb.WatchStep(tape=self._name, refs=refs)), frame)

    def stop_recording(self):
        """Context manager in which operations are not recorded (pause / resume)."""
        self._check()
        return _StopRecording(self)

    def reset(self):
        """Clears everything recorded so far; recording continues."""
        self._check()
        self._tracked, self._unknown = {}, set()
        self._consumed = False
        self._session.enqueue(pb.Step(reset=pb.TapeRef(tape=self._name)), user_frame())

    def watched_variables(self):
        """The variables this tape watched, in order of creation (one round trip)."""
        self._check()
        session = self._session
        got = []
        session.enqueue(pb.Step(watched_variables=pb.TapeRef(tape=self._name)), user_frame(),
                        on_result=lambda r: got.extend(r.variables) if r is not None else None)
        session.flush()
        found = [session._variables.get(r) for r in got]
        return tuple(sorted((v for v in found if v is not None), key=lambda v: v._serial))

    def gradient(self, target, sources, output_gradients=None,
                 unconnected_gradients=UnconnectedGradients.NONE):
        """d(sum of targets)/d(source) for each source, in the structure of `sources`;
        None for a source the targets do not depend on."""
        self._check()
        self._check_unused()
        targets, _ = _flatten(target)
        leaves, structure = _flatten(sources)
        og = None
        if output_gradients is not None:
            og, _ = _flatten(output_gradients)
            if len(og) != len(targets):
                raise ValueError("output_gradients must have one entry per target")
        outs = self._differentiate("gradient", targets, leaves, _unconnected(unconnected_gradients),
                                   og, lambda s, t: s._shape)
        return _pack(structure, outs)

    def jacobian(self, target, sources, unconnected_gradients=UnconnectedGradients.NONE,
                 parallel_iterations=None, experimental_use_pfor=True):
        """d target / d source, shaped target.shape + source.shape, per source."""
        self._check()
        self._check_unused()
        leaves, structure = _flatten(sources)
        outs = self._differentiate(
            "jacobian", [target], leaves, _unconnected(unconnected_gradients), None,
            lambda s, t: None if s._shape is None or t._shape is None else t._shape + s._shape)
        return _pack(structure, outs)

    def batch_jacobian(self, target, source, unconnected_gradients=UnconnectedGradients.NONE,
                       parallel_iterations=None, experimental_use_pfor=True):
        """Per-example jacobian, shaped (batch,) + target.shape[1:] + source.shape[1:]. A source
        the target does not reach gives zeros (as in TensorFlow, whatever
        unconnected_gradients says)."""
        self._check()
        self._check_unused()
        _unconnected(unconnected_gradients)  # validated; the answer is zeros either way
        target = target if isinstance(target, _Ops) else convert_to_tensor(target)
        source = source if isinstance(source, _Ops) else convert_to_tensor(source)
        _check_batch_shapes(target, source)

        def shape(s, t):
            if s._shape is None or t._shape is None or not t._shape:
                return None
            return (t._shape[0],) + t._shape[1:] + s._shape[1:]
        return self._differentiate("batch_jacobian", [target], [source], pb.UNCONNECTED_ZERO,
                                   None, shape)[0]

    def _differentiate(self, kind, targets, sources, unconnected, output_gradients, out_shape):
        session = self._session
        frame = user_frame()
        targets = [x if isinstance(x, _Ops) else convert_to_tensor(x) for x in targets]
        sources = [x if isinstance(x, _Ops) else convert_to_tensor(x) for x in sources]
        t_refs = [x._ref_in(session, frame) for x in targets]
        s_refs = [x._ref_in(session, frame) for x in sources]
        predicted = self._predict(t_refs, [x._dtype for x in targets], sources, s_refs,
                                  unconnected)
        outs = []
        for s, p in zip(sources, predicted):
            if p is False:
                outs.append(None)
            else:
                outs.append(Tensor._remote(session, session.new_ref("g"), s._dtype,
                                           out_shape(s, targets[0])))
        out_refs = [o._ref if o is not None else "" for o in outs]
        fetch = self.fetch
        for o in outs:
            if o is not None:
                o._awaiting = fetch
        if kind == "gradient":
            ogs = [_wire.encode(np.asarray(convert_to_tensor(g, dtype_hint=t._dtype).numpy()))
                   for g, t in zip(output_gradients or (), targets)]
            step = _enc.gradient_step(self._name, t_refs, s_refs, unconnected, out_refs, fetch,
                                      ogs)
        elif kind == "jacobian":
            step = pb.Step(jacobian=pb.JacobianStep(
                tape=self._name, target=t_refs[0], sources=s_refs, unconnected=unconnected,
                outputs=out_refs, fetch=fetch))
        else:
            step = pb.Step(batch_jacobian=pb.BatchJacobianStep(
                tape=self._name, target=t_refs[0], source=s_refs[0], output=out_refs[0],
                fetch=fetch))
        answered = {}

        def on_result(r):
            if r is None:
                return
            for i, v in enumerate(r.values):
                o = outs[i]
                answered[i] = not v.none
                if v.none:
                    if o is not None and predicted[i] is True:
                        o._error = _errors.InternalError(
                            f"the server returned no gradient for source {s_refs[i]} where the "
                            f"client predicted one (please report)" + _fmt(frame))
                elif o is not None:
                    o._set_from_proto(v.tensor)
                    o._awaiting = False
                elif predicted[i] is False:
                    warnings.warn(f"gradd: the server returned a gradient for source "
                                  f"{s_refs[i]} that the client predicted as None",
                                  RuntimeWarning, stacklevel=2)

        def on_fail(err):
            for o in outs:
                if o is not None:
                    o._error = err

        session.enqueue(step, frame, on_result=on_result, on_fail=on_fail)
        if not self._persistent:
            self._consumed = True
            self._tracked, self._unknown = {}, set()
        self._gradients_recorded_elsewhere(outs)
        if any(p is None for p in predicted):
            session.flush()
            outs = [o if (p is not None or answered.get(i)) else None
                    for i, (o, p) in enumerate(zip(outs, predicted))]
        return outs


def _fmt(frame):
    from ._session import format_frame
    return format_frame(frame)


class _StopRecording:
    def __init__(self, tape):
        self._tape = tape

    def __enter__(self):
        t = self._tape
        t._paused = True
        t._session.enqueue(pb.Step(pause=pb.TapeRef(tape=t._name)), user_frame(), tape=t)

    def __exit__(self, *exc):
        t = self._tape
        t._paused = False
        t._session.enqueue(pb.Step(resume=pb.TapeRef(tape=t._name)), user_frame(), tape=t)
        return False
