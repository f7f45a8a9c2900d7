"""Strided indexing (any step, tf.newaxis, Ellipsis) and its gradients, softmax over any axis,
one_hot's full signature, tf.function and tf.print, against numpy. scripts/client_vs_tf
(snip_indexing.py) compares the same against TensorFlow itself."""
import sys

import numpy as np
import pytest

import gradd
from gradd import _index

R1 = np.arange(7, dtype=np.float32)
R2 = np.arange(20, dtype=np.float32).reshape(4, 5)
R3 = np.arange(60, dtype=np.float32).reshape(3, 4, 5)
A = np.array([[1.0, -2.0, 3.0], [0.5, 4.0, -1.5]], dtype=np.float32)

KEYS = [
    (R1, np.s_[::2]), (R1, np.s_[::-1]), (R1, np.s_[5:1:-2]), (R1, np.s_[-100:100:3]),
    (R1, np.s_[100:-100:-3]), (R1, np.s_[1:5:-1]), (R1, np.s_[::10]), (R1, np.s_[None]),
    (R1, np.s_[None, ::2, None]), (R1, np.s_[..., None]), (R1, np.s_[None, 3]), (R1, np.s_[...]),
    (R2, np.s_[:, ::3]), (R2, np.s_[::-1, ::-1]), (R2, np.s_[1, ::-2]), (R2, np.s_[::2, -1]),
    (R2, np.s_[:, None, 1:4]), (R2, np.s_[..., 0, ::-1]), (R2, np.s_[None, ..., None]),
    (R2, np.s_[10:-10:-2, -7:9:2]), (R2, np.s_[3:1, ::2]), (R2, np.s_[2, None, 3]),
    (R3, np.s_[None, ..., ::2, 1]), (R3, np.s_[::-1, None, ::-2]), (R3, np.s_[1, ..., ::-3]),
    (R3, np.s_[::2, 1::2, ::-2]), (R3, np.s_[::-2, ..., 4]), (R3, np.s_[None, 0, None, ::3, None]),
    (R3, np.s_[-9::5, 100::-2, -100::4]),
]


@pytest.mark.parametrize("a,key", KEYS, ids=[f"{a.ndim}d-{k!r}" for a, k in KEYS])
@pytest.mark.parametrize("kind", ["tensor", "variable"])
def test_strided_values_and_shapes(tf, a, key, kind):
    x = tf.constant(a) if kind == "tensor" else tf.Variable(a)
    y = x[key]
    want = a[key]
    assert y.shape == want.shape  # known before any Run
    np.testing.assert_array_equal(y.numpy(), want)
    assert y.dtype == tf.float32


def test_scalar_newaxis_and_tensor_bounds(tf):
    s = tf.constant(5.0)
    assert s[None].numpy().tolist() == [5.0]
    assert s[None, None].shape == (1, 1) and s[...].shape == ()
    x = tf.constant(R1)
    np.testing.assert_array_equal(x[tf.constant(5):tf.constant(1):tf.constant(-2)].numpy(),
                                  R1[5:1:-2])
    np.testing.assert_array_equal(x[np.int64(6)::np.int32(-3)].numpy(), R1[6::-3])
    assert gradd.newaxis is None
    assert x[gradd.newaxis, :, gradd.newaxis].shape == (1, 7, 1)
    ints = tf.constant(np.arange(10, dtype=np.int64))[::-3]
    assert ints.dtype == tf.int64 and ints.numpy().tolist() == [9, 6, 3, 0]


def test_list_key_is_a_tuple_as_in_tensorflow(tf):
    np.testing.assert_array_equal(tf.constant(R3)[[0, 1]].numpy(), R3[0, 1])


@pytest.mark.parametrize("a,key,exc,msg", [
    (R1, np.s_[::0], "InvalidArgumentError", "strides[0] must be non-zero"),
    (R2, np.s_[:, ::0], "InvalidArgumentError", "strides[1] must be non-zero"),
    (R3, np.s_[..., ...], "InvalidArgumentError", "Multiple ellipses"),
    (R2, np.s_[None, 0, 0, 0], "InvalidArgumentError", "Index out of range using input dim 2"),
    (R2, np.s_[..., 0, 0, 0], "InvalidArgumentError", "Index out of range using input dim 2"),
    (R2, np.s_[None, 4], "InvalidArgumentError", "slice index 4 of dimension 0 out of bounds"),
    (R2, np.s_[::2, -6], "InvalidArgumentError", "slice index -1 of dimension 1 out of bounds"),
    (R2, np.s_[None, 1.5], "TypeError", "valid indices, got 1.5"),
    (R1, np.s_[::2.0], "TypeError", "valid indices, got 2.0"),
    (np.float32(5), np.s_[::2], "InvalidArgumentError", "Attempting to slice scalar input"),
])
def test_index_errors_are_tensorflows(tf, a, key, exc, msg):
    x = tf.constant(a)
    with pytest.raises({"TypeError": TypeError}.get(exc, gradd.GraddError)) as e:
        x[key]
    assert type(e.value).__name__ == exc and msg in str(e.value)


def test_float_tensor_index_is_a_type_error(tf):
    with pytest.raises(TypeError):
        tf.constant(R1)[tf.constant(1.0)]
    with pytest.raises(TypeError):
        tf.constant(R1)[::tf.constant(2.0)]


def _ops_used(monkeypatch):
    used = []
    run_op = _index.run_op

    def recording(op, *a, **k):
        used.append(op)
        return run_op(op, *a, **k)
    monkeypatch.setattr(_index, "run_op", recording)
    return used


def test_fast_path_ops_unchanged_and_strided_ops(tf, monkeypatch):
    x = tf.constant(R3) * 1.0
    used = _ops_used(monkeypatch)
    x[0]
    assert used == ["Slice", "Squeeze"]
    del used[:]
    x[1:3, ..., :2]
    assert used == ["Slice"]
    del used[:]
    x[:, ::2]  # full range along the strided axis: no Slice, one GatherV2
    assert used == ["GatherV2"]
    del used[:]
    x[1, 3:0:-2, None]  # bounding Slice, one GatherV2, one Reshape for the int and newaxis
    assert used == ["Slice", "GatherV2", "Reshape"]
    del used[:]
    x[..., ::-1, ::-1]
    assert used == ["GatherV2", "GatherV2"]


def test_strided_indexing_queues_without_a_run(tf):
    session = tf.get_session()
    x = tf.constant(R3) * 2.0
    before = session.run_count
    y = x[None, ..., ::-2, 1]
    assert y.shape == (1, 3, 2)
    assert session.run_count == before
    np.testing.assert_array_equal(y.numpy(), (R3 * 2)[None, ..., ::-2, 1])
    assert session.run_count == before + 1


def _scatter_grad(shape, key, weights):
    """d/dx of sum(x[key] * weights): numpy's scatter-add of the weights into x's shape."""
    pos = np.arange(int(np.prod(shape))).reshape(shape)[key]
    g = np.zeros(int(np.prod(shape)))
    np.add.at(g, pos.ravel(), np.broadcast_to(weights, pos.shape).ravel())
    return g.reshape(shape)


@pytest.mark.parametrize("a,key", [
    (R1, np.s_[::3]), (R1, np.s_[::-2]), (R1, np.s_[5:0:-4]), (R2, np.s_[::-1, ::2]),
    (R2, np.s_[None, 1, ::-3]), (R3, np.s_[None, ..., ::2, 1]), (R3, np.s_[::2, 1::2, ::-2]),
    (R2, np.s_[3:1, ::2]),
])
def test_strided_gradient_is_a_scatter_add(tf, a, key):
    v = tf.Variable(a)
    w = np.random.default_rng(0).standard_normal(a[key].shape).astype(np.float32)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(v[key] * w)
    g = tape.gradient(loss, v)
    assert g.shape == a.shape
    np.testing.assert_allclose(g.numpy(), _scatter_grad(a.shape, key, w), rtol=1e-6)


def test_gradient_of_overlapping_strided_reads_adds_up(tf):
    v = tf.Variable(R1)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(v[::3] * 2.0) + tf.reduce_sum(v[::-2]) + tf.reduce_sum(v[5:0:-4] ** 2)
    want = (_scatter_grad(R1.shape, np.s_[::3], 2.0) + _scatter_grad(R1.shape, np.s_[::-2], 1.0)
            + _scatter_grad(R1.shape, np.s_[5:0:-4], 2 * R1[5:0:-4]))
    np.testing.assert_allclose(tape.gradient(loss, v).numpy(), want)


# -- softmax over any axis ----------------------------------------------------------------------

def _np_softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize("axis", [0, 1, -1, -2])
def test_softmax_any_axis_and_gradient(tf, axis):
    v = tf.Variable(A)
    w = np.array([[1., 2., 3.], [-1., 0.5, 2.]], np.float32)
    with tf.GradientTape(persistent=True) as tape:
        s = tf.nn.softmax(v, axis=axis)
        ls = tf.nn.log_softmax(v, axis=axis)
        loss_s = tf.reduce_sum(s * w)
        loss_ls = tf.reduce_sum(ls * w)
    p = _np_softmax(A.astype(np.float64), axis)
    np.testing.assert_allclose(s.numpy(), p, rtol=1e-6)
    np.testing.assert_allclose(ls.numpy(), np.log(p), rtol=1e-5, atol=1e-6)
    # d sum(w*softmax)/dx = p * (w - sum(w*p)); d sum(w*log_softmax)/dx = w - p * sum(w)
    np.testing.assert_allclose(tape.gradient(loss_s, v).numpy(),
                               p * (w - (w * p).sum(axis=axis, keepdims=True)),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(tape.gradient(loss_ls, v).numpy(),
                               w - p * w.sum(axis=axis, keepdims=True), rtol=1e-5, atol=1e-6)


def test_softmax_3d_math_alias_and_axis_errors(tf):
    x = R3.astype(np.float64) / 30
    np.testing.assert_allclose(tf.math.softmax(x, axis=0).numpy(), _np_softmax(x, 0))
    np.testing.assert_allclose(tf.nn.log_softmax(x, axis=1).numpy(), np.log(_np_softmax(x, 1)))
    for bad in (2, -3):
        with pytest.raises(gradd.InvalidArgumentError, match=r"must be in the range \[-2, 2\)"):
            tf.nn.softmax(A, axis=bad)


def test_softmax_cross_entropy_over_axis0(tf):
    labels = np.array([[0.2, 0.5, 0.], [0.8, 0.5, 1.]], np.float32)
    loss = tf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=A, axis=0)
    want = -(labels * np.log(_np_softmax(A.astype(np.float64), 0))).sum(axis=0)
    np.testing.assert_allclose(loss.numpy(), want, rtol=1e-5)


# -- one_hot ------------------------------------------------------------------------------------

IDX = np.array([[0, 2], [1, 5]])


def _np_one_hot(idx, depth, on=1, off=0, axis=-1, dtype=np.float32):
    out = np.where(np.arange(depth) == idx[..., None], on, off).astype(dtype)
    return np.moveaxis(out, -1, axis)


@pytest.mark.parametrize("kw,want", [
    ({}, _np_one_hot(IDX, 3)),
    (dict(on_value=5.0, off_value=-1.0), _np_one_hot(IDX, 3, 5, -1)),
    (dict(on_value=5), _np_one_hot(IDX, 3, 5, dtype=np.int32)),
    (dict(off_value=-1), _np_one_hot(IDX, 3, 1, -1, dtype=np.int32)),
    (dict(on_value=np.float64(0.1), off_value=np.float64(0.7)),
     _np_one_hot(IDX, 3, 0.1, 0.7, dtype=np.float64)),
    (dict(dtype="int64", on_value=2**40, off_value=-3),
     _np_one_hot(IDX, 3, 2**40, -3, dtype=np.int64)),
    (dict(on_value=False, off_value=True), _np_one_hot(IDX, 3, False, True, dtype=bool)),
    (dict(axis=0), _np_one_hot(IDX, 3, axis=0)),
    (dict(axis=1, on_value=2.0, off_value=-2.0), _np_one_hot(IDX, 3, 2, -2, axis=1)),
    (dict(axis=2), _np_one_hot(IDX, 3)),
])
def test_one_hot(tf, kw, want):
    if "dtype" in kw:
        kw = dict(kw, dtype=getattr(tf, kw["dtype"]))
    out = tf.one_hot(IDX.tolist(), 3, **kw)
    assert out.shape == want.shape and out.dtype.name == want.dtype.name
    np.testing.assert_array_equal(out.numpy(), want)


def test_one_hot_tensor_values_and_errors(tf):
    out = tf.one_hot([1, 0], 2, on_value=tf.constant(3, tf.int64))
    assert out.dtype == tf.int64 and out.numpy().tolist() == [[0, 3], [3, 0]]
    assert tf.one_hot(1, 3, axis=0).numpy().tolist() == [0, 1, 0]
    with pytest.raises(TypeError, match="of on_value does not match dtype <dtype: 'float32'>"):
        tf.one_hot([1], 3, on_value=1, off_value=0.5)
    with pytest.raises(TypeError, match="does not match dtype parameter"):
        tf.one_hot([1], 3, on_value=5.0, dtype=tf.int32)
    with pytest.raises(TypeError, match="Cannot convert 1 to EagerTensor of dtype bool"):
        tf.one_hot([1], 3, dtype=tf.bool)
    with pytest.raises(gradd.InvalidArgumentError, match=r"between \[0, 3\)"):
        tf.one_hot(IDX, 3, axis=-2)
    with pytest.raises(gradd.InvalidArgumentError, match="on_value must be a scalar"):
        tf.one_hot([1], 3, on_value=[1., 2.])


# -- tf.function --------------------------------------------------------------------------------

def test_function_runs_eagerly_with_the_same_values(tf):
    def f(x, y=2.0):
        """doc"""
        return x * y + 1.0
    g = tf.function(f)
    h = tf.function(jit_compile=True, reduce_retracing=True)(f)
    x = tf.constant([1., 2.])
    for fn in (g, h):
        assert fn.__name__ == "f" and fn.__doc__ == "doc" and fn.python_function is f
        np.testing.assert_array_equal(fn(x).numpy(), f(x).numpy())
        np.testing.assert_array_equal(fn(x, y=tf.constant(0.5)).numpy(), [1.5, 2.0])


def test_function_with_a_tape_inside(tf):
    @tf.function
    def step(w, x):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum((x @ w) ** 2)
        return loss, tape.gradient(loss, w)
    w0 = np.array([[1.], [2.], [3.]], np.float32)
    loss, g = step(tf.Variable(w0), tf.constant([[1., 2., 3.]]))
    assert loss.numpy() == pytest.approx(196.0)
    np.testing.assert_allclose(g.numpy(), 2 * 14.0 * np.array([[1.], [2.], [3.]]))


def test_function_input_signature(tf):
    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
    def f(x):
        assert isinstance(x, gradd.Tensor)  # converted to the spec
        return tf.reduce_sum(x * x)
    assert f([3., 4.]).numpy() == 25.0
    with pytest.raises(TypeError, match="Can not cast"):
        f(tf.constant([1, 2]))
    with pytest.raises(TypeError, match="Can not cast"):
        f(tf.constant([[1., 2.]]))
    with pytest.raises(TypeError, match="Binding inputs"):
        f(tf.constant([1.]), tf.constant([2.]))
    with pytest.raises(TypeError, match="input_signature must be"):
        tf.function(lambda x: x, input_signature=[1])

    class Model:
        w = tf.Variable([2., 3.])

        @tf.function(input_signature=[tf.TensorSpec([2], tf.float32)])
        def double(self, x):
            return self.w * x * 2.0
    assert Model().double([1., -1.]).numpy().tolist() == [4.0, -6.0]
    spec = tf.TensorSpec([None, 2], tf.float64, name="x")
    assert spec.shape.as_list() == [None, 2] and spec.dtype == tf.float64 and spec.name == "x"


# -- tf.print -----------------------------------------------------------------------------------

def test_print_formats_like_tensorflow(tf, capsys):
    tf.print(tf.constant([[1, 2], [3, 4]]), output_stream=sys.stdout)
    tf.print("loss:", tf.constant(2.0), 3, [1, tf.constant([2., 3.])], {"b": 1, "a": None},
             sep="|", end="!\n", output_stream=sys.stdout)
    tf.print(tf.constant(np.arange(10)), tf.constant([0.1, 1 / 3, -0.0, 1e10]),
             tf.constant([True, False]), output_stream=sys.stdout)
    tf.print(tf.constant(np.arange(24).reshape(2, 3, 4)), summarize=1, output_stream=sys.stdout)
    tf.print(tf.constant(np.arange(10)), summarize=-1, end="", output_stream=sys.stdout)
    assert capsys.readouterr().out == (
        "[[1 2]\n [3 4]]\n"
        "loss:|2|3|[1, [2 3]]|{'a': None, 'b': 1}!\n"
        "[0 1 2 ... 7 8 9] [0.1 0.333333343 -0 1e+10] [1 0]\n"
        "[[[0 ... 3]\n  ...\n  [8 ... 11]]\n\n [[12 ... 15]\n  ...\n  [20 ... 23]]]\n"
        "[0 1 2 3 4 5 6 7 8 9]")


def test_print_defaults_to_stderr_in_one_run(tf, capsys):
    session = tf.get_session()
    a, b = tf.constant([1., 2.]) * 2.0, tf.Variable([[0.5]])
    before = session.run_count
    assert tf.print("values", a, b) is None
    assert session.run_count == before + 1
    out = capsys.readouterr()
    assert out.out == "" and out.err == "values [2 4] [[0.5]]\n"


def test_print_to_a_file_and_bad_stream(tf, tmp_path):
    path = tmp_path / "log.txt"
    tf.print(tf.constant(1), output_stream=f"file://{path}")
    tf.print("two", output_stream=f"file://{path}")
    assert path.read_text() == "1\ntwo\n"
    with pytest.raises(ValueError, match="Unsupported output stream"):
        tf.print(1, output_stream="nowhere")
