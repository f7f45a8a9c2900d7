"""Snippets: errors, numpy values next to tensors, errors inside tapes, misc. Each is a function of `tf`, run once with TensorFlow and
once with gradd (see __main__.py)."""
from snip_common import *  # noqa: F401,F403


# Errors

@case
def err_log_negative_is_nan(tf):
    return tf.math.log(tf.constant([-1.0, 0.0]))


@case
def err_unknown_dtype(tf):
    return tf.constant([1, 2], dtype='complex64')


@case
def err_concat_mismatch(tf):
    return tf.concat([tf.constant([[1., 2.]]), tf.constant([[1., 2., 3.]])], axis=0)


@case
def err_transpose_bad_perm(tf):
    return tf.transpose(tf.constant(A32), perm=[0, 0])


@case
def err_error_classes_exist(tf):
    return (issubclass(tf.errors.InvalidArgumentError, tf.errors.OpError),
            issubclass(tf.errors.NotFoundError, tf.errors.OpError),
            tf.errors.FailedPreconditionError.__name__)


@case
def err_catch_invalid_argument(tf):
    try:
        tf.matmul(tf.constant(A32), tf.constant(A32)).numpy()
    except tf.errors.InvalidArgumentError:
        return 'caught'
    return 'not raised'


@case
def err_session_usable_after_error(tf):
    try:
        (tf.constant([1., 2.]) + tf.constant([1., 2., 3.])).numpy()
    except Exception:
        pass
    return tf.constant([1., 2.]) * 2



# More: numpy values next to tensors, errors inside tapes, misc

@case
def np_matmul_f64_right(tf):
    return tf.constant([[1., 2.]]) @ np.ones((2, 1))


@case
def np_variable_times_np_f64_scalar(tf):
    return tf.Variable([1., 2.]) * np.float64(0.5)


@case
def np_divide_by_np_sqrt(tf):
    return tf.reduce_sum(tf.constant([1., 2.])) / np.sqrt(2.0)


@case
def np_f64_scalar_in_tape(tf):
    w = tf.Variable([1., 2.])
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(w ** 2) * np.mean([0.5, 1.5])
    return tape.gradient(loss, w)


@case
def op_bool_eq_int(tf):
    return tf.constant([True, False]) == 1


@case
def op_where_scalar_branch(tf):
    x = tf.constant([1., -1.])
    return tf.where(x > 0, x, 0.)


@case
def op_stack_python_scalars(tf):
    return tf.stack([1., 2.]), tf.concat([[1.], [2., 3.]], 0)


@case
def shape_slice_as_list(tf):
    return tf.constant(np.zeros((2, 3, 4), dtype=np.float32)).shape[1:].as_list()


@case
def print_variables_f64_int64(tf):
    print(tf.Variable(A64, name='d'))
    print(tf.Variable(np.array([1, 2], dtype=np.int64), name='i'))
    return None


@case
def print_watched_variables(tf):
    a = tf.Variable(1.0, name='a')
    with tf.GradientTape() as tape:
        y = a * 2
    print(tape.watched_variables())
    return None


@case
def tape_error_caught_inside(tf):
    x = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = x * x
        try:
            (tf.constant([1., 2.]) + tf.constant([1., 2., 3.])).numpy()
        except Exception:
            pass
        z = y * x
    return tape.gradient(z, x)


@case
def err_deferred_try_except(tf):
    # TF raises at the op; gradd when the batch runs (documented), here at y.numpy()
    x = tf.Variable(2.0)
    try:
        bad = tf.constant([1., 2.]) + tf.constant([1., 2., 3.])  # noqa: F841
    except tf.errors.InvalidArgumentError:
        pass
    y = x * 2
    return y.numpy()


@case
def tape_duplicate_sources(tf):
    x = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = x ** 2
    return tape.gradient(y, [x, x])


@case
def tape_trainable_weights(tf):
    layer = _fixed_dense(tf, 2)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(layer(tf.constant([[1., 2., 3.]])))
    return tape.gradient(y, layer.trainable_weights)


@case
def dense_on_variable_input(tf):
    layer = _fixed_dense(tf, 2)
    x = tf.Variable([[1., 2., 3.]])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(layer(x))
    return y, tape.gradient(y, x)


@case
def tape_batch_jacobian_untracked_constant(tf):
    x = tf.Variable(A32)
    c = tf.constant(A32)
    with tf.GradientTape() as tape:
        y = x * 2
    return tape.batch_jacobian(y, c)


@case
def tape_output_gradients_nested_list_2d(tf):
    x = tf.Variable(A32)
    with tf.GradientTape() as tape:
        y = x * 2
    return tape.gradient(y, x, output_gradients=[[1., 2., 3.], [4., 5., 6.]])


@case
def tape_output_gradients_numpy(tf):
    x = tf.Variable(A32)
    with tf.GradientTape() as tape:
        y = x * 2
    return tape.gradient(y, x, output_gradients=np.ones((2, 3), dtype=np.float32) * 3)


@case
def tape_second_gradient_caught_runtimeerror(tf):
    x = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = x ** 3
    tape.gradient(y, x)
    try:
        tape.gradient(y, x)
    except RuntimeError:
        return 'RuntimeError caught'
    return 'no RuntimeError'
