"""The steps a session queues, encoded straight to their bytes framed as RunRequest `steps`
fields (field 2): the hot path of every op call, tape, gradient, upload and release.

A step is built as one latin-1 str, each char a byte, with one f-string (one allocation) and
encoded once: building it with `+` or from bytes pieces costs several times more. This works
because every name in these steps is a ref the client made (Session.new_ref: short ASCII, so
its length is one varint byte, `_CHR[len(ref)]`), and every other part (an op name, attrs,
raw tensor bytes) enters as its encoded bytes decoded to latin-1 (op names and attrs cached).
A ref of 128 chars or more would be an IndexError in `_CHR`, never a wrong message.

_enc.py has the general encoders (any names, bytes in and out); tests/test_fastpath.py checks
the functions here against them, byte for byte.
"""
from ._enc import _len, _packed, varint

# A length below 128 as its varint: one char.
_CHR = [chr(i) for i in range(128)]
_QUIET = "\x28\x01"  # OpStep.quiet = true
_OP_HEAD = {}


def _vlen(n):
    """A length as its varint, latin-1 str."""
    return _CHR[n] if n < 0x80 else varint(n).decode("latin-1")


def _frame(tag, body):
    """Step{<field `tag`>: body} framed as a RunRequest `steps` field, as bytes. `tag` is the
    kind's tag char(s), `body` the message's latin-1 str."""
    n = len(body)
    if n < 0x7e - len(tag):  # both lengths fit one byte
        return f"\x12{_CHR[n + 1 + len(tag)]}{tag}{_CHR[n]}{body}".encode("latin-1")
    inner = f"{tag}{_vlen(n)}{body}"
    return f"\x12{_vlen(len(inner))}{inner}".encode("latin-1")


def op_head(op):
    """The `op` field of an OpStep as latin-1 str (cached per op name)."""
    h = _OP_HEAD.get(op)
    if h is None:
        h = _len(b"\x0a", op.encode()).decode("latin-1")
        if len(_OP_HEAD) < 4096:
            _OP_HEAD[op] = h
    return h


def op1(op, r0, attrs, out, quiet):
    """Step{op: OpStep} with one input ref `r0`, attrs (_enc.attrs_str), one output ref."""
    q = _QUIET if quiet else ""
    body = (f"{_OP_HEAD.get(op) or op_head(op)}\x12{_CHR[len(r0)]}{r0}"
            f"{attrs}\x22{_CHR[len(out)]}{out}{q}")
    return _frame("\x2a", body)


def op2(op, r0, r1, attrs, out, quiet):
    """op1 with two input refs."""
    q = _QUIET if quiet else ""
    body = (f"{_OP_HEAD.get(op) or op_head(op)}\x12{_CHR[len(r0)]}{r0}\x12{_CHR[len(r1)]}{r1}"
            f"{attrs}\x22{_CHR[len(out)]}{out}{q}")
    return _frame("\x2a", body)


def op(name, refs, attrs, outs, quiet):
    """op1 with any number of inputs and outputs."""
    return _frame("\x2a", f"{op_head(name)}{_fields(_IN, refs)}{attrs}{_fields(_OUT, outs)}"
                          f"{_QUIET if quiet else ''}")


# Field tags: OpStep inputs and outputs (also ReleaseStep tapes).
_IN, _OUT = "\x12", "\x22"


def _fields(tag, refs):
    """A repeated string field of refs, latin-1 str."""
    return "".join([f"{tag}{_CHR[len(r)]}{r}" for r in refs])


def tape(name, persistent, watch_accessed_variables, reenter=False):
    """Step{tape: TapeStep}."""
    p = "\x10\x01" if persistent else ""
    w = "\x18\x01" if watch_accessed_variables else "\x18\x00"
    r = "\x20\x01" if reenter else ""
    body = f"\n{_CHR[len(name)]}{name}{p}{w}{r}"
    n = len(body)
    if n < 0x7e:  # _frame("\x1a", body), inline
        return f"\x12{_CHR[n + 2]}\x1a{_CHR[n]}{body}".encode("latin-1")
    return _frame("\x1a", body)


def stop(name):
    """Step{stop: TapeRef}."""
    n = len(name) + 2
    if n < 0x7e:  # _frame("\x32", body), inline
        return f"\x12{_CHR[n + 2]}\x32{_CHR[n]}\n{_CHR[len(name)]}{name}".encode("latin-1")
    return _frame("\x32", f"\n{_CHR[len(name)]}{name}")


def gradient(name, targets, sources, unconnected, outputs, fetch):
    """Step{gradient: GradientStep} without output_gradients (`outputs` may hold "", for a
    source the client predicts as None). Loops, not _fields: this is one call."""
    body = f"\n{_CHR[len(name)]}{name}"
    for r in targets:
        body += f"\x12{_CHR[len(r)]}{r}"
    for r in sources:
        body += f"\x1a{_CHR[len(r)]}{r}"
    if unconnected:
        body += f"\x28{_CHR[unconnected]}"
    for r in outputs:
        body += f"\x32{_CHR[len(r)]}{r}"
    if fetch:
        body += "\x38\x01"
    return _frame("\x52", body)


def release_ref(ref):
    """A ref's field of a ReleaseStep (what Session._release_refs holds)."""
    return f"\n{_CHR[len(ref)]}{ref}"


def release_tape(name):
    """A tape's field of a ReleaseStep (what Session._release_tapes holds)."""
    return f"\x12{_CHR[len(name)]}{name}"


def release(ref_fields, tape_fields):
    """Step{release: ReleaseStep} from release_ref() and release_tape() fields."""
    return _frame("\x82\x01", "".join(ref_fields) + "".join(tape_fields) if tape_fields
                  else "".join(ref_fields))


def constant(ref, dtype_enum, shape, raw):
    """Step{constant: ConstantStep{ref, Tensor{dtype, shape, raw}}}: the small fields as
    latin-1 str, and `raw`, possibly large, appended as bytes."""
    n = len(raw)
    dims = _DIMS.get(shape)
    if dims is None:
        dims = _dims(shape)
    if n:
        head = f"\x08{_CHR[dtype_enum]}{dims}\x42{_CHR[n] if n < 0x80 else _vlen(n)}"
    else:
        head = f"\x08{_CHR[dtype_enum]}{dims}"
    v = len(head) + n  # the Tensor's length
    c = len(ref) + 4 + v  # the ConstantStep's, when v < 128
    if c < 0x7e:  # a small tensor: every length is one byte
        return (f"\x12{_CHR[c + 2]}\x12{_CHR[c]}\n{_CHR[len(ref)]}{ref}\x12{_CHR[v]}{head}"
                .encode("latin-1") + raw)
    head = f"\n{_CHR[len(ref)]}{ref}\x12{_vlen(v)}{head}"
    head = f"\x12{_vlen(len(head) + n)}{head}"  # Step.constant
    return b"".join([f"\x12{_vlen(len(head) + n)}{head}".encode("latin-1"), raw])


_DIMS = {}


def _dims(shape):
    """The Tensor.shape field (packed) as latin-1 str ("" for a scalar), cached per shape."""
    dims = ""
    if shape:
        packed = _packed(shape).decode("latin-1")
        dims = f"\x12{_vlen(len(packed))}{packed}"
    if len(_DIMS) < 4096:
        _DIMS[shape] = dims
    return dims


def framed(step):
    """The bytes of a Step (from the generated classes or _enc) framed the same way."""
    return _len(b"\x12", step)


def session_field(session_id):
    """The session_id field of a RunRequest (computed once per session)."""
    return _len(b"\x0a", session_id.encode())


def request(head, steps):
    """RunRequest bytes (raw_results) from `session_field` and framed steps."""
    return b"".join([head, *steps, b"\x18\x01"])
