"""The client's fast paths, where a shortcut or a cache could go wrong without any other test
noticing: the steps _framed.py builds are byte for byte what the general encoders (_enc.py)
build; cached encodings and constants are keyed by everything that changes them; released
refs are released once and never reused; lazily resolved error lines are the interpreter's;
values decoded as views of the response are not changed by changing what numpy() returns."""
import itertools
import sys

import numpy as np
import pytest

import gradd
from gradd import _enc, _framed, _shapes, _wire, float32
from gradd._proto import gradd_pb2 as pb
from gradd._session import frame_info
from gradd._tensor import _remote


def framed(step_bytes):
    return _framed.framed(step_bytes)


# -- _framed.py against _enc.py ------------------------------------------------------------------

ATTR_SETS = [
    [],
    [("transpose_a", True)],
    [("alpha", 0.25), ("axis", (0, -1)), ("keep_dims", False)],
    [("dtype", float32), ("name", "x" * 150)],  # a long attr: lengths of two bytes
]


@pytest.mark.parametrize("attrs", ATTR_SETS)
@pytest.mark.parametrize("quiet", [False, True])
def test_op_steps_match_the_general_encoder(attrs, quiet):
    attr_bytes = b"".join(_enc.attr_entry(k, v) for k, v in attrs)
    attr_s = _enc.attrs_str(attrs)
    assert attr_s.encode("latin-1") == attr_bytes
    for op in ["Neg", "AddV2", "Ω" * 70]:  # a non-ASCII and a long op name
        for ins in (["t1"], ["t12", "v3"], ["c%d" % i for i in range(40)]):
            want = framed(_enc.op_step(op, ins, ["t99"], attr_bytes, quiet))
            if len(ins) == 1:
                assert _framed.op1(op, ins[0], attr_s, "t99", quiet) == want
            if len(ins) == 2:
                assert _framed.op2(op, ins[0], ins[1], attr_s, "t99", quiet) == want
            assert _framed.op(op, ins, attr_s, ["t99"], quiet) == want
            assert pb.Step.FromString(_enc.op_step(op, ins, ["t99"], attr_bytes, quiet)).op.op == op
    op = "SoftmaxCrossEntropyWithLogits"  # two outputs
    two = framed(_enc.op_step(op, ["a", "b"], ["t1", "t2"], b"", quiet))
    assert _framed.op(op, ["a", "b"], "", ["t1", "t2"], quiet) == two


def test_other_steps_match_the_general_encoder():
    for name in ["tape3", "tape" + "9" * 120]:  # the second: a body of 126 bytes or more
        for p, w, r in itertools.product([False, True], repeat=3):
            assert _framed.tape(name, p, w, r) == framed(_enc.tape_step(name, p, w, r))
        assert _framed.stop(name) == framed(_enc.stop_step(name))
    for targets, sources, outputs in [(["t4"], ["v1", "v2"], ["g5", ""]),
                                      (["t4", "t7"], ["v%d" % i for i in range(30)],
                                       ["g%d" % i for i in range(30)])]:
        for unconnected in (pb.UNCONNECTED_NONE, pb.UNCONNECTED_ZERO):
            for fetch in (False, True):
                got = _framed.gradient("tape1", targets, sources, unconnected, outputs, fetch)
                assert got == framed(_enc.gradient_step("tape1", targets, sources, unconnected,
                                                        outputs, fetch))
    for refs, tapes in [(["t1"], []), (["t%d" % i for i in range(60)], ["tape2", "tape5"]),
                        ([], ["tape2"])]:
        got = _framed.release([_framed.release_ref(r) for r in refs],
                              [_framed.release_tape(t) for t in tapes])
        assert got == framed(_enc.release_step(refs, tapes))
    for shape in [(), (0,), (3,), (1, 3), (2, 300), (130,), (1, 200, 1)]:
        for dtype in (np.float32, np.float64, np.int32, np.int64, np.bool_):
            a = np.ones(shape, dtype)
            for ref in ["c1", "c" * 120]:
                want = framed(_enc.constant_step(ref, _wire.encode(a)))
                assert _framed.constant(ref, *_wire.parts(a)) == want


def test_request_frames_steps_without_changing_the_list():
    steps = [_framed.stop("tape1"), _framed.op1("Neg", "t1", "", "t2", True)]
    before = list(steps)
    req = pb.RunRequest.FromString(_framed.request(_framed.session_field("s-1"), steps))
    assert steps == before
    assert req.session_id == "s-1" and req.raw_results
    assert req.steps[0].stop.tape == "tape1" and req.steps[1].op.inputs == ["t1"]


def test_a_ref_too_long_for_one_length_byte_is_an_error_not_a_wrong_message():
    with pytest.raises(IndexError):
        _framed.op1("Neg", "t" * 200, "", "t1", False)
    with pytest.raises(IndexError):
        _framed.release_ref("t" * 128)


# -- caches: keyed by everything that changes the bytes ----------------------------------------

def test_attr_cache_tells_apart_equal_keys_that_encode_differently():
    cases = [[("a", True)], [("a", 1)], [("a", 1.0)], [("a", 0.0)], [("a", -0.0)],
             [("a", (1,))], [("a", float32)], [("a", "float32")]]
    encoded = [_enc.attrs_str(c) for c in cases]
    encoded += [_enc.attrs_str(c) for c in cases]  # the second time from the cache
    assert len(set(encoded[:len(cases)])) == len(cases) - 1  # float32 and "float32": same bytes
    assert encoded[:len(cases)] == encoded[len(cases):]
    attrs = pb.Step.FromString(_enc.op_step("Neg", ["a"], ["b"], _enc.attrs_str(
        [("x", -0.0), ("y", True), ("z", 1)]).encode("latin-1"))).op.attrs
    assert np.signbit(attrs["x"].f) and attrs["y"].b is True and attrs["z"].i == 1


def test_ops_with_different_attrs_do_not_share_an_encoding(tf):
    x = tf.constant(np.arange(6, dtype=np.float32).reshape(2, 3))
    for _ in range(2):  # the second round from the caches
        assert tf.reduce_sum(x, axis=0).numpy().tolist() == [3, 5, 7]
        assert tf.reduce_sum(x, axis=1).numpy().tolist() == [3, 12]
        assert tf.reduce_sum(x, axis=1, keepdims=True).numpy().tolist() == [[3], [12]]
        assert tf.matmul(x, x, transpose_b=True).shape == (2, 2)
        assert tf.matmul(x, x, transpose_a=True).shape == (3, 3)


def test_scalar_constant_cache_keeps_type_dtype_and_the_sign_of_zero(tf):
    x = tf.constant([1.0, 2.0])
    for _ in range(2):  # the second round from the cache
        assert not np.signbit((x * 0.0).numpy()).any()
        assert np.signbit((x * -0.0).numpy()).all()
        assert (tf.constant([3, 4]) * 2).dtype == tf.int32
        assert (tf.constant([3, 4], dtype=tf.int64) * 2).dtype == tf.int64
        assert (x * 2).numpy().tolist() == [2.0, 4.0]
        assert (tf.constant([1.0], dtype=tf.float64) * 2.5).dtype == tf.float64


def test_list_operands_convert_like_asarray_then_astype():
    from gradd._convert import _operand
    from gradd import float64, int32
    cases = [[[1.0, 2.0, 3.0]], [1e40, -0.0, float("nan"), 1.0 / 3], ((0.1, 0.2), [0.3, 0.4]),
             [], [[1, 2.5]], [True, 1.5], [[1.0], [2.0]]]
    for value in cases:
        for dtype in (float32, float64):
            with np.errstate(over="ignore"):
                want = np.asarray(value).astype(dtype.as_numpy_dtype)
                got = _operand(value, dtype)
            assert got.dtype is dtype and got._value.dtype == want.dtype
            assert got.shape == want.shape and got._value.tobytes() == want.tobytes()
    assert _operand([[1, 2]], int32).dtype is int32
    with pytest.raises(TypeError):
        _operand([1.5], int32)
    with pytest.raises(ValueError, match="inhomogeneous"):
        _operand([[1.0], [2.0, 3.0]], float32)


def test_shape_shortcuts_agree_with_broadcast():
    dims = [None, 1, 2, 3]
    shapes = [None] + [p for n in range(4) for p in itertools.product(dims, repeat=n)]
    for sa, sb in itertools.product(shapes, repeat=2):
        a, b = _remote(None, "a", float32, sa), _remote(None, "b", float32, sb)
        assert _shapes.infer1("AddV2", [a, b], {}) == (_shapes.broadcast(sa, sb), float32)


# -- the tape mirror ------------------------------------------------------------------------------

def _reference_record(tape, op, inputs, refs, outputs):
    """The mirror's rule, written plainly (what _record computes faster)."""
    from gradd._edges import _DIFFERENTIABLE, _NO_GRADIENT, _NO_GRADIENT_INPUT

    def edge(i, j, in_dtype, out_dtype):
        if in_dtype is None or out_dtype is None:
            return None
        if not in_dtype.is_floating or not out_dtype.is_floating:
            return False
        if op in _NO_GRADIENT or (op, i) in _NO_GRADIENT_INPUT:
            return False
        if j > 0:
            return None
        return True if op in _DIFFERENTIABLE else None
    tracked = tape._tracked
    edges = []
    for i, (x, r) in enumerate(zip(inputs, refs)):
        if r not in tracked and tape._wav and isinstance(x, gradd.Variable) and x._trainable:
            tracked[r] = ()
        if r in tracked:
            edges.append((r, i, x._dtype))
    if edges:
        for j, o in enumerate(outputs):
            tracked[o._ref] = tuple((r, edge(i, j, dt, o._dtype)) for r, i, dt in edges)


def test_tape_mirror_records_like_the_plain_rule():
    import random
    from gradd import int32
    rng = random.Random(11)
    ops = ["AddV2", "MatMul", "Cast", "Greater", "SelectV2", "GatherV2", "OneHot", "Unknown",
           "SparseSoftmaxCrossEntropyWithLogits", "Identity"]
    with gradd.Session("127.0.0.1:1") as session:  # nothing is sent: no flush
        pool = [gradd.Variable(1.0), gradd.Variable(2, dtype=int32),
                gradd.Variable(3.0, trainable=False)]
        for wav in (True, False):
            fast, plain = gradd.GradientTape(watch_accessed_variables=wav), None
            fast.__enter__()
            plain = type("Plain", (), {"_tracked": {}, "_wav": wav})()
            fast._tracked[pool[0]._ref] = plain._tracked[pool[0]._ref] = ()  # watched
            for _ in range(300):
                op = rng.choice(ops)
                inputs = rng.sample(pool, rng.randint(1, min(3, len(pool))))
                refs = [x._ref for x in inputs]
                outputs = [_remote(session, session.new_ref(), rng.choice([float32, int32, None]),
                                   ()) for _ in range(rng.choice([1, 1, 2]))]
                fast._record(op, inputs, refs, outputs)
                _reference_record(plain, op, inputs, refs, outputs)
                pool += outputs
            assert fast._tracked == plain._tracked
            fast.__exit__(None, None, None)
        session._queue.clear()


# -- refs: released once, never reused ---------------------------------------------------------

def _requests(session):
    sent = []
    send = session._run_raw

    def capture(req, **kw):
        sent.append(pb.RunRequest.FromString(req))
        return send(req, **kw)
    session._run_raw = capture
    return sent


def test_released_refs_are_released_once_and_never_reused(tf):
    w = tf.Variable(np.ones((3, 2), np.float32))
    session = tf.get_session()
    session.flush()
    sent = _requests(session)
    for _ in range(20):
        with tf.GradientTape() as tape:
            y = [[1.0, 2.0, 3.0]] @ w
            loss = tf.reduce_mean(y ** 2)
        g = tape.gradient(loss, w)
        g.numpy()
    del tape, y, loss, g
    (w * 1.0).numpy()  # a Run that carries the last releases
    made, released = [], []
    for req in sent:
        for s in req.steps:
            kind = s.WhichOneof("kind")
            if kind == "op":
                made += s.op.outputs
            elif kind == "constant":
                made.append(s.constant.ref)
            elif kind == "gradient":
                made += [o for o in s.gradient.outputs if o]
            elif kind == "release":
                assert set(s.release.refs) <= set(made), "released a ref never made"
                released += s.release.refs
    assert len(made) == len(set(made)), "a ref was made twice"
    assert len(released) == len(set(released)), "a ref was released twice"
    assert len(released) >= 20 * 5  # every iteration's constant, ops and gradient


# -- errors: the line that queued a step, resolved lazily ----------------------------------------

def _here():
    """What the caller's line resolves to lazily, and its f_lineno, at the call."""
    f = sys._getframe(1)
    return frame_info((f.f_code, f.f_lasti))[1], f.f_lineno


def test_frame_info_is_the_interpreters_line_number():
    f = sys._getframe()
    assert frame_info((f.f_code, f.f_lasti)) == (__file__, f.f_lineno, f.f_code.co_name)
    assert frame_info(None) is None
    got = [_here(),  # calls inside one statement over several lines
           max(_here(),
               _here()),
           (lambda: _here())(),
           [_here() for _ in
            range(1)][0]]
    assert len({eager for _, eager in got}) > 1
    for lazy, eager in got:
        assert lazy == eager


# -- decoded values ------------------------------------------------------------------------------

def test_numpy_returns_a_copy_of_values_decoded_from_the_response(tf):
    w = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
    s = tf.Variable(3.0)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(w * w) + s * s
    gw, gs = tape.gradient(loss, [w, s])
    a = gw.numpy()
    a[0, 0] = 99.0
    assert gw.numpy().tolist() == [[2.0, 4.0], [6.0, 8.0]]
    assert gs.numpy() == 6.0
    t = pb.Tensor(dtype=pb.DTYPE_FLOAT32, shape=[2, 3], raw=b"\0" * 20)
    with pytest.raises(ValueError, match="carries 5 values"):
        _wire.decode(t)
