"""Snippets: GradientTape, continued. Each is a function of `tf`, run once with TensorFlow and
once with gradd (see __main__.py)."""
from snip_common import *  # noqa: F401,F403


@case
def tape_stop_recording(tf):
    x = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = x ** 2
        with tape.stop_recording():
            z = x ** 3
        w = y + z
    return tape.gradient(w, x), tape_stop_recording_z(tf, x)


def tape_stop_recording_z(tf, x):
    with tf.GradientTape() as tape:
        with tape.stop_recording():
            z = x ** 3
    return tape.gradient(z, x)


@case
def tape_reset(tf):
    x = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = x ** 2
        tape.reset()
        z = x ** 3
    return tape.gradient(z, x), None


@case
def tape_reset_then_old_target(tf):
    x = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = x ** 2
        tape.reset()
    return tape.gradient(y, x)


@case
def tape_reset_persistent(tf):
    x = tf.Variable(2.0)
    with tf.GradientTape(persistent=True) as tape:
        y = x ** 2
    g1 = tape.gradient(y, x)
    tape.reset()
    with tape:
        z = x ** 4
    return g1, tape.gradient(z, x)


@case
def tape_watched_variables(tf):
    a = tf.Variable(1.0, name='a')
    b = tf.Variable(2.0, name='b')
    c = tf.Variable(3.0, name='c', trainable=False)
    d = tf.Variable(4.0, name='d')
    with tf.GradientTape() as tape:
        y = b * a + c
        tape.watch(c)
    wv = tape.watched_variables()
    return type(wv).__name__, [v.name for v in wv], [v.numpy() for v in wv], d.name


@case
def tape_watched_variables_wav_false(tf):
    a = tf.Variable(1.0, name='a')
    b = tf.Variable(2.0, name='b')
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(b)
        y = a * b
    return [v.name for v in tape.watched_variables()]


@case
def tape_watched_variables_identity(tf):
    a = tf.Variable(1.0, name='a')
    with tf.GradientTape() as tape:
        y = a * 2
    wv = tape.watched_variables()
    return wv[0] is a


@case
def tape_nested_second_order(tf):
    x = tf.Variable(3.0)
    with tf.GradientTape() as t2:
        with tf.GradientTape() as t1:
            y = x ** 3
        dy = t1.gradient(y, x)
    d2y = t2.gradient(dy, x)
    return dy, d2y


@case
def tape_nested_third_order(tf):
    x = tf.constant(1.5)
    with tf.GradientTape() as t3:
        t3.watch(x)
        with tf.GradientTape() as t2:
            t2.watch(x)
            with tf.GradientTape() as t1:
                t1.watch(x)
                y = tf.sin(x) * x ** 2
            d1 = t1.gradient(y, x)
        d2 = t2.gradient(d1, x)
    d3 = t3.gradient(d2, x)
    return d1, d2, d3


@case
def tape_nested_both_entered_one_with(tf):
    x = tf.Variable(2.0)
    with tf.GradientTape() as t1, tf.GradientTape() as t2:
        y = x ** 2
    return t1.gradient(y, x), t2.gradient(y, x)


@case
def tape_nested_inner_not_seen_by_outer_after_exit(tf):
    x = tf.Variable(2.0)
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            y = x * x
        g = inner.gradient(y, x)
    return outer.gradient(g, x), outer_gradient_of_y(tf)


def outer_gradient_of_y(tf):
    x = tf.Variable(2.0)
    with tf.GradientTape(persistent=True) as outer:
        with tf.GradientTape() as inner:
            y = x * x
        z = y + x
    return outer.gradient(z, x), outer.gradient(y, x)


@case
def tape_hvp(tf):
    x = tf.Variable([1., 2.])
    v = tf.constant([1., -1.])
    with tf.GradientTape() as t2:
        with tf.GradientTape() as t1:
            y = tf.reduce_sum(x ** 3)
        g = t1.gradient(y, x)
        gv = tf.reduce_sum(g * v)
    return t2.gradient(gv, x)


@case
def tape_stop_gradient(tf):
    x = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = tf.stop_gradient(x ** 2) * x
    return tape.gradient(y, x)


@case
def tape_stop_gradient_only_path(tf):
    x = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = tf.stop_gradient(x) ** 2
    return tape.gradient(y, x), tape_stop_gradient_zero(tf)


def tape_stop_gradient_zero(tf):
    x = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = tf.stop_gradient(x) ** 2
    return tape.gradient(y, x, unconnected_gradients='zero')


@case
def tape_target_is_source(tf):
    x = tf.constant(2.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
    return tape.gradient(x, x)


@case
def tape_target_is_variable(tf):
    v = tf.Variable([1., 2.])
    with tf.GradientTape() as tape:
        pass
    return tape.gradient(v, v)


@case
def tape_target_not_on_tape(tf):
    x = tf.Variable(2.0)
    y = x * 3
    with tf.GradientTape() as tape:
        z = y * 2
    return tape.gradient(z, x)


@case
def tape_watch_after_use(tf):
    x = tf.constant(3.0)
    with tf.GradientTape() as tape:
        y = x ** 2
        tape.watch(x)
    return tape.gradient(y, x)


@case
def tape_source_python_float(tf):
    x = tf.Variable(1.0)
    with tf.GradientTape() as tape:
        y = x * 2
    return tape.gradient(y, 3.0)


@case
def tape_target_python_float(tf):
    x = tf.Variable(1.0)
    with tf.GradientTape() as tape:
        y = x * 2
    return tape.gradient(3.0, x)


@case
def tape_source_none(tf):
    x = tf.Variable(1.0)
    with tf.GradientTape() as tape:
        y = x * 2
    return tape.gradient(y, [x, None])


@case
def tape_gradient_never_entered(tf):
    tape = tf.GradientTape()
    return tape.gradient(tf.constant(1.0), tf.constant(1.0))


@case
def tape_reenter_nonpersistent(tf):
    x = tf.Variable(2.0)
    tape = tf.GradientTape()
    with tape:
        y = x * 3
    with tape:
        z = x * 5
    return tape.gradient(z, x)


@case
def tape_reenter_persistent_accumulates(tf):
    x = tf.Variable(2.0)
    tape = tf.GradientTape(persistent=True)
    with tape:
        y = x * 3
    with tape:
        z = x * 5
    return tape.gradient(y, x), tape.gradient(z, x)


@case
def tape_gradient_integer_target(tf):
    x = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = tf.cast(x, tf.int32)
    return tape.gradient(y, x)


@case
def tape_control_flow(tf):
    x = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = x
        for _ in range(3):
            if y < 10:
                y = y * x
    return y, tape.gradient(y, x)


@case
def tape_python_loop_accumulate(tf):
    w = tf.Variable([0.5, -0.5])
    data = [[1., 2.], [3., 4.], [-1., 0.5]]
    with tf.GradientTape() as tape:
        total = 0.0
        for row in data:
            total += tf.reduce_sum(w * row) ** 2
    return total, tape.gradient(total, w)


@case
def tape_constant_not_watched_explicit_variable(tf):
    x = tf.constant([1., 2.])
    w = tf.Variable(3.0)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(x * w)
    return tape.gradient(y, [x, w])


@case
def tape_gradient_of_assign(tf):
    v = tf.Variable(1.0)
    u = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        v.assign(u * 3)
        y = v * 2
    return tape.gradient(y, [v, u])


@case
def tape_deleted_and_watch_after(tf):
    x = tf.constant(1.0)
    tape = tf.GradientTape()
    with tape:
        pass
    tape.watch(x)
    return tape.gradient(x * 2, x)


@case
def tape_unwatched_variable_wav_false_zero(tf):
    x = tf.Variable([1., 2.])
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        y = x * 2
    return tape.gradient(y, x, unconnected_gradients='zero')


@case
def tape_float64_sources(tf):
    x = tf.Variable(np.array([1., 2.]))
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.exp(x) * x)
    return tape.gradient(y, x)


@case
def tape_mixed_dtype_cast_gradient(tf):
    x = tf.Variable([1., 2.])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.cast(x, tf.float64) ** 2)
    return tape.gradient(y, x)
