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

from . import _enc, _errors, _framed, _wire
from ._edges import _OP_EDGE, _edge
from ._framed import _CHR
from ._nest import _flatten, _pack
from ._proto import gradd_pb2 as pb
from ._session import format_frame, frame_info, get_session, user_frame
from ._tensor import TensorShape, Variable, _Ops, _remote, convert_to_tensor
from ._wire import decode as _decode


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
    if u is UnconnectedGradients.NONE:  # the default; hashing an Enum member is a Python call
        return pb.UNCONNECTED_NONE
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
            session.push(_framed.tape(self._name, self._persistent, self._wav, reenter=True),
                         (user_frame(), None, False, self._created, self._poison, None), True)
            session._active_tapes.append(self)
            return self
        if self._name is not None:
            # A new tape: the server's tape under the old name is unreachable from here on.
            self._session.release(tape=self._name)
            self._exited, self._paused, self._consumed = False, False, False
            self._on_server = False
            self._error = None
            self._tracked, self._unknown = {}, set()
        # (else a tape used for the first time: __init__ set the state above)
        self._session = session
        self._name = session.new_ref("tape")
        self._entered = True
        session.push(_framed.tape(self._name, self._persistent, self._wav),
                     (user_frame(), None, False, self._created, self._poison, None), True)
        session._active_tapes.append(self)
        return self

    def __del__(self, _CHR=_CHR):  # (bound here: module globals are gone at interpreter exit)
        # Releases the server's tape with the next Run (cheaper than a weakref.finalize).
        try:
            n = self._name
            if n is not None:  # Session.release(tape=n), inline
                self._session._release_tapes.append(f"\x12{_CHR[len(n)]}{n}")
        except AttributeError:  # never fully constructed
            pass

    def __exit__(self, *exc):
        session = self._session
        self._exited = True
        try:
            session._active_tapes.remove(self)
        except ValueError:  # not active (the `with` block of another session's tape)
            pass
        if session._lost is None and not session._closed:
            session.push(_framed.stop(self._name), (user_frame(), None, False, None, None, self),
                         False)
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
            info = frame_info(frame)
            raise _errors.TapeConsumedError(
                "A non-persistent GradientTape can only be used to compute one set of gradients "
                "(or jacobians)" + format_frame(frame), filename=info[0] if info else None,
                lineno=info[1] if info else None)

    # -- recording mirror ------------------------------------------------------------------

    def _record(self, op, inputs, refs, outputs):
        """Mirrors the recording of `op` (inputs with their refs in this tape's session), if
        this tape is recording (run_op calls it for every active tape, for every op). An
        input is tracked if it is already, or if it is a trainable variable read while
        watch_accessed_variables (watched from then on)."""
        if self._paused or self._consumed or self._exited or not self._entered:
            return
        tracked = self._tracked
        wav = self._wav
        if len(outputs) == 1:
            o = outputs[0]
            dt = o._dtype
            if dt is not None and dt.is_floating and _OP_EDGE.get(op) is True:
                # A differentiable op with a floating output (most): the edge from an input
                # is whether the input is floating (None: unknown), no _edge call.
                edges = []
                for x, r in zip(inputs, refs):
                    if r not in tracked:
                        if not (wav and isinstance(x, Variable) and x._trainable):
                            continue
                        tracked[r] = ()
                    d = x._dtype
                    edges.append((r, None if d is None else d.is_floating))
                if edges:
                    tracked[o._ref] = tuple(edges)
                return
        edges = []
        i = 0
        for x, r in zip(inputs, refs):
            if r not in tracked:
                if not (wav and isinstance(x, Variable) and x._trainable):
                    i += 1
                    continue
                tracked[r] = ()
            edges.append((r, i, x._dtype))
            i += 1
        if not edges:
            return
        j = 0
        for o in outputs:
            dt = o._dtype
            tracked[o._ref] = tuple([(r, _edge(op, i, j, in_dt, dt)) for r, i, in_dt in edges])
            j += 1

    def _predict(self, target_refs, target_dtypes, sources, refs, unconnected):
        """Per source: True (the server returns a gradient), False (None: not connected) or
        None (cannot tell here)."""
        tracked, unknown_refs = self._tracked, self._unknown
        # Refs reached from a floating target through edges that certainly have a gradient.
        certain = set()
        stack = [r for r, d in zip(target_refs, target_dtypes)
                 if r in tracked and d is not None and d.is_floating and r not in unknown_refs]
        certain.update(stack)
        while stack:
            for inp, e in tracked[stack.pop()]:
                if e is True and inp not in certain:
                    certain.add(inp)
                    stack.append(inp)
        zero = unconnected == pb.UNCONNECTED_ZERO
        out = []
        possible = None
        for s, r in zip(sources, refs):
            dt = s._dtype
            floating = dt is not None and dt.is_floating
            if floating and (r in certain or (zero and s._shape is not None)):
                out.append(True)
                continue
            if possible is None:  # only when some source is not certainly connected
                possible, unknown = self._possible(target_refs)
            if r not in possible and not unknown and r not in target_refs and floating:
                out.append(False)
            else:
                out.append(None)
        return out

    def _possible(self, target_refs):
        """(refs the targets may depend on, whether an unknown ref is among them)."""
        tracked, unknown_refs = self._tracked, self._unknown
        possible, unknown = set(), False
        stack = [r for r in target_refs if r in tracked]
        possible.update(stack)
        while stack:
            r = stack.pop()
            if r in unknown_refs:
                unknown = True
            for inp, e in tracked[r]:
                if e is not False and inp not in possible:
                    possible.add(inp)
                    stack.append(inp)
        return possible, unknown

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
        if self._session is None or self._error is not None:
            self._check()
        if self._consumed:
            self._check_unused()
        targets = [target] if isinstance(target, _Ops) else _flatten(target)[0]
        leaves, structure = _flatten(sources)
        og = None
        if output_gradients is not None:
            og, _ = _flatten(output_gradients)
            if len(og) != len(targets):
                raise ValueError("output_gradients must have one entry per target")
        unconnected = pb.UNCONNECTED_NONE if unconnected_gradients is UnconnectedGradients.NONE \
            else _unconnected(unconnected_gradients)
        outs = self._differentiate("gradient", targets, leaves, unconnected, og, None)
        if structure is not None and structure[0] is list and structure[1] is None:
            return outs  # a flat list: _pack, inline
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
        """Queues a gradient, jacobian or batch_jacobian step; returns its outputs (None for a
        source predicted unconnected). `out_shape(source, target0)` is an output's shape, or
        None for the source's own shape (a gradient)."""
        session = self._session
        frame = user_frame()
        # Tensors and variables of this session (the usual case) need no checks beyond the
        # error one; local values are converted and uploaded.
        for x in targets:
            if not isinstance(x, _Ops):
                targets = [x if isinstance(x, _Ops) else convert_to_tensor(x) for x in targets]
                break
        for x in sources:
            if not isinstance(x, _Ops):
                sources = [x if isinstance(x, _Ops) else convert_to_tensor(x) for x in sources]
                break
        t_refs, t_dtypes, s_refs = [], [], []
        for x in targets:
            t_refs.append(x._ref if x._session is session and x._error is None
                          else x._ref_in(session, frame))
            t_dtypes.append(x._dtype)
        for x in sources:
            s_refs.append(x._ref if x._session is session and x._error is None
                          else x._ref_in(session, frame))
        predicted = self._predict(t_refs, t_dtypes, sources, s_refs, unconnected)
        outs, out_refs = [], []
        fetch = self.fetch
        target0 = targets[0]
        for s, p in zip(sources, predicted):
            if p is False:
                outs.append(None)
                out_refs.append("")
            else:
                session._counter = n = session._counter + 1  # session.new_ref("g"), inline
                ref = f"g{n}"
                o = _remote(session, ref, s._dtype,
                            s._shape if out_shape is None else out_shape(s, target0))
                o._awaiting = fetch
                outs.append(o)
                out_refs.append(ref)
        if kind == "gradient" and not output_gradients:
            step = _framed.gradient(self._name, t_refs, s_refs, unconnected, out_refs, fetch)
        elif kind == "gradient":
            ogs = [_wire.encode(np.asarray(convert_to_tensor(g, dtype_hint=t._dtype).numpy()))
                   for g, t in zip(output_gradients or (), targets)]
            step = _framed.framed(_enc.gradient_step(self._name, t_refs, s_refs, unconnected,
                                                  out_refs, fetch, ogs))
        elif kind == "jacobian":
            step = _framed.framed(pb.Step(jacobian=pb.JacobianStep(
                tape=self._name, target=t_refs[0], sources=s_refs, unconnected=unconnected,
                outputs=out_refs, fetch=fetch)).SerializeToString())
        else:
            step = _framed.framed(pb.Step(batch_jacobian=pb.BatchJacobianStep(
                tape=self._name, target=t_refs[0], source=s_refs[0], output=out_refs[0],
                fetch=fetch)).SerializeToString())
        answered = {}

        def on_result(r):
            if r is None:
                return
            for i, v in enumerate(r.values):
                o = outs[i]
                if v.none:
                    answered[i] = False
                    if o is not None and predicted[i] is True:
                        o._error = _errors.InternalError(
                            f"the server returned no gradient for source {s_refs[i]} where the "
                            f"client predicted one (please report)" + format_frame(frame))
                    continue
                answered[i] = True
                if o is not None:  # o._set_from_proto(v.tensor), inline
                    o._dtype, o._shape, value = _decode(v.tensor)
                    if value is not None:
                        o._value = value
                    o._awaiting = False
                elif predicted[i] is False:
                    warnings.warn(f"gradd: the server returned a gradient for source "
                                  f"{s_refs[i]} that the client predicted as None",
                                  RuntimeWarning, stacklevel=2)

        def on_fail(err):
            for o in outs:
                if o is not None:
                    o._error = err

        session.push(step, (frame, None, False, on_result, on_fail, None), True)
        if not self._persistent:
            self._consumed = True
            self._tracked, self._unknown = {}, set()
        if session._active_tapes:
            self._gradients_recorded_elsewhere(outs)
        if None in predicted:
            session.flush()
            outs = [o if (p is not None or answered.get(i)) else None
                    for i, (o, p) in enumerate(zip(outs, predicted))]
        return outs


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
