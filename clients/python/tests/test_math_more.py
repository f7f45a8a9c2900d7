"""tf.math's trigonometric, hyperbolic and error functions, ceil/round, not_equal and `!=`, the
logical functions and operators, and tf.nn.gelu (gradd/_math2.py): values against Python's
math module, gradients against the analytic derivatives, and shapes/dtypes known without a
round trip (the steps stay quiet)."""
import math

import numpy as np
import pytest

X = [0.3, -0.7, 1.2, 0.0]  # inside every function's domain once scaled by 1/2 (asin, acos)

# name, gradd function, math function, derivative, input scale
UNARY = [
    ("tan", lambda tf: tf.tan, math.tan, lambda x: 1 / math.cos(x) ** 2, 1.0),
    ("atan", lambda tf: tf.atan, math.atan, lambda x: 1 / (1 + x * x), 1.0),
    ("asin", lambda tf: tf.asin, math.asin, lambda x: 1 / math.sqrt(1 - x * x), 0.5),
    ("acos", lambda tf: tf.acos, math.acos, lambda x: -1 / math.sqrt(1 - x * x), 0.5),
    ("sinh", lambda tf: tf.sinh, math.sinh, math.cosh, 1.0),
    ("cosh", lambda tf: tf.cosh, math.cosh, math.sinh, 1.0),
    ("expm1", lambda tf: tf.math.expm1, math.expm1, math.exp, 1.0),
    ("erf", lambda tf: tf.math.erf, math.erf,
     lambda x: 2 / math.sqrt(math.pi) * math.exp(-x * x), 1.0),
]


# TensorFlow's gelu takes math_ops.cast(python_float, dtype) of these, which converts to
# float32 first: float64 gelu uses them rounded to float32 (TF 2.21 gives exactly that).
C = float(np.float32(0.7071067811865476))
K = float(np.float32(0.044715))
S = 0.7978845608028654  # multiplied as a Python float: not rounded


def _gelu(x):
    return 0.5 * x * (1 + math.erf(C * x))


def _gelu_grad(x):
    return 0.5 * (1 + math.erf(C * x)) + x * C / math.sqrt(math.pi) * math.exp(-C * C * x * x)


def _gelu_tanh(x):
    return 0.5 * x * (1 + math.tanh(S * (x + K * x ** 3)))


def _gelu_tanh_grad(x):
    u = S * (x + K * x ** 3)
    return 0.5 * (1 + math.tanh(u)) + 0.5 * x * (1 - math.tanh(u) ** 2) * S * (1 + 3 * K * x * x)


@pytest.mark.parametrize("name,fn,ref,dref,scale", UNARY, ids=[u[0] for u in UNARY])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_unary_values_and_gradients(tf, name, fn, ref, dref, scale, dtype):
    xs = [v * scale for v in X]
    x = tf.Variable(np.array(xs, dtype=dtype))
    with tf.GradientTape() as tape:
        y = fn(tf)(x)
        s = tf.reduce_sum(y)
    g = tape.gradient(s, x)
    tol = 1e-6 if dtype == "float32" else 1e-12
    assert y.dtype == tf.as_dtype(dtype) and g.dtype == tf.as_dtype(dtype)
    np.testing.assert_allclose(y.numpy(), [ref(v) for v in xs], rtol=tol, atol=tol)
    np.testing.assert_allclose(g.numpy(), [dref(v) for v in xs], rtol=tol * 4, atol=tol)


def test_top_level_aliases_match_tensorflow(tf):
    # tf.tan ... tf.cosh, tf.round, tf.not_equal and tf.logical_* exist at the top level;
    # expm1, erf, ceil and logical_xor are tf.math's only (as in TensorFlow 2.21).
    for n in ("tan", "atan", "asin", "acos", "sinh", "cosh", "round", "not_equal",
              "logical_and", "logical_or", "logical_not"):
        assert getattr(tf, n) is getattr(tf.math, n), n
    for n in ("expm1", "erf", "ceil", "logical_xor"):
        assert not hasattr(tf, n) and callable(getattr(tf.math, n)), n
    assert callable(tf.nn.gelu)


def test_second_derivatives(tf):
    x = tf.Variable([0.4, -1.1], dtype=tf.float64)
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            y = tf.reduce_sum(tf.tan(x) + tf.math.erf(x) + tf.sinh(x))
        g = inner.gradient(y, x)
    h = outer.gradient(g, x)
    want = [2 * math.tan(v) / math.cos(v) ** 2 - 4 * v / math.sqrt(math.pi) * math.exp(-v * v)
            + math.sinh(v) for v in (0.4, -1.1)]
    np.testing.assert_allclose(h.numpy(), want, rtol=1e-12)


def test_edges(tf):
    np.testing.assert_allclose(tf.asin([1.0, -1.0]).numpy(), [math.pi / 2, -math.pi / 2],
                               rtol=1e-7)
    assert np.isnan(tf.asin(2.0).numpy()) and np.isnan(tf.acos(-1.5).numpy())
    assert tf.math.erf([10.0, -10.0]).numpy().tolist() == [1.0, -1.0]
    np.testing.assert_allclose(tf.math.expm1(np.float64(1e-10)).numpy(), math.expm1(1e-10),
                               rtol=1e-15)
    with pytest.raises(tf.InvalidArgumentError):
        tf.tan([1, 2]).numpy()  # int32: the op takes floats only


def test_ceil_and_round(tf):
    x = tf.constant([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.49999997, 1.2, -1.2])
    assert tf.math.round(x).numpy().tolist() == [0., 2., 2., -0., -2., -2., 0., 1., -1.]
    assert math.copysign(1.0, tf.round(x).numpy()[3]) == -1.0  # -0.5 rounds to -0.0
    assert tf.math.ceil(x).numpy().tolist() == [1., 2., 3., -0., -1., -2., 1., 2., -1.]
    v = tf.Variable([0.2, 2.7])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.round(v) + tf.math.ceil(v))
    assert tape.gradient(y, v) is None  # neither has a gradient, as in TensorFlow


def test_round_returns_integers_unchanged(tf):
    session = tf.get_session()
    i = tf.constant([1, -2, 3])
    before = session.run_count
    assert tf.round(i) is i  # no op at all (the raw Round kernel would give zeros)
    r = tf.round(tf.constant([5, 6], dtype=tf.int64))
    assert r.dtype == tf.int64 and r.numpy().tolist() == [5, 6]
    assert tf.round([7, 8]).numpy().tolist() == [7, 8]
    assert session.run_count == before  # local values, never sent
    v = tf.Variable([4, 9])
    r = tf.math.round(v)
    assert isinstance(r, tf.Tensor) and r.numpy().tolist() == [4, 9]  # the variable's value


def test_new_ops_infer_shapes_and_dtypes_locally(tf):
    session = tf.get_session()
    m = tf.constant(np.linspace(-0.9, 0.9, 12, dtype=np.float64).reshape(3, 4))
    row = tf.constant([0.1, 0.2, 0.3, 0.4], dtype=tf.float64)
    b = m > 0.0
    before = session.run_count
    outs = [tf.tan(m), tf.atan(m), tf.asin(m), tf.acos(m), tf.sinh(m), tf.cosh(m),
            tf.math.expm1(m), tf.math.erf(m), tf.math.ceil(m), tf.round(m), tf.nn.gelu(m),
            tf.nn.gelu(m, approximate=True), tf.not_equal(m, row), m != row, b & (row > 0.2),
            b | True, b ^ b, ~b, tf.logical_not(b), tf.math.logical_xor(b, row < 0.3)]
    known = [(o._shape, o._dtype) for o in outs]
    assert session.run_count == before  # nothing sent yet
    for o, (shape, dtype) in zip(outs, known):
        assert shape == (3, 4)
        value = np.asarray(o.numpy())
        assert value.shape == shape and value.dtype == dtype.as_numpy_dtype
    assert [d.name for _, d in known] == ["float64"] * 12 + ["bool"] * 8


def test_not_equal_operator_is_lazy(tf):
    session = tf.get_session()
    x = tf.constant([[1.0, float("nan"), 3.0]])
    before = session.run_count
    ne = x != 3.0
    col = x != [[1.0], [2.0]]  # broadcast
    nan = x != x
    assert session.run_count == before  # no value was fetched to negate it
    assert ne.shape == (1, 3) and ne.dtype == tf.bool and col.shape == (2, 3)
    assert session.run_count == before
    assert ne.numpy().tolist() == [[True, True, False]]
    assert col.numpy().tolist() == [[False, True, True], [True, True, True]]
    assert nan.numpy().tolist() == [[False, True, False]]


def test_not_equal_semantics(tf):
    x = tf.constant([1.0, 2.0])
    assert (x != None) is True  # noqa: E711 - TensorFlow's answer, a Python bool
    bad = x != tf.constant([1.0, 2.0, 3.0])  # shapes that do not broadcast: unequal
    assert bad.shape == () and bad.dtype == tf.bool and bad.numpy() == np.True_
    assert (x == tf.constant([1.0, 2.0, 3.0])).numpy() == np.False_
    assert (tf.Variable([1, 2]) != 2).numpy().tolist() == [True, False]
    with pytest.raises(TypeError):
        tf.constant([1, 2]) != 1.5  # noqa: B015 - does not fit int32
    with pytest.raises(TypeError):
        tf.constant([True]) != 1  # noqa: B015
    with pytest.raises(tf.InvalidArgumentError):  # the function raises for them
        tf.math.not_equal(x, tf.constant([1.0, 2.0, 3.0])).numpy()
    assert tf.not_equal([1, 2], 2).numpy().tolist() == [True, False]


def test_logical_functions(tf):
    p = tf.constant([True, True, False, False])
    q = [True, False, True, False]
    assert tf.logical_and(p, q).numpy().tolist() == [True, False, False, False]
    assert tf.math.logical_or(p, q).numpy().tolist() == [True, True, True, False]
    assert tf.math.logical_xor(p, q).numpy().tolist() == [False, True, True, False]
    assert tf.logical_not(p).numpy().tolist() == [False, False, True, True]
    assert tf.logical_and([[True], [False]], p).shape == (2, 4)
    assert tf.logical_or(True, False).numpy() == np.True_


def test_logical_functions_refuse_non_bool(tf):
    f = tf.constant([1.0, 0.0])
    for call in (lambda: tf.logical_and(f, f), lambda: tf.logical_or(tf.constant([1]), True),
                 lambda: tf.logical_not(f), lambda: tf.math.logical_xor(f, f),
                 lambda: tf.logical_and(tf.constant([True]), f)):
        with pytest.raises(tf.InvalidArgumentError, match="bool"):
            call().numpy()
    with pytest.raises(TypeError):
        tf.logical_and(tf.constant([True]), 1)  # a Python int is not converted to bool
    with pytest.raises(TypeError):
        tf.logical_not([1, 0])


def test_logical_operators(tf):
    p = tf.constant([True, True, False, False])
    q = tf.constant([True, False, True, False])
    assert (p & q).numpy().tolist() == [True, False, False, False]
    assert (p | q).numpy().tolist() == [True, True, True, False]
    assert (p ^ q).numpy().tolist() == [False, True, True, False]
    assert (~p).numpy().tolist() == [False, False, True, True]
    assert (True & p).numpy().tolist() == [True, True, False, False]
    assert ([False, True, False, True] | p).numpy().tolist() == [True, True, False, True]
    assert (np.array([True, False, True, False]) ^ p).numpy().tolist() == [False, True, True, False]
    v = tf.Variable([True, False])
    assert (~v).numpy().tolist() == [False, True] and (v & True).dtype == tf.bool
    with pytest.raises(TypeError):
        p & 1  # noqa: B015 - TensorFlow: Cannot convert 1 to EagerTensor of dtype bool


def test_bitwise_operators_are_not_supported(tf):
    i = tf.constant([1, 2])
    for call in (lambda: i & i, lambda: i | 1, lambda: i ^ i, lambda: ~i, lambda: 3 & i):
        with pytest.raises(NotImplementedError, match="bitwise"):
            call()
    f = tf.constant([1.0, 2.0], dtype=tf.float64)
    for call in (lambda: f & f, lambda: f | True, lambda: ~f):
        with pytest.raises(tf.InvalidArgumentError, match="of double is not in the list"):
            call()


def test_gelu_values_and_gradients(tf):
    xs = [-3.0, -1.0, 0.0, 0.5, 1.0, 3.0]
    for approximate, ref, dref in ((False, _gelu, _gelu_grad), (True, _gelu_tanh, _gelu_tanh_grad)):
        x = tf.Variable(xs, dtype=tf.float64)
        with tf.GradientTape() as tape:
            y = tf.nn.gelu(x, approximate=approximate)
        g = tape.gradient(y, x)
        np.testing.assert_allclose(y.numpy(), [ref(v) for v in xs], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(g.numpy(), [dref(v) for v in xs], rtol=1e-12, atol=1e-15)
    # TensorFlow 2.21's float32 values (its docstring's are older). The tanh form loses
    # precision for x < 0 to cancellation (1 + tanh(u)): an absolute error of about |x| * eps.
    x = tf.constant([-3.0, -1.0, 0.0, 1.0, 3.0])
    np.testing.assert_allclose(tf.nn.gelu(x).numpy(),
                               [-4.0496956e-03, -0.15865526, 0., 0.84134471, 2.9959502],
                               rtol=1e-6, atol=3 * 2.0 ** -23)
    np.testing.assert_allclose(tf.nn.gelu(x, approximate=True).numpy(),
                               [-0.003637433, -0.158808, 0., 0.841192, 2.9963627],
                               rtol=1e-6, atol=3 * 2.0 ** -23)
    # The exact form runs Erfc, so it stays relatively exact far below zero (TF 2.21's float32
    # gelu(-8) is -4.98e-15; 1 - erf there would be 0).
    far = [-8.0, -6.0, -5.0]
    np.testing.assert_allclose(tf.nn.gelu(tf.constant(far)).numpy(),
                               [0.5 * v * math.erfc(-v / math.sqrt(2.0)) for v in far], rtol=1e-5, atol=0)
    with pytest.raises(ValueError, match="floating point"):
        tf.nn.gelu(tf.constant([1, 2]))


def test_keras_gelu_is_exact_by_default(tf):
    x = tf.constant([-1.5, 0.25, 2.0])
    exact = tf.nn.gelu(x).numpy()
    np.testing.assert_array_equal(tf.keras.activations.gelu(x).numpy(), exact)
    np.testing.assert_array_equal(tf.keras.activations.get("gelu")(x).numpy(), exact)
    np.testing.assert_array_equal(tf.keras.activations.gelu(x, approximate=True).numpy(),
                                  tf.nn.gelu(x, approximate=True).numpy())
    layer = tf.keras.layers.Dense(2, activation="gelu")
    y = layer(tf.constant([[1.0, -1.0]]))
    assert y.shape == (1, 2)


def test_gradients_of_ceil_round_are_none_without_a_run(tf):
    # The tape mirror knows these ops have no gradient (_edges.py), and the others do.
    session = tf.get_session()
    v = tf.Variable([0.2, 2.7])
    with tf.GradientTape(persistent=True) as tape:
        r, c = tf.round(v), tf.math.ceil(v)
        e = tf.math.erf(v)
    before = session.run_count
    assert tape.gradient(r, v) is None and tape.gradient(c, v) is None
    assert session.run_count == before
    assert tape.gradient(e, v) is not None


def test_gelu_float64_extremes(tf):
    # float64 Erf is NaN once x*x overflows (as TensorFlow's); gelu clamps its argument as
    # TensorFlow's erfc does, so +inf stays inf and its gradient flows.
    x = tf.Variable([float("inf"), 1e200, -1e200, -float("inf")], dtype=tf.float64)
    with tf.GradientTape() as tape:
        y = tf.nn.gelu(x)
    g = tape.gradient(y, x).numpy()
    y = y.numpy()
    assert y[0] == float("inf") and y[1] == 1e200 and y[2] == 0.0 and np.isnan(y[3])
    assert g[1:3].tolist() == [1.0, 0.0]


def test_none_operands_as_tensorflow(tf):
    v = tf.Variable([1.0])
    with pytest.raises(ValueError, match="None"):
        v != None  # noqa: B015,E711 - TensorFlow's Variable converts None
    with pytest.raises(ValueError, match="None"):
        v == None  # noqa: B015,E711
    with pytest.raises(ValueError, match="None"):
        tf.not_equal(tf.constant([1.0]), None)
    with pytest.raises(ValueError, match="None"):
        tf.constant([1.0]) * None  # noqa: B015
    x = tf.constant([1.0])
    assert (x == None) is False and (None != x) is True  # noqa: E711
    assert None not in [x]  # list membership compares with ==: no error for tensors


def test_pad(tf):
    """tf.pad: zeros or a fill value around the input, the gradient is the inside of the
    incoming one, and bad paddings or modes fail as in TensorFlow."""
    a = np.array([[1.0, -2.0], [3.0, 0.5]], np.float32)
    x = tf.Variable(a)
    w = np.arange(20, dtype=np.float32).reshape(4, 5)
    with tf.GradientTape() as tape:
        y = tf.pad(x, [[1, 1], [2, 1]], constant_values=-1.5)
        s = tf.reduce_sum(y * w)
    want = np.full((4, 5), -1.5, np.float32)
    want[1:3, 2:4] = a
    assert y.shape == (4, 5) and y.dtype == tf.float32
    assert y.numpy().tolist() == want.tolist()  # the inside stays exact
    assert tape.gradient(s, x).numpy().tolist() == w[1:3, 2:4].tolist()
    assert tf.pad(tf.constant([1, 2]), tf.constant([[0, 2]])).numpy().tolist() == [1, 2, 0, 0]
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.pad(x, [[1, 1]]).numpy()  # one row of paddings for a rank-2 input
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.pad(x, [[1, 1], [-1, 0]]).numpy()
    with pytest.raises(ValueError):
        tf.pad(x, [[1, 1], [1, 1]], mode="WRAP")
    with pytest.raises(NotImplementedError):
        tf.pad(x, [[1, 1], [1, 1]], mode="REFLECT")
