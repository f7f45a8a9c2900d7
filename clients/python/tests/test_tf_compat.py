"""Behaviour pinned to TensorFlow 2.21's, one test per difference found by
scripts/client_vs_tf (repros in its REAL list). Every expected value, dtype and exception
class here is what TensorFlow 2.21 gives for the same code (checked by running these tests with
`tf` = tensorflow; tests named test_gradd_* check gradd-only details on top).

Errors TensorFlow raises at once may surface in gradd when the batch runs, so each raising
statement sits inside its `pytest.raises` block together with the read that runs the batch.
"""
import warnings

import numpy as np
import pytest


def values(t, dtype, expected, tol=1e-6):
    assert t.dtype == dtype, (t.dtype, dtype)
    np.testing.assert_allclose(np.asarray(t.numpy()), expected, rtol=tol, atol=tol)


# -- 1. numpy operands take the tensor's dtype (TensorFlow casts numpy values unchecked) --------

def test_numpy_operands_take_the_tensor_dtype(tf):
    x = tf.constant([1., 2.])
    values(x * np.float64(2.0), tf.float32, [2., 4.])
    values(np.float64(2.0) * x, tf.float32, [2., 4.])
    values(tf.reduce_sum(x) / np.sqrt(2.0), tf.float32, 2.1213205)
    values(x + np.int64(1), tf.float32, [2., 3.])
    values(tf.constant([1., 2., 3.]) + np.ones(3), tf.float32, [2., 3., 4.])
    values(tf.constant([[1., 2.]]) @ np.ones((2, 1)), tf.float32, [[3.]])
    values(np.ones((1, 2)) @ tf.constant([[1.], [2.]]), tf.float32, [[3.]])
    values(tf.Variable([1., 2.]) * np.float64(0.5), tf.float32, [.5, 1.])
    # unchecked: a float array next to an int tensor is truncated, as in TensorFlow
    values(tf.constant([1, 2]) + np.array([1.5, 2.5]), tf.int32, [2, 4])
    values(tf.convert_to_tensor(np.ones(2), dtype_hint=tf.float32), tf.float32, [1., 1.])
    values(tf.convert_to_tensor(np.ones(2), dtype_hint=tf.int32), tf.int32, [1, 1])
    values(tf.convert_to_tensor(2.0, dtype_hint=tf.int32), tf.float32, 2.)  # a hint, not a cast


def test_matmul_function_keeps_a_numpy_first_operand(tf):
    # tf.matmul converts `a` on its own (float64 here): the op's dtype error
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.matmul(np.ones((1, 2)), tf.constant([[1.], [2.]])).numpy()


# -- 2. Dense computes in its dtype -------------------------------------------------------------

def test_dense_casts_inputs_to_its_dtype(tf):
    layer = tf.keras.layers.Dense(2, kernel_initializer="ones")
    values(layer(np.array([[1., 2., 3.]])), tf.float32, [[6., 6.]])
    values(tf.keras.layers.Dense(2, kernel_initializer="ones")(tf.constant([[1, 2, 3]])),
           tf.float32, [[6., 6.]])
    x = tf.constant([[1., 2., 3.]], tf.float64)
    layer = tf.keras.layers.Dense(2, kernel_initializer="ones")
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(layer(x))
    values(y, tf.float32, 12.)
    values(tape.gradient(y, x), tf.float64, [[2., 2., 2.]])


# -- 3. true division of integers ---------------------------------------------------------------

def test_int_truediv_is_float64(tf):
    i32 = tf.constant([1, 2, 3])
    values(i32 / 2, tf.float64, [.5, 1., 1.5])
    values(tf.constant([1, 2, 3], tf.int64) / 2, tf.float64, [.5, 1., 1.5])
    values(i32 / i32, tf.float64, [1., 1., 1.])
    values(2 / i32, tf.float64, [2., 1., 2 / 3])
    values(tf.divide(i32, 2), tf.float64, [.5, 1., 1.5])
    values(tf.divide([1, 2], [2, 4]), tf.float64, [.5, .5])
    values(tf.math.truediv(i32, 2), tf.float64, [.5, 1., 1.5])
    values(tf.Variable([1, 2]) / 2, tf.float64, [.5, 1.])
    values(tf.constant([1., 2.]) / 2, tf.float32, [.5, 1.])
    values(tf.divide([1., 2.], [2, 4]), tf.float32, [.5, .5])


def test_truediv_dtype_errors(tf):
    i32 = tf.constant([1, 2])
    with pytest.raises(TypeError):
        i32 / 2.5
    with pytest.raises(TypeError):
        i32 / tf.constant([1, 2], tf.int64)
    with pytest.raises(TypeError):
        tf.constant([True, False]) / True
    with pytest.raises(TypeError):
        2.5 / i32


# -- 4. <= and >= with NaN ----------------------------------------------------------------------

def test_le_ge_are_false_for_nan(tf):
    x = tf.constant([float("nan"), 1., 2.])
    assert (x <= 1.).numpy().tolist() == [False, True, False]
    assert (x >= 1.).numpy().tolist() == [False, True, True]
    assert (1. <= x).numpy().tolist() == [False, True, True]
    assert (x <= x).numpy().tolist() == [False, True, True]
    assert (tf.constant([1, 2, 3]) >= np.int64(2)).numpy().tolist() == [False, True, True]
    assert (tf.Variable([1., 2.]) <= 1.5).numpy().tolist() == [True, False]


# -- 5. format() of a tensor formats its value --------------------------------------------------

def test_format_formats_the_value(tf):
    assert f"loss {tf.constant(5.0)}" == "loss 5.0"
    assert f"{tf.constant([1., 2.])}" == "[1. 2.]"
    assert f"{tf.constant(3.2000003)}" == "3.200000286102295"
    assert f"{tf.constant(3.14159):.3f}" == "3.142"
    assert f"{tf.constant(7):5d}" == "    7"
    assert f"{tf.constant(True)}" == "True"
    assert f"{tf.constant([[1, 2], [3, 4]])}" == "[[1 2]\n [3 4]]"
    with pytest.raises(TypeError):
        f"{tf.constant([1., 2.]):.3f}"


# -- 6. math functions on two lists or numbers --------------------------------------------------

def test_binary_functions_convert_both_arguments(tf):
    values(tf.add([1., 2.], [3., 4.]), tf.float32, [4., 6.])
    values(tf.add(2.5, 1), tf.float32, 3.5)
    values(tf.subtract([1., 5.], [3, 4]), tf.float32, [-2., 1.])
    values(tf.multiply(2, 3), tf.int32, 6)
    values(tf.pow([1, 2], 2), tf.int32, [1, 4])
    values(tf.maximum([1., 5.], [3., 4.]), tf.float32, [3., 5.])
    values(tf.maximum(3, tf.constant([1., 5.])), tf.float32, [3., 5.])
    values(tf.minimum(np.ones(2), tf.constant([1., 0.])), tf.float32, [1., 0.])
    values(tf.math.squared_difference([1., 2.], [2., 3.]), tf.float32, [1., 1.])
    assert tf.greater([1., 2.], [2., 1.]).numpy().tolist() == [False, True]
    # the first argument sets the dtype: a float list after an int one does not fit
    with pytest.raises(TypeError):
        tf.maximum([1, 2], [1.5, 2.])
    with pytest.raises(TypeError):
        tf.equal([1, 2], [1.5, 2])
    # tf.add converts its second argument with a hint only: the op's dtype error
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.add([1, 2], [3.5, 4.]).numpy()


def test_clip_by_value_converts_like_tf(tf):
    values(tf.clip_by_value([-3., 0.5, 3.], -1.0, 2.0), tf.float32, [-1., .5, 2.])
    values(tf.clip_by_value([-3, 0, 3], -1, 2), tf.int32, [-1, 0, 2])
    values(tf.clip_by_value(np.ones(2) * 3, 0., 1.), tf.float64, [1., 1.])
    values(tf.clip_by_value(tf.constant([1., 2.]), [0., 1.5], 2.), tf.float32, [1., 2.])
    values(tf.clip_by_value(tf.constant([1., 2.]), 2., 1.), tf.float32, [2., 2.])  # min > max
    with pytest.raises(TypeError):
        tf.clip_by_value([-3, 0, 3], -1., 2.)


# -- 7. batch_jacobian of an unconnected source -------------------------------------------------

def test_batch_jacobian_unconnected_is_zeros(tf):
    x = tf.Variable(np.ones((2, 3), np.float32))
    u = tf.Variable(np.ones((2, 4), np.float32))
    c = tf.constant(np.ones((2, 3), np.float32))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with tf.GradientTape(persistent=True) as tape:
            y = x * 2
        for source, n in ((u, 4), (c, 3)):
            for mode in (tf.UnconnectedGradients.NONE, tf.UnconnectedGradients.ZERO):
                j = tape.batch_jacobian(y, source, unconnected_gradients=mode)
                assert j is not None and j.shape == (2, 3, n)
                values(j, tf.float32, np.zeros((2, 3, n)))
        values(tape.batch_jacobian(y, x), tf.float32, np.stack([2 * np.eye(3)] * 2))
        del tape


# -- 9. Dense.build then call ------------------------------------------------------------------

def test_dense_build_then_call_builds_once(tf):
    layer = tf.keras.layers.Dense(2)
    assert not layer.built
    layer.build((None, 3))
    assert layer.built
    layer(tf.ones((1, 3)))
    assert len(layer.weights) == 2 and len(layer.trainable_variables) == 2
    assert [w.shape for w in layer.weights] == [(3, 2), (2,)]
    with pytest.raises(ValueError):
        layer.build((None, 3))  # Keras: no new weights on a built layer


# -- 10. Dense initializers by name -------------------------------------------------------------

def test_dense_deterministic_initializers(tf):
    x = tf.constant([[1., 2., 3.]])
    for kernel, bias, expected in (
            ("ones", "zeros", [[6., 6., 6.]]), ("zeros", "ones", [[1., 1., 1.]]),
            ("Ones", "Zeros", [[6., 6., 6.]]), ("one", "zero", [[6., 6., 6.]]),
            ("identity", "zeros", [[1., 2., 3.]])):
        layer = tf.keras.layers.Dense(3, kernel_initializer=kernel, bias_initializer=bias)
        values(layer(x), tf.float32, expected)
    values(tf.keras.layers.Dense(2, kernel_initializer="identity")(x), tf.float32, [[1., 2.]])
    values(tf.keras.layers.Dense(2, kernel_initializer=tf.keras.initializers.Constant(0.5))(x),
           tf.float32, [[3., 3.]])


# (name, expected std, bound of |values|) for a (200, 300) kernel: fan_in 200, fan_out 300.
# Keras' formulas; TensorFlow's draws measured: std .0633 / .063 / .1003 / .0996 / .0707 /
# .0705 / .0502 / .0289 / .044 and max |v| .11 / .144 / .227 / .173 / .161 / .122 / - / .05 / .1.
_RANDOM_INITIALIZERS = [
    ("glorot_uniform", np.sqrt(6 / 500) / np.sqrt(3), np.sqrt(6 / 500)),
    ("glorot_normal", np.sqrt(2 / 500), 2 * np.sqrt(2 / 500) / .87962566103423978),
    ("he_normal", np.sqrt(2 / 200), 2 * np.sqrt(2 / 200) / .87962566103423978),
    ("he_uniform", np.sqrt(6 / 200) / np.sqrt(3), np.sqrt(6 / 200)),
    ("lecun_normal", np.sqrt(1 / 200), 2 * np.sqrt(1 / 200) / .87962566103423978),
    ("lecun_uniform", np.sqrt(3 / 200) / np.sqrt(3), np.sqrt(3 / 200)),
    ("random_normal", .05, None),
    ("random_uniform", .05 / np.sqrt(3), .05),
    ("truncated_normal", .05 * .87962566103423978, .1),
    ("GlorotUniform", np.sqrt(6 / 500) / np.sqrt(3), np.sqrt(6 / 500)),
]


@pytest.mark.parametrize("name,std,bound", _RANDOM_INITIALIZERS)
def test_random_initializer_statistics(tf, name, std, bound):
    tf.random.set_seed(1)
    w = tf.keras.initializers.get(name)((200, 300))
    assert w.shape == (200, 300) and w.dtype == tf.float32
    v = w.numpy()
    assert abs(v.mean()) < 0.1 * std
    assert abs(v.std() / std - 1) < 0.03, v.std()
    if bound is not None:
        assert np.abs(v).max() <= bound * (1 + 1e-6)
        assert np.abs(v).max() > 0.95 * bound
    layer = tf.keras.layers.Dense(5, kernel_initializer=name, bias_initializer=name)
    assert layer(tf.ones((1, 4))).shape == (1, 5)
    assert [w.shape for w in layer.weights] == [(4, 5), (5,)]


def test_orthogonal_initializer(tf):
    w = tf.keras.initializers.get("orthogonal")((4, 3)).numpy()
    np.testing.assert_allclose(w.T @ w, np.eye(3), atol=1e-5)
    w = tf.keras.initializers.get("orthogonal")((3, 5)).numpy()
    np.testing.assert_allclose(w @ w.T, np.eye(3), atol=1e-5)


def test_unknown_initializer_name(tf):
    with pytest.raises(ValueError, match="Could not interpret initializer identifier: foo"):
        tf.keras.layers.Dense(2, kernel_initializer="foo")
    assert tf.keras.initializers.get(None) is None


# -- 11. a failed assign does not poison the variable -------------------------------------------

def test_variable_usable_after_failed_assign(tf):
    v = tf.Variable([1., 2.])
    with pytest.raises(ValueError):
        v.assign(tf.constant([1., 2., 3.]) * 2)
        v.numpy()
    values(v + 1, tf.float32, [2., 3.])
    # an assign that never ran (the op computing its value failed)
    with pytest.raises(tf.errors.InvalidArgumentError):
        bad = tf.constant([1., 2., 3.]) + tf.constant([1., 2., 3., 4.])
        v.assign(bad)
        v.numpy()
    values(v, tf.float32, [1., 2.])
    v.assign_add([1., 1.])
    values(v * 2, tf.float32, [4., 6.])


def test_gradd_assign_failing_on_the_server_keeps_the_value(tf):
    v = tf.Variable([1., 2.])
    value = tf.constant([1., 2., 3.]) * 2
    value._shape = None  # a value whose shape the client cannot know: the server refuses it
    v.assign(value)
    with pytest.raises(tf.InvalidArgumentError, match="assign"):
        v.numpy()
    values(v, tf.float32, [1., 2.])
    values(v + 1, tf.float32, [2., 3.])


# -- 12. a second gradient on a non-persistent tape ---------------------------------------------

def test_second_gradient_raises_runtime_error(tf):
    x = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = x ** 3
    values(tape.gradient(y, x), tf.float32, 12.)
    with pytest.raises(RuntimeError, match="non-persistent GradientTape"):
        tape.gradient(y, x)
    with pytest.raises(RuntimeError):
        tape.jacobian(y, x)
    with tf.GradientTape() as tape:
        y = x * tf.ones((2, 3))
        tape.gradient(y, x)
        with pytest.raises(RuntimeError):
            tape.batch_jacobian(y, x)


def test_gradd_second_gradient_error_is_also_failed_precondition(tf):
    x = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = x * x
    tape.gradient(y, x)
    with pytest.raises(tf.FailedPreconditionError) as info:
        tape.gradient(y, x)
    assert isinstance(info.value, RuntimeError) and info.value.lineno is not None


# -- 13. convert_to_tensor(variable) reads it ---------------------------------------------------

def test_convert_to_tensor_reads_a_variable(tf):
    v = tf.Variable([1., 2.])
    t = tf.convert_to_tensor(v)
    v.assign([5., 6.])
    assert isinstance(t, tf.Tensor) and tf.is_tensor(t)
    values(t, tf.float32, [1., 2.])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.convert_to_tensor(v) ** 2)
    values(tape.gradient(y, v), tf.float32, [10., 12.])
    with pytest.raises(ValueError):
        tf.convert_to_tensor(v, dtype=tf.int32)


# -- 14. TensorShape slices ---------------------------------------------------------------------

def test_tensorshape_slice_is_a_tensorshape(tf):
    s = tf.zeros((2, 3, 4)).shape
    assert s[1:].as_list() == [3, 4] and repr(s[1:]) == "TensorShape([3, 4])"
    assert str(s[1:]) == "(3, 4)" and s[1:] == (3, 4) and s[1:].rank == 2
    assert repr(s[::2]) == "TensorShape([2, 4])"
    assert s[0] == 2 and type(s[0]) is int and s[-1] == 4
    assert repr(s + (5,)) == "TensorShape([2, 3, 4, 5])"
    assert repr((1,) + s) == "TensorShape([1, 2, 3, 4])"
    with pytest.raises(IndexError):
        s[5]


# -- 15. UnconnectedGradients is an Enum --------------------------------------------------------

def test_unconnected_gradients_enum(tf):
    u = tf.UnconnectedGradients
    assert u.ZERO.value == "zero" and u.NONE.value == "none" and u.NONE.name == "NONE"
    assert str(u.ZERO) == "UnconnectedGradients.ZERO" and u("zero") is u.ZERO
    x, other = tf.Variable(2.0), tf.Variable(1.0)
    with tf.GradientTape(persistent=True) as tape:
        y = x * x
    values(tape.gradient(y, other, unconnected_gradients="zero"), tf.float32, 0.)
    values(tape.gradient(y, other, unconnected_gradients=u.ZERO), tf.float32, 0.)
    assert tape.gradient(y, other, unconnected_gradients="none") is None
    with pytest.raises(ValueError):
        tape.gradient(y, other, unconnected_gradients="bad")
    del tape


# -- 16. index out of range ---------------------------------------------------------------------

def test_index_out_of_range_is_invalid_argument(tf):
    x = tf.constant([1., 2., 3.])
    for index in (5, -4):
        with pytest.raises(tf.errors.InvalidArgumentError):
            x[index].numpy()
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.constant([[1., 2., 3.]])[0, 3].numpy()
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.constant([[1., 2., 3.]])[0, 0, 0].numpy()
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.Variable([1., 2.])[2].numpy()
    values(x[-3], tf.float32, 1.)
    values(x[1:9], tf.float32, [2., 3.])


# -- 17. Python values that do not fit the tensor's dtype ---------------------------------------

def test_python_value_that_does_not_fit_is_type_error(tf):
    i32 = tf.constant([1, 2, 3])
    b = tf.constant([True, False])
    for f in (lambda: i32 * 2.5, lambda: i32 ** 0.5, lambda: 2.5 * i32, lambda: i32 - [1.5, 2., 3.],
              lambda: i32 < 1.5, lambda: i32 == 1.5, lambda: b == 1, lambda: b != [1, 0],
              lambda: 1 == b, lambda: tf.multiply(i32, 2.5), lambda: i32 * 2.0):
        with pytest.raises(TypeError):
            f()
    values(i32 + True, tf.int32, [2, 3, 4])
    values(tf.constant([1., 2.]) + True, tf.float32, [2., 3.])
    values(tf.constant([1., 2.]) * [True, False], tf.float32, [1., 0.])
    assert (b == True).numpy().tolist() == [True, False]  # noqa: E712
    # `+` converts with a hint only (TensorFlow's add): the op's dtype error
    with pytest.raises(tf.errors.InvalidArgumentError):
        (i32 + 2.5).numpy()


def test_equal_with_incompatible_shapes_is_false(tf):
    x = tf.constant([1., 2.])
    assert (x == [1., 2., 3.]).numpy().tolist() is False
    assert (x != [1., 2., 3.]).numpy().tolist() is True
    assert (x == None) is False  # noqa: E711


# -- 18. assign of another shape ----------------------------------------------------------------

def test_assign_shape_errors(tf):
    v = tf.Variable([1., 2.])
    for value in (lambda: tf.constant([1., 2., 3.]) * 2, lambda: [[1., 2.]], lambda: 3.):
        with pytest.raises(ValueError):
            v.assign(value())
            v.numpy()
    with pytest.raises(tf.errors.InvalidArgumentError):
        v.assign_add(1.0)
        v.numpy()
    with pytest.raises(tf.errors.InvalidArgumentError):
        v.assign_add([1., 2., 3.])
        v.numpy()
    with pytest.raises(tf.errors.InvalidArgumentError):
        v.assign_sub(tf.constant([1., 2., 3.]) * 2)
        v.numpy()
    values(v, tf.float32, [1., 2.])


# -- 19. batch_jacobian shape checks ------------------------------------------------------------

def test_batch_jacobian_shape_checks(tf):
    x = tf.Variable([1., 2.])
    with tf.GradientTape() as tape:
        y = x * 2
    with pytest.raises(ValueError, match="Shape \\(2,\\) must have rank at least 2"):
        tape.batch_jacobian(y, x)
    a = tf.Variable(np.ones((2, 3), np.float32))
    b = tf.Variable(np.ones((3, 3), np.float32))
    with tf.GradientTape() as tape:
        y = a * 2
    with pytest.raises(ValueError, match="Need first dimension of target shape"):
        tape.batch_jacobian(y, b)


# -- 20. Dense input checks ---------------------------------------------------------------------

def test_dense_input_checks(tf):
    layer = tf.keras.layers.Dense(2)
    with pytest.raises(ValueError, match="expected min_ndim=2, found ndim=1"):
        layer(tf.constant([1., 2., 3.]))
    assert not layer.built and len(layer.weights) == 0
    with pytest.raises(ValueError, match="found ndim=0"):
        tf.keras.layers.Dense(2)(tf.constant(1.))
    layer = tf.keras.layers.Dense(2)
    layer(tf.ones((1, 3)))
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 3"):
        layer(tf.constant([[1., 2.]]))
    assert layer(tf.ones((2, 4, 3))).shape == (2, 4, 2)
    layer = tf.keras.layers.Dense(2)
    layer.build((None, 3))
    with pytest.raises(ValueError, match="expected axis -1"):
        layer(tf.ones((1, 2)))


# -- 8. a tape entered again records on top of what it recorded --------------------------------

def test_reentered_tape_continues_until_used(tf):
    x = tf.Variable(2.0)
    tape = tf.GradientTape(persistent=True)
    with tape:
        y = x * 3
    with tape:
        z = x * 5
    values(tape.gradient(y, x), tf.float32, 3.0)
    values(tape.gradient(z, x), tf.float32, 5.0)
    # A non-persistent tape used once starts afresh when entered again.
    t2 = tf.GradientTape()
    with t2:
        a = x * 3
    values(t2.gradient(a, x), tf.float32, 3.0)
    with t2:
        b = x * 7
    values(t2.gradient(b, x), tf.float32, 7.0)
    with pytest.raises(ValueError):
        with tape:
            with tape:
                pass
