"""Snippets: scalars mixed with tensors, operators. Each is a function of `tf`, run once with TensorFlow and
once with gradd (see __main__.py)."""
from snip_common import *  # noqa: F401,F403


# Scalars mixed with tensors, operators

def _x(tf, dtype='float32'):
    return tf.constant(A32 if dtype == 'float32' else A64)


for _dt in ('float32', 'float64'):
    for _nm, _f in [
        ('mul_left_int', lambda x: 2 * x), ('mul_right_float', lambda x: x * 2.5),
        ('div_int', lambda x: x / 3), ('rdiv', lambda x: 1 / x), ('rsub', lambda x: 1 - x),
        ('sub', lambda x: x - 0.5), ('radd', lambda x: 3 + x), ('pow_half', lambda x: abs(x) ** 0.5),
        ('pow_int', lambda x: x ** 2), ('pow_neg', lambda x: x ** -1), ('rpow', lambda x: 2 ** x),
        ('neg', lambda x: -x), ('pos', lambda x: +x), ('abs', lambda x: abs(x)),
        ('gt', lambda x: x > 0), ('lt', lambda x: x < 1), ('ge', lambda x: x >= 0.5),
        ('le', lambda x: x <= 0.5), ('eq', lambda x: x == 3.0), ('ne', lambda x: x != 3.0),
        ('self_mul', lambda x: x * x), ('self_div', lambda x: x / (x + 10)),
        ('np_scalar_f64', lambda x: x * np.float64(2.0)), ('np_scalar_f32', lambda x: x * np.float32(2.0)),
        ('np_scalar_int', lambda x: x + np.int64(1)),
        ('np_array_same', lambda x: x + np.ones(3, dtype=x.dtype.name)),
        ('list_broadcast', lambda x: x + [1., 2., 3.]), ('rlist_broadcast', lambda x: [1., 2., 3.] - x),
        ('col_broadcast', lambda x: x * [[2.], [3.]]),
    ]:
        def _mk(f=_f, dt=_dt):
            return lambda tf: f(_x(tf, dt))
        CASES.append((f"op_{_nm}_{_dt}", _mk()))


@case
def op_np_array_f64_with_f32_tensor(tf):
    return tf.constant(A32) + np.ones(3)


@case
def op_np_array_left(tf):
    r = np.ones((2, 3), dtype=np.float32) + tf.constant(A32)
    return type(r).__name__ in ('ndarray',), r


@case
def op_np_array_matmul_left(tf):
    return np.ones((1, 2), dtype=np.float32) @ tf.constant(A32)


@case
def op_matmul_list_left(tf):
    return [[1., 2.]] @ tf.constant(A32)


@case
def op_matmul_list_right(tf):
    return tf.constant(A32) @ [[1.], [2.], [3.]]


@case
def op_matmul_int_list_right(tf):
    return tf.constant(A32) @ [[1], [2], [3]]


@case
def op_broadcast_col_row(tf):
    return tf.constant([[1.], [2.], [3.]]) + tf.constant([[10., 20., 30., 40.]])


@case
def op_broadcast_bad(tf):
    return tf.constant([1., 2., 3.]) + tf.constant([1., 2.])


@case
def op_dtype_mismatch(tf):
    return tf.constant([1., 2.]) + tf.constant([1, 2])


@case
def op_f32_plus_f64(tf):
    return tf.constant([1., 2.]) + tf.constant([1., 2.], dtype=tf.float64)


@case
def op_int_arith(tf):
    x = tf.constant([1, 2, 3])
    return x * 2, x + x, x - 1, -x, abs(-x), x ** 2, x > 1, x == 2


@case
def op_int_truediv(tf):
    x = tf.constant([1, 2, 3])
    return x / 2


@case
def op_int_truediv_tensor(tf):
    return tf.constant([1, 2, 3]) / tf.constant([2, 2, 2])


@case
def op_int_divide_fn(tf):
    return tf.divide(tf.constant([1, 2, 3]), 2)


@case
def op_int_times_float(tf):
    return tf.constant([1, 2, 3]) * 2.5


@case
def op_int_pow_float(tf):
    return tf.constant([4, 9]) ** 0.5


@case
def op_int64_arith(tf):
    x = tf.constant([1, 2], dtype=tf.int64)
    return x * 3, x + 1


@case
def op_bool_tensor(tf):
    b = tf.constant([True, False])
    return b, b == True  # noqa: E712


@case
def op_nan_le_ge(tf):
    x = tf.constant([float('nan'), 1.0, 2.0])
    return x <= 1.0, x >= 1.0, x < 1.0, x > 1.0


@case
def op_nan_ne(tf):
    x = tf.constant([float('nan'), 1.0])
    return x != x, x == x


@case
def op_eq_none(tf):
    x = tf.constant([1.0])
    return x == None, x != None  # noqa: E711


@case
def op_compare_tensors(tf):
    a = tf.constant(A32)
    b = tf.constant(A32 * 0 + 1.0)
    return a > b, a < b, a >= b, a <= b, a == b, a != b


@case
def op_variable_arith(tf):
    v = tf.Variable(A32)
    return v + 1, 2 * v, v * v, -v, abs(v), v ** 2, v / 2, 1 - v, v > 0, v @ B32


@case
def op_variable_vs_variable(tf):
    a = tf.Variable([1., 2.])
    b = tf.Variable([3., 4.])
    return a + b, a * b, a == b


@case
def op_floordiv(tf):
    return tf.constant([7., -7.]) // 2


@case
def op_mod(tf):
    return tf.constant([7., -7.]) % 3


@case
def op_floordiv_mod_reflected_int(tf):
    return 7 // tf.constant(2), 7 % tf.constant(-2), tf.constant([7, -7]) // 2, tf.constant([7, -7]) % 2


@case
def op_mod_gradient(tf):
    x = tf.Variable([5.5, -5.5, 2.25])
    y = tf.Variable([2.0, 2.0, -1.5])
    with tf.GradientTape() as tape:
        r = tf.reduce_sum(x % y * tf.constant([1., 2., 3.]))
    gx, gy = tape.gradient(r, [x, y])
    with tf.GradientTape() as tape2:
        q = tf.reduce_sum(x // y)
    return gx, gy, tape2.gradient(q, x)
