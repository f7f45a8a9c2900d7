"""Session: the gRPC connection, the queue of Steps and the flush that sends them in ONE Run.

Steps are queued as the user's code runs (each with the user's stack frame) and sent when a
value is needed. A failing step's status message starts with `step <index> (<kind> <ref>)`: the
error is raised as a GraddError naming the Python line that queued that step. Refs of tensors
that Python garbage-collected are released by a step piggy-backed on the next Run.
"""
import atexit
import dis
import linecache
import os
import re
import sys
import threading
import weakref

import grpc

from . import _errors, _framed
from ._proto import gradd_pb2 as pb
from ._proto import gradd_pb2_grpc as pb_grpc

DEFAULT_ADDR = "localhost:50051"
_PKG_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
_STEP_RE = re.compile(r"^step (\d+) \((\w+)(?: ([^)]*))?\)")
_CHANNEL_OPTIONS = [
    ("grpc.max_send_message_length", -1),
    ("grpc.max_receive_message_length", -1),
    # No retry machinery: errors surface to the caller as they are, and the per-call retry
    # state (request buffering) is a measurable share of a small Run's client-side cost.
    ("grpc.enable_retries", 0),
]


class _InPackage(dict):
    """co_filename -> whether the file is one of this package's (cached: user_frame runs for
    every queued step, and a dict lookup is cheaper than a startswith per frame)."""

    def __missing__(self, filename):
        v = self[filename] = filename.startswith(_PKG_DIR)
        return v


_IN_PACKAGE = _InPackage()
_getframe = sys._getframe


def user_frame():
    """Where a step is queued: the innermost caller outside this package, as (code object,
    offset of its current instruction). The line number is worked out only when an error is
    formatted (frame_info): reading f_lineno scans the line table, and a step is queued for
    every op. No frame object is kept (it would keep the caller's locals alive)."""
    f = _getframe(2)  # the caller of user_frame is in this package: start at its caller
    in_package = _IN_PACKAGE
    try:
        while in_package[f.f_code.co_filename]:
            f = f.f_back
    except AttributeError:  # f is None: the whole stack is this package's
        return None
    return (f.f_code, f.f_lasti)


def frame_info(frame):
    """(filename, lineno, function) of a user_frame(), or None."""
    if frame is None:
        return None
    code, lasti = frame
    return (code.co_filename, _lineno(code, lasti), code.co_name)


def _lineno(code, lasti):
    """The line of the instruction at offset `lasti`: what the frame's f_lineno said then."""
    if lasti < 0:
        return code.co_firstlineno
    try:
        ranges = code.co_lines()
    except AttributeError:  # Python 3.9: the older line table
        line = code.co_firstlineno
        for start, ln in dis.findlinestarts(code):
            if start > lasti:
                break
            line = ln
        return line
    for start, end, line in ranges:
        if start <= lasti < end:
            return line
    return None


def format_frame(frame):
    """A user_frame() as a traceback line (and its source), for error messages."""
    info = frame_info(frame)
    if info is None:
        return ""
    fn, ln, name = info
    line = linecache.getline(fn, ln).strip()
    text = f'\n  File "{fn}", line {ln}, in {name}'
    return text + (f"\n    {line}" if line else "")


# The queue holds, per step, its bytes framed as a RunRequest `steps` field (see
# _framed.py) in `Session._queue`, and in `Session._meta`, at the same index, a plain tuple
# (a tuple, not an object: it is built for every op call):
#
#     (frame, outs, quiet, on_result, on_fail, tape)
#
# `frame` is user_frame() of the line that queued it. An op step carries its output tensors in
# `outs` (`quiet`: the server returns no values for them, their shapes are known). Other steps
# have `on_result(StepResult | None)`, run when the step ran (None: it ran but the Run failed
# later, so its result was not returned), and `on_fail(err)`, run when it failed or was
# skipped. `tape` is set on stop/pause/resume steps, re-sent if skipped by a failure.
# `Session._wants` lists the indices of the steps whose results are dispatched at all (the
# quiet op steps, most of a batch, are skipped without a look).


class Session:
    """A server-side session: tensors, variables and tapes live in it.

    `gradd.Session(addr)` opens lazily (CreateSession on first use). As a context manager it
    becomes the current session for objects created inside the block and is deleted at exit.
    The default session (address from GRADD_ADDR, default localhost:50051) is deleted at exit
    of the interpreter.
    """

    def __init__(self, addr=None, *, ttl_seconds=0, timeout=None, session_id=None,
                 max_pending=4096):
        self.addr = addr or os.environ.get("GRADD_ADDR") or DEFAULT_ADDR
        self.timeout = float(timeout if timeout is not None
                             else os.environ.get("GRADD_TIMEOUT", "60"))
        self.ttl_seconds = ttl_seconds
        self.max_pending = max_pending
        self._requested_id = session_id or ""
        self._id = None
        self._channel = None
        self._stub = None
        self._run_raw = None
        self._lock = threading.RLock()
        self._queue = []
        self._meta = []
        self._wants = []
        self._head = None  # the RunRequest's session_id field, once the session is open
        # Refs and tapes to release with the next Run, each as its ReleaseStep field (see
        # _framed.release): appended by __del__ methods, so built there, once.
        self._release_refs = []
        self._release_tapes = []
        self._counter = 0
        self._lost = None
        self._closed = False
        self._active_tapes = []
        self._variables = weakref.WeakValueDictionary()
        #: Number of Run calls sent (the round trips that carried steps).
        self.run_count = 0
        #: Number of steps sent over all Runs.
        self.steps_sent = 0

    # -- lifecycle ------------------------------------------------------------------------

    @property
    def id(self):
        self._open()
        return self._id

    @property
    def stub(self):
        self._open()
        return self._stub

    def _open(self):
        if self._id is not None:
            return
        if self._closed:
            raise _errors.GraddError(f"session on {self.addr} is closed")
        with self._lock:
            if self._id is not None:
                return
            self._channel = grpc.insecure_channel(self.addr, options=_CHANNEL_OPTIONS)
            self._stub = pb_grpc.GraddStub(self._channel)
            # Run takes and returns bytes: the request is framed from pre-encoded steps.
            self._run_raw = self._channel.unary_unary("/gradd.v1.Gradd/Run")
            try:
                s = self._stub.CreateSession(
                    pb.CreateSessionRequest(session_id=self._requested_id,
                                            ttl_seconds=self.ttl_seconds),
                    timeout=self.timeout)
            except grpc.RpcError as e:
                self._channel.close()
                self._channel = self._stub = None
                raise self._call_error(e, "CreateSession") from None
            self._id = s.session_id
            self._head = _framed.session_field(self._id)
            self.ttl_seconds = s.ttl_seconds
            _OPEN.add(self)

    def close(self):
        """Deletes the session on the server (pending steps are dropped). Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._queue, self._meta, self._wants = [], [], []
            _OPEN.discard(self)
            if self._stub is not None and self._lost is None:
                try:
                    self._stub.DeleteSession(pb.DeleteSessionRequest(session_id=self._id),
                                             timeout=min(self.timeout, 5.0))
                except grpc.RpcError:
                    pass
            if self._channel is not None:
                self._channel.close()

    def __enter__(self):
        _stack().append(self)
        return self

    def __exit__(self, *exc):
        st = _stack()
        if st and st[-1] is self:
            st.pop()
        self.close()
        return False

    def as_default(self):
        """Context manager that makes this the current session without closing it at exit."""
        return _AsDefault(self)

    def info(self):
        """GetSession: the server's description of this session (refs, tapes, bytes, TTL)."""
        return self._call("GetSession", pb.GetSessionRequest(session_id=self.id))

    def keep_alive(self):
        """KeepAlive: renews the TTL; the cheapest round trip."""
        return self._call("KeepAlive", pb.KeepAliveRequest(session_id=self.id))

    def _call(self, method, req):
        self._check_usable()
        try:
            return getattr(self._stub, method)(req, timeout=self.timeout)
        except grpc.RpcError as e:
            raise self._call_error(e, method) from None

    def _call_error(self, e, method):
        code, details = e.code(), e.details() or ""
        if code == grpc.StatusCode.NOT_FOUND and self._id is not None:
            return self._mark_lost(details)
        cls = _errors.class_for_code(code)
        return cls(f"{method} on {self.addr} failed: {code.name}: {details}", code=code)

    def _mark_lost(self, details):
        err = _errors.SessionLostError(
            f"session {self._id} is gone from {self.addr} (expired, deleted or the server "
            f"restarted): {details}. Everything it held is lost; open a new gradd.Session "
            f"(or call gradd.reset_default_session()).", code=grpc.StatusCode.NOT_FOUND)
        self._lost = err
        _OPEN.discard(self)
        return err

    def _check_usable(self):
        if self._lost is not None:
            raise self._lost
        if self._closed:
            raise _errors.GraddError(f"session on {self.addr} is closed")
        self._open()

    # -- queue ----------------------------------------------------------------------------

    def new_ref(self, prefix="t"):
        self._counter += 1
        return f"{prefix}{self._counter}"

    def enqueue(self, step, frame=None, on_result=None, on_fail=None, tape=None, outs=None,
                quiet=False):
        """Queues a step: a generated `pb.Step` or the bytes of one (see _enc.py)."""
        if type(step) is not bytes:
            step = step.SerializeToString()
        wants = on_result is not None or (outs is not None and not quiet)
        self.push(_framed.framed(step), (frame, outs, quiet, on_result, on_fail, tape), wants)

    def push(self, framed, meta, wants):
        """Queues a step already framed (see _framed.py) with its `meta` tuple (see above);
        `wants`: its result is dispatched. The op call's path (run_op), with no keywords."""
        if self._lost is not None or self._closed:
            self._check_usable()
        with self._lock:
            queue = self._queue
            n = len(queue)  # the step's index
            if wants:
                self._wants.append(n)
            queue.append(framed)
            self._meta.append(meta)
            if n + 1 >= self.max_pending:
                self.flush()

    def release(self, ref=None, tape=None):
        """Schedules the release of a ref or tape (sent with the next Run). GC-safe."""
        if ref is not None:
            self._release_refs.append(_framed.release_ref(ref))
        if tape is not None:
            self._release_tapes.append(_framed.release_tape(tape))

    def flush(self):
        """Sends every queued step in one Run and dispatches the results."""
        with self._lock:
            if not self._queue:
                return
            if self._lost is not None or self._closed or self._id is None:
                self._check_usable()
            steps, self._queue = self._queue, []
            meta, self._meta = self._meta, []
            wants, self._wants = self._wants, []
            refs, self._release_refs = self._release_refs, []
            tapes, self._release_tapes = self._release_tapes, []
            if refs or tapes:
                steps.append(_framed.release(refs, tapes))
            self.run_count += 1
            self.steps_sent += len(steps)
            try:
                data = self._run_raw(_framed.request(self._head, steps), timeout=self.timeout)
            except grpc.RpcError as e:
                self._release_refs[:0] = refs
                self._release_tapes[:0] = tapes
                raise self._fail_batch(steps, meta, e) from None
            results = pb.RunResponse.FromString(data).results
            n = len(results)
            for i in wants:
                m = meta[i]
                outs = m[1]
                if outs is not None:
                    if i < n:
                        for t, v in zip(outs, results[i].values):
                            if t is not None and not v.none:
                                t._set_from_proto(v.tensor)
                else:
                    m[3](results[i] if i < n else None)

    def _fail_batch(self, steps, meta, e):
        code, details = e.code(), e.details() or ""
        m = _STEP_RE.match(details)
        if m is None or int(m.group(1)) >= len(meta):
            if code == grpc.StatusCode.NOT_FOUND and m is None:
                err = self._mark_lost(details)
            else:
                cls = _errors.class_for_code(code)
                where = format_frame(meta[-1][0]) if meta else ""
                err = cls(f"Run on {self.addr} failed: {code.name}: {details}{where}", code=code)
            for p in meta:
                _failed(p, err)
            return err
        idx = int(m.group(1))
        frame = meta[idx][0]
        info = frame_info(frame)
        cls = _errors.class_for_code(code)
        err = cls(details + format_frame(frame), code=code, step_index=idx,
                  step_kind=m.group(2), ref=m.group(3),
                  filename=info[0] if info else None, lineno=info[1] if info else None)
        for p in meta[:idx]:
            if p[3] is not None:
                p[3](None)
        for p in meta[idx:]:
            _failed(p, err)
        # Keep the server's tape stack in step with Python's: the `with` blocks were exited.
        redo = [i for i in range(idx + 1, len(meta))
                if meta[i][5] is not None and meta[i][5]._on_server]
        if redo:
            self._queue[:0] = [steps[i] for i in redo]
            self._meta[:0] = [(meta[i][0], None, False, None, None, None) for i in redo]
            self._wants = [i + len(redo) for i in self._wants]
        return err


def _failed(meta, err):
    """A queued step failed or was skipped: its outputs carry the error."""
    _, outs, _, _, on_fail, _ = meta
    if outs is not None:
        for t in outs:
            if t is not None:
                t._error = err
    elif on_fail is not None:
        on_fail(err)


class _AsDefault:
    def __init__(self, session):
        self.session = session

    def __enter__(self):
        _stack().append(self.session)
        return self.session

    def __exit__(self, *exc):
        st = _stack()
        if st and st[-1] is self.session:
            st.pop()
        return False


_OPEN = weakref.WeakSet()
_tls = threading.local()
_default = None
_default_lock = threading.Lock()


def _stack():
    st = getattr(_tls, "stack", None)
    if st is None:
        st = _tls.stack = []
    return st


def get_session():
    """The current session: the innermost `with gradd.Session(...)`, else the default one."""
    st = getattr(_tls, "stack", None)  # _stack(), inline: a tape's `with` calls this
    if st:
        return st[-1]
    global _default
    if _default is None or _default._closed:
        with _default_lock:
            if _default is None or _default._closed:
                _default = Session()
    return _default


def reset_default_session(addr=None):
    """Closes the default session; the next use opens a new one (on `addr` if given, else
    GRADD_ADDR)."""
    global _default
    with _default_lock:
        old, _default = _default, None
        if addr is not None:
            _default = Session(addr)
    if old is not None:
        old.close()


@atexit.register
def _close_all():
    for s in list(_OPEN):
        try:
            s.close()
        except Exception:
            pass
