"""Snippets: GradientTape. Each is a function of `tf`, run once with TensorFlow and
once with gradd (see __main__.py)."""
from snip_common import *  # noqa: F401,F403


# GradientTape

@case
def tape_persistent_twice(tf):
    x = tf.Variable(2.0)
    with tf.GradientTape(persistent=True) as tape:
        y = x ** 3
        z = x ** 2
    return tape.gradient(y, x), tape.gradient(z, x), tape.gradient(y, x)


@case
def tape_nonpersistent_twice(tf):
    x = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = x ** 3
    tape.gradient(y, x)
    return tape.gradient(y, x)


@case
def tape_nonpersistent_jacobian_after_gradient(tf):
    x = tf.Variable([2.0, 3.0])
    with tf.GradientTape() as tape:
        y = x ** 3
    tape.gradient(y, x)
    return tape.jacobian(y, x)


@case
def tape_gradient_inside_with(tf):
    x = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = x ** 3
        g = tape.gradient(y, x)
        z = y * 2  # no longer recorded
    return g, z


@case
def tape_gradient_inside_with_persistent(tf):
    x = tf.Variable(2.0)
    with tf.GradientTape(persistent=True) as tape:
        y = x ** 3
        g = tape.gradient(y, x)
        z = y * 2
    return g, tape.gradient(z, x)


@case
def tape_watch_accessed_false_no_watch(tf):
    x = tf.Variable(3.0)
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        y = x ** 2
    return tape.gradient(y, x), tape.watched_variables()


@case
def tape_watch_list(tf):
    a = tf.constant(1.0)
    b = tf.constant(2.0)
    with tf.GradientTape() as tape:
        tape.watch([a, b])
        y = a * b * b
    return tape.gradient(y, [a, b])


@case
def tape_watch_nested(tf):
    a = tf.constant(1.0)
    b = tf.constant(2.0)
    with tf.GradientTape() as tape:
        tape.watch({'a': a, 'rest': (b,)})
        y = a + b * 3
    return tape.gradient(y, {'a': a, 'b': b})


@case
def tape_watch_python_float(tf):
    with tf.GradientTape() as tape:
        tape.watch(3.0)
    return None


@case
def tape_watch_python_list_values(tf):
    with tf.GradientTape() as tape:
        tape.watch([1.0, 2.0])
    return None


@case
def tape_watch_int_tensor(tf):
    x = tf.constant(3)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    return tape.gradient(y, x)


@case
def tape_watch_int_tensor_cast(tf):
    x = tf.constant(3)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.cast(x, tf.float32) ** 2
    return tape.gradient(y, x)


@case
def tape_float_through_int(tf):
    x = tf.Variable(3.0)
    with tf.GradientTape() as tape:
        y = tf.cast(tf.cast(x, tf.int32), tf.float32) * x
    return tape.gradient(y, x)


@case
def tape_sources_structures(tf):
    a = tf.Variable(1.0)
    b = tf.Variable([1., 2.])
    c = tf.Variable([[3.]])
    with tf.GradientTape(persistent=True) as tape:
        y = a * tf.reduce_sum(b) + tf.reduce_sum(c) * 2
    return (tape.gradient(y, [a, b]), tape.gradient(y, (a, b)), tape.gradient(y, {'a': a, 'c': c}),
            tape.gradient(y, [a, [b, (c,)]]), tape.gradient(y, {'x': [a, b], 'y': {'z': c}}))


@case
def tape_sources_tuple_type(tf):
    a = tf.Variable(1.0)
    with tf.GradientTape() as tape:
        y = a * 2
    g = tape.gradient(y, (a,))
    return type(g).__name__


@case
def tape_targets_list(tf):
    x = tf.Variable([1., 2.])
    with tf.GradientTape() as tape:
        y1 = x ** 2
        y2 = tf.reduce_sum(x) * 3
    return tape.gradient([y1, y2], x)


@case
def tape_targets_dict(tf):
    x = tf.Variable([1., 2.])
    with tf.GradientTape() as tape:
        y1 = x ** 2
        y2 = tf.reduce_sum(x) * 3
    return tape.gradient({'a': y1, 'b': y2}, x)


@case
def tape_output_gradients(tf):
    x = tf.Variable([1., 2., 3.])
    with tf.GradientTape() as tape:
        y = x ** 2
    return tape.gradient(y, x, output_gradients=tf.constant([1., 0.5, -1.]))


@case
def tape_output_gradients_list(tf):
    x = tf.Variable([1., 2., 3.])
    with tf.GradientTape() as tape:
        y = x ** 2
        z = tf.reduce_sum(x)
    return tape.gradient([y, z], x, output_gradients=[[1., 0.5, -1.], 2.0])


@case
def tape_output_gradients_python_list(tf):
    x = tf.Variable([1., 2., 3.])
    with tf.GradientTape() as tape:
        y = x ** 2
    return tape.gradient(y, x, output_gradients=[1., 0.5, -1.])


@case
def tape_output_gradients_bad_shape(tf):
    x = tf.Variable([1., 2., 3.])
    with tf.GradientTape() as tape:
        y = x ** 2
    return tape.gradient(y, x, output_gradients=tf.constant([1., 2.]))


@case
def tape_unconnected_enum_zero(tf):
    x = tf.Variable([1., 2.])
    u = tf.Variable([[1., 2.]])
    i = tf.Variable(3)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(x ** 2)
    return tape.gradient(y, [x, u, i], unconnected_gradients=tf.UnconnectedGradients.ZERO)


@case
def tape_unconnected_enum_none(tf):
    x = tf.Variable([1., 2.])
    u = tf.Variable([[1., 2.]])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(x ** 2)
    return tape.gradient(y, [x, u], unconnected_gradients=tf.UnconnectedGradients.NONE)


@case
def tape_unconnected_string_zero(tf):
    x = tf.Variable([1., 2.])
    u = tf.Variable([[1., 2.]])
    c = tf.constant(5.0)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(x ** 2)
    return tape.gradient(y, [x, u, c], unconnected_gradients='zero')


@case
def tape_unconnected_string_none(tf):
    x = tf.Variable([1., 2.])
    u = tf.Variable([[1., 2.]])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(x ** 2)
    return tape.gradient(y, [x, u], unconnected_gradients='none')


@case
def tape_unconnected_bad_string(tf):
    x = tf.Variable([1., 2.])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(x ** 2)
    return tape.gradient(y, x, unconnected_gradients='zeros')


@case
def tape_unconnected_enum_values(tf):
    return (tf.UnconnectedGradients.ZERO.value, tf.UnconnectedGradients.NONE.value)


@case
def tape_unconnected_zero_int_target(tf):
    x = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = tf.cast(x, tf.int32) * 2
    return tape.gradient(y, x, unconnected_gradients='zero')


@case
def tape_jacobian(tf):
    x = tf.Variable([1., 2., 3.])
    with tf.GradientTape() as tape:
        y = x ** 2 * tf.reduce_sum(x)
    return tape.jacobian(y, x)


@case
def tape_jacobian_matrix(tf):
    w = tf.Variable(W_SEED)
    x = tf.constant([[1., 2., 3.], [0.5, 0.1, -1.]])
    with tf.GradientTape() as tape:
        y = tf.nn.sigmoid(x @ w)
    return tape.jacobian(y, w)


@case
def tape_jacobian_list_sources(tf):
    a = tf.Variable([1., 2.])
    b = tf.Variable(3.0)
    c = tf.Variable([0., 0.])
    with tf.GradientTape(persistent=True) as tape:
        y = a * b
    return (tape.jacobian(y, [a, b, c]),
            tape.jacobian(y, {'c': c}, unconnected_gradients=tf.UnconnectedGradients.ZERO),
            tape.jacobian(y, c, unconnected_gradients='zero'))


@case
def tape_jacobian_no_pfor(tf):
    x = tf.Variable([1., 2.])
    with tf.GradientTape() as tape:
        y = tf.exp(x)
    return tape.jacobian(y, x, experimental_use_pfor=False)


@case
def tape_jacobian_scalar_target(tf):
    x = tf.Variable([1., 2.])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(x ** 2)
    return tape.jacobian(y, x)


@case
def tape_hessian(tf):
    x = tf.Variable([1., 2.])
    with tf.GradientTape() as t2:
        with tf.GradientTape() as t1:
            y = x[0] ** 2 * x[1] ** 3
        g = t1.gradient(y, x)
    return g, t2.jacobian(g, x)


@case
def tape_batch_jacobian(tf):
    x = tf.Variable(A32)
    w = tf.constant(B32)
    with tf.GradientTape() as tape:
        y = tf.tanh(x @ w)
    return tape.batch_jacobian(y, x)


@case
def tape_batch_jacobian_constant_watched(tf):
    x = tf.constant(A32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x ** 2
    return tape.batch_jacobian(y, x)


@case
def tape_batch_jacobian_unconnected_zero(tf):
    x = tf.Variable(A32)
    u = tf.Variable(A32)
    with tf.GradientTape() as tape:
        y = x * 2
    return tape.batch_jacobian(y, u, unconnected_gradients='zero')


@case
def tape_batch_jacobian_unconnected_none(tf):
    x = tf.Variable(A32)
    u = tf.Variable(A32)
    with tf.GradientTape() as tape:
        y = x * 2
    return tape.batch_jacobian(y, u)


@case
def tape_batch_jacobian_rank1(tf):
    x = tf.Variable([1., 2.])
    with tf.GradientTape() as tape:
        y = x * 2
    return tape.batch_jacobian(y, x)
