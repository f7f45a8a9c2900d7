"""Error paths: errors name the Python line that queued the failing step; the session and the
tape stack stay usable; a lost session is SessionLostError, not a hang."""
import inspect

import pytest

import gradd
from gradd._proto import gradd_pb2 as pb


def _line_of(func, marker):
    src, start = inspect.getsourcelines(func)
    for i, line in enumerate(src):
        if marker in line:
            return start + i
    raise AssertionError(marker)


def test_bad_shapes_point_at_the_line(tf):
    def body():
        a = tf.constant([[1., 2., 3.]])
        b = tf.Variable(tf.ones((2, 3)))
        with tf.GradientTape() as tape:
            c = a @ b  # BAD-MATMUL
            d = c * 2.0
        return tape, d

    tape, d = body()
    with pytest.raises(tf.InvalidArgumentError) as info:
        d.numpy()
    err = info.value
    assert err.lineno == _line_of(body, "BAD-MATMUL")
    assert err.filename == __file__
    assert f'File "{__file__}", line {err.lineno}' in str(err)
    assert err.step_kind == "op"
    assert str(err).startswith(f"step {err.step_index} (op")
    # d was never computed: using it raises the same error
    with pytest.raises(tf.InvalidArgumentError):
        d.numpy()
    # the session stays usable, and the tape's `with` block was closed on the server too
    x = tf.constant(2.0)
    with tf.GradientTape() as t2:
        t2.watch(x)
        y = x * x
    assert t2.gradient(y, x).numpy() == 4.0
    # a tape still active on the server would watch `late` when an op reads it
    late = tf.Variable(1.0, name="late")
    (late * 2.0).numpy()
    assert "late" not in [v.name for v in tape.watched_variables()]


def test_broadcast_error_in_a_long_batch(tf):
    a = tf.constant([[1., 2., 3.], [4., 5., 6.]])
    ok = a * 2.0
    bad = a + tf.constant([1., 2., 3., 4.]); line = inspect.currentframe().f_lineno  # noqa: E702
    later = ok + 1.0
    with pytest.raises(tf.InvalidArgumentError) as info:
        later.numpy()
    assert info.value.lineno == line
    # steps before the failing one took effect: `ok` is bound on the server
    assert ok.numpy().tolist() == [[2., 4., 6.], [8., 10., 12.]]
    with pytest.raises(tf.InvalidArgumentError):
        bad.numpy()


def test_second_gradient_on_non_persistent_tape(tf):
    x = tf.constant(3.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    assert tape.gradient(y, x).numpy() == 6.0
    with pytest.raises(tf.FailedPreconditionError) as info:
        tape.gradient(y, x)  # SECOND
    assert info.value.lineno == _line_of(test_second_gradient_on_non_persistent_tape, "# SECOND")


def test_persistent_tape_allows_several_gradients(tf):
    x = tf.constant(3.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
        z = y * y
    assert tape.gradient(z, x).numpy() == 108.0
    assert tape.gradient(y, x).numpy() == 6.0
    del tape


def test_lost_session_deleted(addr):
    with gradd.Session(addr) as s:
        v = gradd.Variable(2.0)
        assert (v * 3.0).numpy() == 6.0
        s.stub.DeleteSession(pb.DeleteSessionRequest(session_id=s.id))
        with pytest.raises(gradd.SessionLostError, match="gone"):
            (v * 2.0).numpy()
        # and it stays lost (no hang, no retry)
        with pytest.raises(gradd.SessionLostError):
            s.keep_alive()


def test_lost_session_server_restart(server):
    if server.binary is None:
        pytest.skip("server not started by the tests")
    from conftest import Server
    other = Server(server.binary).start()
    try:
        with gradd.Session(other.addr) as s:
            x = gradd.Variable([1.0, 2.0])
            assert gradd.reduce_sum(x).numpy() == 3.0
            other.restart()
            with pytest.raises(gradd.SessionLostError):
                gradd.reduce_sum(x).numpy()
    finally:
        other.stop()


def test_unreachable_server_fails_fast():
    s = gradd.Session("127.0.0.1:1", timeout=5)
    with pytest.raises(gradd.UnavailableError):
        s.keep_alive()
