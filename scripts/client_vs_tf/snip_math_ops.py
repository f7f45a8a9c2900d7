"""Snippets: math ops, forward and gradient, float32 and float64. Each is a function of `tf`, run once with TensorFlow and
once with gradd (see __main__.py)."""
from snip_common import *  # noqa: F401,F403


# Math ops, forward and gradient, float32 and float64

_UNARY = [
    ('square', lambda tf: tf.square, A32), ('sqrt', lambda tf: tf.sqrt, POS),
    ('exp', lambda tf: tf.exp, A32), ('log', lambda tf: tf.math.log, POS),
    ('log1p', lambda tf: tf.math.log1p, POS), ('abs', lambda tf: tf.abs, A32),
    ('sin', lambda tf: tf.sin, A32), ('cos', lambda tf: tf.cos, A32),
    ('tanh', lambda tf: tf.tanh, A32), ('sigmoid', lambda tf: tf.sigmoid, A32),
    ('negative', lambda tf: tf.negative, A32), ('reciprocal', lambda tf: tf.math.reciprocal, POS),
    ('rsqrt', lambda tf: tf.math.rsqrt, POS), ('softplus', lambda tf: tf.math.softplus, A32),
    ('nn_relu', lambda tf: tf.nn.relu, A32), ('nn_elu', lambda tf: tf.nn.elu, A32),
    ('nn_leaky_relu', lambda tf: tf.nn.leaky_relu, A32),
    ('nn_leaky_relu_alpha', lambda tf: (lambda x: tf.nn.leaky_relu(x, alpha=0.1)), A32),
    ('nn_sigmoid', lambda tf: tf.nn.sigmoid, A32), ('nn_tanh', lambda tf: tf.nn.tanh, A32),
    ('nn_softplus', lambda tf: tf.nn.softplus, A32), ('nn_softmax', lambda tf: tf.nn.softmax, A32),
    ('nn_log_softmax', lambda tf: tf.nn.log_softmax, A32),
    ('math_exp', lambda tf: tf.math.exp, A32), ('math_sqrt', lambda tf: tf.math.sqrt, POS),
    ('math_square', lambda tf: tf.math.square, A32), ('math_tanh', lambda tf: tf.math.tanh, A32),
    ('math_sigmoid', lambda tf: tf.math.sigmoid, A32), ('math_abs', lambda tf: tf.math.abs, A32),
    ('math_negative', lambda tf: tf.math.negative, A32), ('math_sin', lambda tf: tf.math.sin, A32),
    ('math_softmax', lambda tf: tf.math.softmax, A32),
    ('math_log_softmax', lambda tf: tf.math.log_softmax, A32),
    ('identity', lambda tf: tf.identity, A32),
    ('math_cumsum', lambda tf: tf.math.cumsum, A32), ('math_cumprod', lambda tf: tf.math.cumprod, A32),
    ('cumsum_exclusive_reverse', lambda tf: (lambda x: tf.cumsum(x, axis=1, exclusive=True, reverse=True)), A32),
    ('cumprod_last_exclusive', lambda tf: (lambda x: tf.math.cumprod(x, axis=-1, exclusive=True)), A32),
    ('clip', lambda tf: (lambda x: tf.clip_by_value(x, -1.0, 2.0)), A32),
    ('keras_relu', lambda tf: tf.keras.activations.relu, A32),
    ('keras_sigmoid', lambda tf: tf.keras.activations.sigmoid, A32),
    ('keras_get_tanh', lambda tf: tf.keras.activations.get('tanh'), A32),
    ('keras_softmax', lambda tf: tf.keras.activations.softmax, A32),
]

for _nm, _get, _val in _UNARY:
    for _dt in ('float32', 'float64'):
        def _mk(get=_get, val=_val, dt=_dt):
            def run(tf):
                x = tf.Variable(val.astype(dt))
                f = get(tf)
                with tf.GradientTape(persistent=True) as tape:
                    y = f(x)
                    s = tf.reduce_sum(y * np.arange(1, 7, dtype=dt).reshape(2, 3))
                return y, tape.gradient(s, x)
            return run
        CASES.append((f"unary_{_nm}_{_dt}", _mk()))
    if not _nm.startswith('keras_'):  # Keras 3 activations take tensors only
        CASES.append((f"unary_{_nm}_list_input",
                      (lambda get, val: lambda tf: get(tf)(val.tolist()))(_get, _val)))


_BIN = [
    ('add', lambda tf: tf.add), ('subtract', lambda tf: tf.subtract),
    ('multiply', lambda tf: tf.multiply), ('divide', lambda tf: tf.divide),
    ('truediv', lambda tf: tf.math.truediv), ('pow', lambda tf: tf.pow),
    ('maximum', lambda tf: tf.maximum), ('minimum', lambda tf: tf.minimum),
    ('squared_difference', lambda tf: tf.math.squared_difference),
    ('math_add', lambda tf: tf.math.add), ('math_multiply', lambda tf: tf.math.multiply),
    ('math_maximum', lambda tf: tf.math.maximum),
    ('divide_no_nan', lambda tf: tf.math.divide_no_nan),
]

for _nm, _get in _BIN:
    for _dt in ('float32', 'float64'):
        def _mk(get=_get, dt=_dt):
            def run(tf):
                a = tf.Variable(POS.astype(dt))
                b = tf.Variable(np.array([1.5, 0.5, 2.0], dtype=dt))
                with tf.GradientTape() as tape:
                    y = get(tf)(a, b)
                    s = tf.reduce_sum(y)
                return y, tape.gradient(s, [a, b])
            return run
        CASES.append((f"binary_{_nm}_{_dt}", _mk()))
    CASES.append((f"binary_{_nm}_python_scalar",
                  (lambda get: lambda tf: get(tf)(tf.constant(POS), 2.0))(_get)))
    CASES.append((f"binary_{_nm}_python_scalar_left",
                  (lambda get: lambda tf: get(tf)(2.0, tf.constant(POS)))(_get)))
    CASES.append((f"binary_{_nm}_lists",
                  (lambda get: lambda tf: get(tf)([1., 2.], [3., 4.]))(_get)))


@case
def math_compare_fns(tf):
    a = tf.constant(A32)
    return tf.greater(a, 0.0), tf.less(a, 1.0), tf.equal(a, 3.0), tf.math.greater(a, 0.0)


@case
def math_add_n(tf):
    return tf.add_n([tf.constant([1., 2.]), tf.constant([3., 4.]), tf.constant([5., 6.])])


@case
def math_where(tf):
    x = tf.constant(A32)
    return tf.where(x > 0, x, tf.zeros_like(x)), tf.where([True, False], [1., 2.], [3., 4.])


@case
def math_where_gradient(tf):
    x = tf.Variable(A32)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.where(x > 0, x * 2, x * 3))
    return tape.gradient(y, x)


@case
def math_argmax(tf):
    x = tf.constant(A32)
    return tf.argmax(x), tf.argmax(x, axis=1), tf.math.argmax(x, axis=-1), tf.argmax(x, 1, output_type=tf.int32)


@case
def math_one_hot(tf):
    return tf.one_hot([0, 2, 1], 3), tf.one_hot(tf.constant([1, 0]), depth=2, dtype=tf.float64)


@case
def math_one_hot_on_off(tf):
    return tf.one_hot([0, 2], 3, on_value=5.0, off_value=-1.0)


@case
def math_int_ops(tf):
    x = tf.constant([[1, 2], [3, 4]])
    return x @ x, tf.reduce_sum(x), tf.reduce_mean(x), tf.nn.relu(tf.constant([-1, 2])), tf.maximum(x, 2)


@case
def math_int_sqrt(tf):
    return tf.sqrt(tf.constant([4, 9]))


@case
def math_log_of_list_ints(tf):
    return tf.math.log([1, 2])


@case
def math_exp_python_float(tf):
    return tf.exp(1.0), tf.sqrt(4.0), tf.square(3)


# Reductions -------------------------------------------------------------------------------

for _rn in ('reduce_sum', 'reduce_mean', 'reduce_max', 'reduce_min', 'reduce_prod'):
    for _ax, _kd in [(None, False), (0, False), (1, True), (-1, False), ([0, 1], False),
                     ((0,), True), (None, True)]:
        def _mk(rn=_rn, ax=_ax, kd=_kd):
            def run(tf):
                x = tf.Variable(A32)
                with tf.GradientTape() as tape:
                    y = getattr(tf, rn)(x, axis=ax, keepdims=kd)
                    s = tf.reduce_sum(y * y)
                return y, tape.gradient(s, x)
            return run
        CASES.append((f"{_rn}_axis{_ax}_keep{_kd}".replace(' ', ''), _mk()))
    CASES.append((f"{_rn}_math_alias_f64",
                  (lambda rn: lambda tf: getattr(tf.math, rn)(tf.constant(A64), 1))(_rn)))
    CASES.append((f"{_rn}_int", (lambda rn: lambda tf: getattr(tf, rn)(tf.constant([[1, 2], [3, 5]]), 0))(_rn)))
    CASES.append((f"{_rn}_list_input", (lambda rn: lambda tf: getattr(tf, rn)([[1., 2.], [3., 5.]]))(_rn)))
    CASES.append((f"{_rn}_bad_axis", (lambda rn: lambda tf: getattr(tf, rn)(tf.constant(A32), axis=2))(_rn)))


@case
def reduce_max_ties_gradient(tf):
    x = tf.Variable([1., 3., 3., 2.])
    with tf.GradientTape() as tape:
        y = tf.reduce_max(x)
    return tape.gradient(y, x)


@case
def reduce_axis_tensor(tf):
    return tf.reduce_sum(tf.constant(A32), axis=tf.constant(1))


@case
def reduce_positional_axis(tf):
    return tf.reduce_sum(tf.constant(A32), 0), tf.reduce_mean(tf.constant(A32), 1, True)


# MatMul -------------------------------------------------------------------------------------

@case
def matmul_plain_and_transposes(tf):
    a = tf.Variable(A32)
    b = tf.Variable(B32)
    with tf.GradientTape() as tape:
        r = [tf.matmul(a, b), tf.matmul(a, a, transpose_b=True), tf.matmul(b, b, transpose_a=True),
             tf.matmul(b, a, transpose_a=True, transpose_b=True)]
        s = tf.add_n([tf.reduce_sum(t) for t in r])
    return r, tape.gradient(s, [a, b])


@case
def matmul_linalg(tf):
    return tf.linalg.matmul(tf.constant(A32), tf.constant(B32))


@case
def matmul_batched(tf):
    a = tf.Variable(np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 10)
    b = tf.Variable(np.arange(8, dtype=np.float32).reshape(4, 2) / 10)
    with tf.GradientTape() as tape:
        y = a @ b
        s = tf.reduce_sum(y)
    return y, tape.gradient(s, [a, b])


@case
def matmul_batched_transpose(tf):
    a = tf.constant(np.arange(24, dtype=np.float32).reshape(2, 3, 4))
    return tf.matmul(a, a, transpose_b=True)


@case
def matmul_rank1(tf):
    return tf.matmul(tf.constant([1., 2.]), tf.constant([[1.], [2.]]))


@case
def matmul_shape_mismatch(tf):
    return tf.matmul(tf.constant(A32), tf.constant(A32))


@case
def matmul_f64(tf):
    return tf.matmul(tf.constant(A64), tf.constant(B32.astype(np.float64)))


@case
def matmul_mixed_dtype(tf):
    return tf.matmul(tf.constant(A32), tf.constant(B32.astype(np.float64)))


# Shape ops ----------------------------------------------------------------------------------

@case
def shape_reshape(tf):
    x = tf.Variable(A32)
    with tf.GradientTape() as tape:
        y = [tf.reshape(x, (3, 2)), tf.reshape(x, [-1]), tf.reshape(x, (1, -1, 3)), tf.reshape(x, [6, 1])]
        s = tf.reduce_sum(y[0] * np.arange(6, dtype=np.float32).reshape(3, 2))
    return y, tape.gradient(s, x)


@case
def shape_reshape_bad(tf):
    return tf.reshape(tf.constant(A32), (4,))


@case
def shape_reshape_tensor_shape(tf):
    return tf.reshape(tf.constant(A32), tf.constant([3, 2]))


@case
def shape_transpose(tf):
    x = tf.Variable(np.arange(24, dtype=np.float32).reshape(2, 3, 4))
    with tf.GradientTape() as tape:
        y = tf.transpose(x)
        z = tf.transpose(x, perm=[0, 2, 1])
        s = tf.reduce_sum(y[0] * 2) + tf.reduce_sum(z[1])
    return y, z, tape.gradient(s, x)


@case
def shape_concat_stack(tf):
    a = tf.Variable(A32)
    b = tf.Variable(A32 * 2)
    with tf.GradientTape() as tape:
        c0 = tf.concat([a, b], axis=0)
        c1 = tf.concat([a, b], -1)
        s0 = tf.stack([a, b])
        s1 = tf.stack([a, b], axis=1)
        s2 = tf.stack([a, b], axis=-1)
        t = tf.reduce_sum(c0 * 2) + tf.reduce_sum(s1[:, 0] * 3)
    return c0, c1, s0, s1, s2, tape.gradient(t, [a, b])


@case
def shape_concat_with_list(tf):
    return tf.concat([tf.constant([[1., 2.]]), [[3., 4.]]], axis=0)


@case
def shape_stack_scalars(tf):
    return tf.stack([tf.constant(1.), 2.0, tf.constant(3.)])


@case
def shape_expand_squeeze(tf):
    x = tf.Variable(A32)
    with tf.GradientTape() as tape:
        e0 = tf.expand_dims(x, 0)
        e1 = tf.expand_dims(x, -1)
        sq = tf.squeeze(e0)
        sq1 = tf.squeeze(e1, axis=-1)
        sq2 = tf.squeeze(tf.constant([[[1.], [2.]]]), axis=[0, 2])
        s = tf.reduce_sum(e1 * 2) + tf.reduce_sum(sq)
    return e0, e1, sq, sq1, sq2, tape.gradient(s, x)


@case
def shape_squeeze_bad_axis(tf):
    return tf.squeeze(tf.constant(A32), axis=0)


@case
def shape_tile(tf):
    x = tf.Variable([[1., 2.]])
    with tf.GradientTape() as tape:
        y = tf.tile(x, [3, 2])
        s = tf.reduce_sum(y * np.arange(12, dtype=np.float32).reshape(3, 4))
    return y, tape.gradient(s, x)


@case
def shape_gather(tf):
    x = tf.Variable(A32)
    with tf.GradientTape() as tape:
        g0 = tf.gather(x, [1, 0, 1])
        g1 = tf.gather(x, [2, 0], axis=1)
        s = tf.reduce_sum(g0) + tf.reduce_sum(g1 * 2)
    g = tape.gradient(s, x)
    return g0, g1, tf.convert_to_tensor(g)


@case
def shape_gather_gradient_type(tf):
    x = tf.Variable(A32)
    with tf.GradientTape() as tape:
        s = tf.reduce_sum(tf.gather(x, [1, 1]))
    g = tape.gradient(s, x)
    return type(g).__name__ in ('IndexedSlices',), isinstance(g, tf.Tensor)


@case
def shape_gather_out_of_range(tf):
    return tf.gather(tf.constant([1., 2.]), [5])


@case
def shape_slice_fn(tf):
    x = tf.constant(np.arange(12, dtype=np.float32).reshape(3, 4))
    return tf.slice(x, [1, 0], [2, -1]), tf.slice(x, [0, 1], [1, 2])


@case
def shape_broadcast_to(tf):
    x = tf.Variable([1., 2., 3.])
    with tf.GradientTape() as tape:
        y = tf.broadcast_to(x, (2, 3))
        s = tf.reduce_sum(y * [[1.], [2.]])
    return y, tape.gradient(s, x)


# nn --------------------------------------------------------------------------------------

@case
def nn_softmax_axis0(tf):
    return tf.nn.softmax(tf.constant(A32), axis=0)


@case
def nn_softmax_1d(tf):
    return tf.nn.softmax([1., 2., 3.])


@case
def nn_bias_add(tf):
    x = tf.Variable(A32)
    b = tf.Variable(V3)
    with tf.GradientTape() as tape:
        y = tf.nn.bias_add(x, b)
        s = tf.reduce_sum(y ** 2)
    return y, tape.gradient(s, [x, b])


@case
def nn_softmax_xent(tf):
    logits = tf.Variable(A32)
    labels = tf.constant([[0., 1., 0.], [0.2, 0.3, 0.5]])
    with tf.GradientTape() as tape:
        loss = tf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits)
        m = tf.reduce_mean(loss)
    return loss, tape.gradient(m, logits)


@case
def nn_softmax_xent_positional_lists(tf):
    return tf.nn.softmax_cross_entropy_with_logits([[0., 1., 0.]], [[1., 2., 3.]])


@case
def nn_softmax_xent_label_gradient(tf):
    logits = tf.constant(A32)
    labels = tf.Variable([[0., 1., 0.], [0.2, 0.3, 0.5]])
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    return tape.gradient(loss, labels)


@case
def nn_sparse_softmax_xent(tf):
    logits = tf.Variable(A32)
    with tf.GradientTape() as tape:
        loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[2, 0], logits=logits)
        m = tf.reduce_mean(loss)
    return loss, tape.gradient(m, logits)


@case
def nn_sparse_softmax_xent_int64_labels(tf):
    return tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=tf.constant([2, 0], dtype=tf.int64), logits=tf.constant(A32))


@case
def nn_sparse_softmax_xent_bad_label(tf):
    return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[3, 0], logits=tf.constant(A32))


@case
def nn_softmax_xent_second_derivative(tf):
    logits = tf.Variable(A32)
    labels = tf.constant([[0., 1., 0.], [0.2, 0.3, 0.5]])
    with tf.GradientTape() as t2:
        with tf.GradientTape() as t1:
            loss = tf.reduce_sum(tf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits))
        g = t1.gradient(loss, logits)
        s = tf.reduce_sum(g * g)
    return t2.gradient(s, logits)


# Creation helpers and composites built from the op table (tf.range, tf.linspace, tf.eye,
# tf.norm, tf.math.reduce_variance / reduce_std), values and gradients

for _nm, _src in [
    ("range_int", "tf.range(5)"), ("range_start_limit", "tf.range(2, 9, 3)"),
    ("range_float", "tf.range(0., 1., 0.25)"), ("range_negative_delta", "tf.range(5, 0, -2)"),
    ("range_empty", "tf.range(3, 3)"), ("range_dtype", "tf.range(4, dtype=tf.float64)"),
    ("linspace", "tf.linspace(0., 1., 5)"), ("linspace_thirds", "tf.linspace(-1., 2., 7)"),
    ("eye", "tf.eye(2)"), ("eye_rect_int", "tf.eye(2, 3, dtype=tf.int32)"),
    ("eye_batch", "tf.eye(2, batch_shape=[3])"),
    ("norm", "tf.norm(tf.constant([3., 4.]))"), ("norm_matrix", "tf.norm(tf.constant([[1., 2.], [3., 4.]]))"),
    ("norm_axis", "tf.norm(tf.constant([[1., 2.], [3., 4.]]), axis=1)"),
    ("norm_axis_keepdims", "tf.norm(tf.constant([[1., 2.], [3., 4.]]), axis=0, keepdims=True)"),
    ("norm_ord2_axis", "tf.norm(tf.constant([[1., 2.], [3., 4.]]), ord=2, axis=-1)"),
    ("sign", "tf.sign(tf.constant([-2., 3., -0., 0.]))"), ("sign_int", "tf.math.sign(tf.constant([-2, 0, 5]))"),
    ("floor", "tf.math.floor(tf.constant([1.5, -1.5]))"), ("floor_top", "tf.floor(tf.constant([2.5], tf.float64))"),
    ("floordiv", "tf.math.floordiv(tf.constant([7., -7.]), 2.)"), ("floormod", "tf.math.floormod([7, -7], [-2, 2])"),
    ("mod", "tf.math.mod(tf.constant([5.5, -5.5]), 2.)"),
    ("reduce_std", "tf.math.reduce_std(tf.constant([1., 3.]))"),
    ("reduce_std_axis", "tf.math.reduce_std(tf.constant([[1., 3.], [2., 7.]]), axis=0, keepdims=True)"),
    ("reduce_variance_axis", "tf.math.reduce_variance(tf.constant([[1., 3.], [2., 7.]]), axis=1)"),
]:
    CASES.append((f"more_{_nm}", (lambda src: lambda tf: eval(src, {"tf": tf}))(_src)))


def _more_grads(tf):
    v = tf.Variable([[1., 2.], [3., -4.]])
    with tf.GradientTape(persistent=True) as tape:
        n = tf.norm(v)
        na = tf.reduce_sum(tf.norm(v, axis=1))
        s = tf.math.reduce_std(v)
        sa = tf.reduce_sum(tf.math.reduce_variance(v, axis=0))
    return [tape.gradient(t, v) for t in (n, na, s, sa)]


CASES.append(("more_gradients", _more_grads))
