"""Snippets: variables. Each is a function of `tf`, run once with TensorFlow and
once with gradd (see __main__.py)."""
from snip_common import *  # noqa: F401,F403


# Variables

@case
def var_basics(tf):
    v = tf.Variable([1., 2.], name='v')
    return v.name, v.trainable, v.shape, v.dtype.name, v.numpy(), str(v.shape)


@case
def var_trainable_flag(tf):
    return (tf.Variable(1.0, trainable=False).trainable, tf.Variable(1.0).trainable,
            tf.Variable(1).trainable, tf.Variable(1).dtype.name)


@case
def var_dtype_arg(tf):
    return tf.Variable(1, dtype=tf.float32), tf.Variable([1., 2.], dtype=tf.float64)


@case
def var_from_numpy_f64(tf):
    return tf.Variable(np.ones(2))


@case
def var_from_tensor_result(tf):
    x = tf.constant([1., 2.]) * 3
    return tf.Variable(x)


@case
def var_from_variable(tf):
    a = tf.Variable([1., 2.])
    b = tf.Variable(a)
    a.assign([5., 6.])
    return b


@case
def var_from_callable(tf):
    return tf.Variable(lambda: tf.ones(2))


@case
def var_assign_returns(tf):
    v = tf.Variable([1., 2.], name='v')
    r1 = v.assign([3., 4.])
    r2 = v.assign_add([1., 1.])
    r3 = v.assign_sub([0.5, 0.5])
    return NoRepr(r1), NoRepr(r2), NoRepr(r3), v


@case
def var_assign_return_repr(tf):
    v = tf.Variable([1., 2.], name='v')
    return repr(v.assign([3., 4.]))


@case
def var_assign_chain(tf):
    v = tf.Variable(1.0)
    v.assign(2.0).assign_add(3.0)
    return v


@case
def var_assign_tensor(tf):
    v = tf.Variable([1., 2.])
    v.assign(tf.constant([3., 4.]) * 2)
    v.assign_add(v * 0.5)
    return v, v.numpy()


@case
def var_assign_sub_gradient(tf):
    v = tf.Variable([1., 2.])
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(v ** 2)
    g = tape.gradient(loss, v)
    v.assign_sub(0.1 * g)
    return v.numpy(), v


@case
def var_assign_shape_mismatch_local(tf):
    v = tf.Variable([1., 2.])
    v.assign([1., 2., 3.])
    return v


@case
def var_assign_shape_mismatch_remote(tf):
    v = tf.Variable([1., 2.])
    v.assign(tf.constant([1., 2., 3.]) * 2)
    return v


@case
def var_usable_after_failed_assign(tf):
    v = tf.Variable([1., 2.])
    try:
        v.assign(tf.constant([1., 2., 3.]) * 2)
        v.numpy()
    except Exception:
        pass
    return v + 1


@case
def var_usable_after_failed_assign_local(tf):
    v = tf.Variable([1., 2.])
    try:
        v.assign([1., 2., 3.])
    except Exception:
        pass
    return v + 1


@case
def var_assign_add_scalar_broadcast(tf):
    v = tf.Variable([1., 2.])
    v.assign_add(1.0)
    return v


@case
def var_assign_dtype_mismatch(tf):
    v = tf.Variable([1., 2.])
    v.assign(tf.constant([1, 2]))
    return v


@case
def var_assign_int_list_to_float(tf):
    v = tf.Variable([1., 2.])
    v.assign([3, 4])
    return v


@case
def var_assign_float_to_int_var(tf):
    v = tf.Variable([1, 2])
    v.assign([1.5, 2.5])
    return v


@case
def var_value_read_value(tf):
    v = tf.Variable([1., 2.])
    return v.value(), v.read_value()


@case
def var_in_tape_assign(tf):
    v = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = v * v
        v.assign(10.0)
        z = y + v
    return tape.gradient(z, v), z


@case
def var_created_inside_tape(tf):
    with tf.GradientTape() as tape:
        v = tf.Variable(3.0)
        y = v ** 2
    return tape.gradient(y, v)


@case
def var_int_variable_gradient(tf):
    v = tf.Variable(3)
    with tf.GradientTape() as tape:
        y = v * 2
    return tape.gradient(y, v)


@case
def var_name_and_dedup(tf):
    a = tf.Variable(1.0, name='same')
    b = tf.Variable(2.0, name='same')
    return a.name, b.name
