"""Hand-written protobuf encoding of the steps on the hot path (op, constant, tape, stop,
gradient, fetch, release) straight to bytes.

Building a message object per step and serializing the request costs several times more than
the bytes themselves; a queued step is kept as the bytes of one `gradd.v1.Step` (framed as a
RunRequest `steps` field; _framed.py builds the most frequent steps faster, from client-named
refs, and the functions here take any names). Everything else (variables, assigns,
jacobians...) is built with the generated classes and serialized when queued.
tests/test_enc.py checks every function here against the generated classes (parse back,
compare), and tests/test_fastpath.py those of _framed.py against these.
"""
import struct

_pack_double = struct.Struct("<d").pack


def varint(n):
    """Base-128 varint of a non-negative int (int64 negatives: two's complement, 10 bytes)."""
    if n < 0:
        n += 1 << 64
    if n < 0x80:
        return bytes((n,))
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _len(tag, payload):
    """A length-delimited field: tag byte, length, payload (bytes)."""
    n = len(payload)
    return tag + (bytes((n,)) if n < 0x80 else varint(n)) + payload


def _strs(tag, items):
    """Repeated string field. Refs are short ASCII (the client names them), so the fields are
    built as one str and encoded once; anything longer or non-ASCII takes the general path."""
    t = _STR_TAG[tag]
    try:
        return "".join([t + chr(len(s)) + s for s in items]).encode("ascii")
    except UnicodeEncodeError:  # a length >= 128 (chr >= 128) or a non-ASCII name
        return b"".join([_len(tag, s.encode()) for s in items])


_STR_TAG = {bytes((b,)): chr(b) for b in range(128)}


# -- Tensor ------------------------------------------------------------------------------------

def _packed(shape):
    """A shape's packed varints (dims below 128, the usual case: one byte each)."""
    if max(shape) < 0x80 and min(shape) >= 0:
        return bytes(shape)
    return b"".join([varint(d) for d in shape])


def tensor(dtype_enum, shape, raw):
    """gradd.v1.Tensor{dtype, shape (packed), raw}."""
    parts = [b"\x08" + varint(dtype_enum)]
    if shape:
        parts.append(_len(b"\x12", _packed(shape)))
    if raw:
        parts.append(_len(b"\x42", raw))
    return b"".join(parts)


# -- AttrValue map entries (OpStep.attrs), cached: the same few attrs recur every iteration ----

_ATTR_CACHE = {}
_ATTRS = {}


def _attr_value(v):
    from ._dtypes import DType  # circular at import time otherwise
    if isinstance(v, bool):
        return b"\x18" + (b"\x01" if v else b"\x00")
    if isinstance(v, DType):
        return _len(b"\x22", v.name.encode())
    if isinstance(v, int):
        return b"\x08" + varint(v)
    if isinstance(v, float):
        return b"\x11" + _pack_double(v)
    if isinstance(v, str):
        return _len(b"\x22", v.encode())
    return _len(b"\x2a", _len(b"\x0a", b"".join([varint(int(x)) for x in v])) if len(v) else b"")


def attr_entry(key, v):
    """One `attrs` map entry (field 3 of OpStep), for a normalized attr value: bool, int,
    float, str, DType or a tuple of ints."""
    k = (key,) + _key(v)
    b = _ATTR_CACHE.get(k)
    if b is None:
        b = _len(b"\x1a", _len(b"\x0a", key.encode()) + _len(b"\x12", _attr_value(v)))
        if len(_ATTR_CACHE) < 4096:
            _ATTR_CACHE[k] = b
    return b


# -- Steps (each returns the bytes of one gradd.v1.Step) ------------------------------------------

def _key(v):
    # Typed, and a float by its bits: True, 1 and 1.0 are equal dict keys, and so are 0.0
    # and -0.0, but they encode differently.
    t = type(v)
    return (t, _pack_double(v)) if t is float else (t, v)


def attrs_str(items):
    """The `attrs` entries of an OpStep as latin-1 str, for (name, normalized value) pairs
    (see attr_entry) in name order; cached, as the same few attr sets recur every iteration."""
    k = tuple([(name,) + _key(v) for name, v in items])
    s = _ATTRS.get(k)
    if s is None:
        s = b"".join([attr_entry(name, v) for name, v in items]).decode("latin-1")
        if len(_ATTRS) >= 4096:
            _ATTRS.clear()
        _ATTRS[k] = s
    return s


def op_step(op, inputs, outputs, attrs=b"", quiet=False):
    try:  # the common case, short ASCII names: one str per part, encoded once (see _strs)
        body = (("\n" + chr(len(op)) + op + "".join(["\x12" + chr(len(r)) + r for r in inputs]))
                .encode("ascii") + attrs
                + "".join(["\x22" + chr(len(r)) + r for r in outputs]).encode("ascii"))
    except UnicodeEncodeError:
        body = (_len(b"\x0a", op.encode()) + _strs(b"\x12", inputs) + attrs
                + _strs(b"\x22", outputs))
    if quiet:
        body += b"\x28\x01"
    return _len(b"\x2a", body)


def constant_step(ref, tensor_bytes):
    return _len(b"\x12", _len(b"\x0a", ref.encode()) + _len(b"\x12", tensor_bytes))


def tape_step(tape, persistent, watch_accessed_variables, reenter=False):
    body = _len(b"\x0a", tape.encode())
    if persistent:
        body += b"\x10\x01"
    body += b"\x18\x01" if watch_accessed_variables else b"\x18\x00"
    if reenter:
        body += b"\x20\x01"
    return _len(b"\x1a", body)


def stop_step(tape):
    return _len(b"\x32", _len(b"\x0a", tape.encode()))


def gradient_step(tape, targets, sources, unconnected, outputs, fetch, output_gradients=()):
    body = (_len(b"\x0a", tape.encode()) + _strs(b"\x12", targets) + _strs(b"\x1a", sources)
            + b"".join([_len(b"\x22", g) for g in output_gradients])
            + (b"\x28" + varint(unconnected) if unconnected else b"")
            + _strs(b"\x32", outputs) + (b"\x38\x01" if fetch else b""))
    return _len(b"\x52", body)


def fetch_step(refs):
    return _len(b"\x6a", _strs(b"\x0a", refs))


def release_step(refs, tapes):
    return _len(b"\x82\x01", _strs(b"\x0a", refs) + _strs(b"\x12", tapes))


def run_request(session_id, steps, raw_results=True):
    """RunRequest bytes from a session id and Step bytes."""
    return b"".join([_len(b"\x0a", session_id.encode())]
                    + [_len(b"\x12", s) for s in steps]
                    + ([b"\x18\x01"] if raw_results else []))


__all__ = ["varint", "tensor", "attr_entry", "attrs_str", "op_step", "constant_step",
           "tape_step", "stop_step", "gradient_step", "fetch_step", "release_step", "run_request"]
