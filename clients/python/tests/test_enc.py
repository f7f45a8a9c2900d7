"""gradd._enc (hand-written protobuf encoding of hot-path steps) agrees with the generated
classes: every encoded step parses back to the message built the usual way."""
import random

import numpy as np
import pytest

from gradd import _enc, _wire
from gradd import float32, int64
from gradd._proto import gradd_pb2 as pb


def parse_step(b):
    return pb.Step.FromString(b)


@pytest.mark.parametrize("n", [0, 1, 127, 128, 300, 16383, 16384, 2**31, 2**63 - 1, -1, -300])
def test_varint_matches_protobuf(n):
    assert _enc.varint(n) == pb.IntList(values=[n]).SerializeToString()[2:]
    assert list(pb.Tensor.FromString(_enc.tensor(0, [n], b"")).shape) == [n]


def test_tensor_round_trips_through_the_generated_parser():
    rng = np.random.default_rng(3)
    for shape in [(), (0,), (3,), (2, 3), (1, 200, 1), (130,)]:
        for dtype in (np.float32, np.float64, np.int32, np.int64, np.bool_):
            a = (rng.normal(size=shape) * 100).astype(dtype)
            t = pb.Tensor.FromString(_wire.encode(a))
            assert tuple(t.shape) == shape
            np.testing.assert_array_equal(_wire.decode(t)[2], a)


def test_op_step_with_attrs_and_quiet():
    attrs = {"axis": (0, -1), "keep_dims": True, "alpha": 0.25, "dtype": float32,
             "transpose_a": False, "depth": 300, "name": "x" * 200, "empty": ()}
    b = _enc.op_step("Sum", ["t1", "c" * 150, "é"], ["t3", ""],
                     b"".join(_enc.attr_entry(k, v) for k, v in attrs.items()), quiet=True)
    s = parse_step(b)
    assert s.WhichOneof("kind") == "op"
    o = s.op
    assert (o.op, list(o.inputs), list(o.outputs), o.quiet) == ("Sum", ["t1", "c" * 150, "é"],
                                                                ["t3", ""], True)
    assert list(o.attrs["axis"].ints.values) == [0, -1]
    assert o.attrs["keep_dims"].b is True
    assert o.attrs["alpha"].f == 0.25
    assert o.attrs["dtype"].s == "float32"
    assert o.attrs["transpose_a"].WhichOneof("value") == "b" and not o.attrs["transpose_a"].b
    assert o.attrs["depth"].i == 300
    assert o.attrs["name"].s == "x" * 200
    assert o.attrs["empty"].WhichOneof("value") == "ints"
    assert not parse_step(_enc.op_step("Neg", ["a"], ["b"])).op.quiet


def test_tape_stop_fetch_release_constant_steps():
    for persistent in (False, True):
        for wav in (False, True):
            for reenter in (False, True):
                t = parse_step(_enc.tape_step("tape7", persistent, wav, reenter)).tape
                assert (t.tape, t.persistent, t.watch_accessed_variables, t.reenter) == \
                    ("tape7", persistent, wav, reenter)
                assert t.HasField("watch_accessed_variables")
    assert parse_step(_enc.stop_step("tape7")).stop.tape == "tape7"
    assert list(parse_step(_enc.fetch_step(["a", "b"])).fetch.refs) == ["a", "b"]
    r = parse_step(_enc.release_step(["t1", "t2"], ["tape3"])).release
    assert (list(r.refs), list(r.tapes)) == (["t1", "t2"], ["tape3"])
    c = parse_step(_enc.constant_step("c9", _wire.encode(np.arange(6, dtype=np.int64).reshape(2, 3))))
    assert c.constant.ref == "c9"
    np.testing.assert_array_equal(_wire.decode(c.constant.value)[2], np.arange(6).reshape(2, 3))
    assert c.constant.value.dtype == int64.enum


def test_gradient_step_and_run_request():
    og = _wire.encode(np.ones((2,), np.float32))
    for unconnected in (pb.UNCONNECTED_NONE, pb.UNCONNECTED_ZERO):
        for fetch in (False, True):
            g = parse_step(_enc.gradient_step("tape1", ["t4"], ["v1", "v2"], unconnected,
                                              ["g1", ""], fetch, [og])).gradient
            assert (g.tape, list(g.targets), list(g.sources), g.unconnected, list(g.outputs),
                    g.fetch) == ("tape1", ["t4"], ["v1", "v2"], unconnected, ["g1", ""], fetch)
            assert len(g.output_gradients) == 1 and list(g.output_gradients[0].shape) == [2]
    rnd = random.Random(5)
    steps = [_enc.fetch_step(["r%d" % rnd.randrange(10**6) for _ in range(rnd.randrange(40))])
             for _ in range(20)]
    req = pb.RunRequest.FromString(_enc.run_request("session-1", steps))
    assert req.session_id == "session-1" and req.raw_results
    assert [s.SerializeToString() for s in req.steps] == steps
