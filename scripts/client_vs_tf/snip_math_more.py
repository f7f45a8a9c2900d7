"""Snippets: tan/atan/asin/acos/sinh/cosh/expm1/erf/erfc, ceil and round, not_equal and `!=`, the
logical functions and operators, tf.nn.gelu and Keras' 'gelu' (gradd/_math2.py). Each is a
function of `tf`, run once with TensorFlow and once with gradd (see __main__.py)."""
from snip_common import *  # noqa: F401,F403

INF, NAN = float('inf'), float('nan')
UNIT = A32 / 4.5  # inside (-1, 1): asin, acos
HALVES = [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 3.5, 0.49999997, -0.49999997, 1.2, -1.7, 0.0, -0.0]


# -- unary functions: value, first and second derivative (nested tapes), float32 and float64 --

_FNS = [
    ('tan', lambda tf: tf.tan, A32 / 2), ('math_tan', lambda tf: tf.math.tan, A32 / 2),
    ('atan', lambda tf: tf.atan, A32), ('math_atan', lambda tf: tf.math.atan, A32),
    ('asin', lambda tf: tf.asin, UNIT), ('math_asin', lambda tf: tf.math.asin, UNIT),
    ('acos', lambda tf: tf.acos, UNIT), ('math_acos', lambda tf: tf.math.acos, UNIT),
    ('sinh', lambda tf: tf.sinh, A32), ('math_sinh', lambda tf: tf.math.sinh, A32),
    ('cosh', lambda tf: tf.cosh, A32), ('math_cosh', lambda tf: tf.math.cosh, A32),
    ('expm1', lambda tf: tf.math.expm1, A32), ('erf', lambda tf: tf.math.erf, A32),
    ('erfc', lambda tf: tf.math.erfc, A32),
    ('gelu', lambda tf: tf.nn.gelu, A32 * 1.5),
    # |x| <= 2: beyond, tanh saturates and the second derivative's 1 - tanh^2 is a few ulps
    # of tanh, which TF's (Eigen's rational) tanh and the server's round differently.
    ('gelu_approximate', lambda tf: (lambda x: tf.nn.gelu(x, approximate=True)), A32 / 2),
    ('keras_gelu', lambda tf: tf.keras.activations.gelu, A32),
    ('keras_gelu_approximate',
     lambda tf: (lambda x: tf.keras.activations.gelu(x, approximate=True)), A32 / 2),
    ('keras_get_gelu', lambda tf: tf.keras.activations.get('gelu'), A32),
]

for _nm, _get, _val in _FNS:
    for _dt in ('float32', 'float64'):
        def _mk(get=_get, val=_val, dt=_dt):
            def run(tf):
                x = tf.Variable(val.astype(dt))
                w = np.arange(1, 7, dtype=dt).reshape(2, 3)
                with tf.GradientTape() as outer:
                    with tf.GradientTape() as inner:
                        y = get(tf)(x)
                        s = tf.reduce_sum(y * w)
                    g = inner.gradient(s, x)
                return y, g, outer.gradient(g, x)
            return run
        CASES.append((f"more_unary_{_nm}_{_dt}", _mk()))
    if not _nm.startswith('keras_'):  # Keras 3 activations take tensors only
        CASES.append((f"more_unary_{_nm}_list_input",
                      (lambda get, val: lambda tf: get(tf)(val.tolist()))(_get, _val)))
        CASES.append((f"more_unary_{_nm}_int_input",
                      (lambda get: lambda tf: get(tf)([1, 2]))(_get)))


@case
def more_edges_asin_acos(tf):
    x = tf.constant([1.0, -1.0, 0.0, 1.0000001, -2.0, NAN])
    return tf.asin(x), tf.acos(x), tf.asin(tf.constant([1.0, -1.0], dtype=tf.float64))


@case
def more_edges_asin_acos_gradient_at_one(tf):
    x = tf.Variable([1.0, -1.0, 0.5])
    with tf.GradientTape(persistent=True) as tape:
        a, b = tf.asin(x), tf.acos(x)
    return tape.gradient(a, x), tape.gradient(b, x)


@case
def more_edges_erf(tf):
    x = tf.constant([10.0, -10.0, 4.0, 1e-8, -0.0, INF, -INF, NAN])
    return tf.math.erf(x), tf.math.erf(tf.cast(x, tf.float64)), tf.math.erf(27.0)


@case
def more_edges_erf_gradient_large(tf):
    x = tf.Variable([6.0, -12.0, 0.0], dtype=tf.float64)
    with tf.GradientTape() as tape:
        y = tf.math.erf(x)
    return tape.gradient(y, x)


@case
def more_edges_tan_atan(tf):
    x = tf.constant([0.0, -0.0, 1.5, -1.5, INF, -INF, NAN, 1e30])
    return tf.tan(x[:4]), tf.atan(x), tf.math.atan(tf.cast(x, tf.float64))


@case
def more_edges_sinh_cosh_expm1(tf):
    x = tf.constant([0.0, -0.0, 1e-7, 88.0, 100.0, -100.0, INF, -INF, NAN])
    return (tf.sinh(x), tf.cosh(x), tf.math.expm1(x),
            tf.math.expm1(tf.constant([1e-10, -1e-10, 709.0, 710.0], dtype=tf.float64)))


@case
def more_gelu_edges(tf):
    x = tf.constant([0.0, -0.0, 3.0, -3.0, 8.0, 40.0, 1e30, INF, -INF, NAN])
    x64 = tf.constant([0.0, -0.0, 3.0, -3.0, 8.0, 40.0, 1e200, -1e200, INF, -INF, NAN],
                      dtype=tf.float64)
    return (tf.nn.gelu(x), tf.nn.gelu(x, approximate=True), tf.nn.gelu(x64),
            tf.nn.gelu(x64, approximate=True))


@case
def more_gelu_edges_gradient(tf):
    x = tf.Variable([0.0, 3.0, -3.0, 8.0, 40.0, 1e200, -1e200], dtype=tf.float64)
    with tf.GradientTape(persistent=True) as tape:
        y, z = tf.nn.gelu(x), tf.nn.gelu(x[:5], approximate=True)
    return tape.gradient(y, x), tape.gradient(z, x)


@case
def more_gelu_far_negative(tf):
    # Exact gelu runs Erfc: relatively exact far below zero (TF: -4.98e-15 at -8 in float32).
    return tf.nn.gelu([-8.0, -12.0]), tf.nn.gelu(tf.constant([-9.0, -30.0], dtype=tf.float64))


@case
def more_gelu_int_raises(tf):
    return tf.nn.gelu(tf.constant([1, 2]))


@case
def more_gelu_in_dense(tf):
    layer = tf.keras.layers.Dense(2, activation='gelu', kernel_initializer='ones')
    x = tf.constant([[1., -2., 0.5], [-0.3, 0.2, -1.]])
    with tf.GradientTape() as tape:
        y = layer(x)
        loss = tf.reduce_sum(y ** 2)
    return y, tape.gradient(loss, layer.trainable_variables)


# -- ceil and round --------------------------------------------------------------------------

@case
def more_round_half_to_even_f32(tf):
    return tf.round(tf.constant(HALVES)), tf.math.round(HALVES)


@case
def more_round_half_to_even_f64(tf):
    x = tf.constant(HALVES + [2.0 ** 52 + 0.5, 4503599627370497.0, -1e300, INF, NAN],
                    dtype=tf.float64)
    return tf.round(x)


@case
def more_round_large_f32(tf):
    return tf.round(tf.constant([8388607.5, 8388609.0, -8388607.5, 1e30, -INF]))


@case
def more_round_int_passthrough(tf):
    i = tf.constant([1, -2, 3])
    return (tf.round(i), tf.round(i) is i, tf.round([4, 5]), tf.math.round(np.int64(7)),
            tf.round(tf.constant([2 ** 40], dtype=tf.int64)))


@case
def more_round_int_variable(tf):
    return tf.round(tf.Variable([3, 4]))


@case
def more_round_bool_raises(tf):
    return tf.round(tf.constant([True]))


@case
def more_ceil(tf):
    x = tf.constant(HALVES + [INF, -INF, NAN])
    return tf.math.ceil(x), tf.math.ceil(tf.cast(x, tf.float64)), tf.math.ceil(-0.25)


@case
def more_ceil_int_raises(tf):
    return tf.math.ceil(tf.constant([1, 2]))


@case
def more_ceil_round_gradients_none(tf):
    x = tf.Variable([0.4, 1.6, -2.5])
    with tf.GradientTape(persistent=True) as tape:
        a, b = tf.math.ceil(x), tf.round(x)
        c = tf.reduce_sum(tf.round(x) * x)
    return tape.gradient(a, x), tape.gradient(b, x), tape.gradient(c, x)


# -- != and not_equal ------------------------------------------------------------------------

@case
def more_ne_broadcast(tf):
    x = tf.constant(A32)
    return x != [1., 4., -1.5], x != [[1.], [0.5]], x != 4.0, 1.0 != x


@case
def more_ne_incompatible_shapes(tf):
    x = tf.constant([1., 2.])
    return x != tf.constant([1., 2., 3.]), x != [[1., 2., 3.]], x == tf.constant([1., 2., 3.])


@case
def more_ne_none(tf):
    x = tf.constant([1.0])
    return x != None, None != x, x == None, [x][0] != None  # noqa: E711


@case
def more_ne_none_variable_raises(tf):
    return tf.Variable([1.0]) != None  # noqa: E711 - TF's Variable converts None


@case
def more_eq_none_variable_raises(tf):
    return tf.Variable([1.0]) == None  # noqa: E711


@case
def more_ne_none_in_list(tf):
    x = tf.constant([1.0])
    return None in [x], x in [None, 3]


@case
def more_ne_nan(tf):
    x = tf.constant([NAN, 1.0, INF, -INF])
    return x != x, x != NAN, x != tf.constant([NAN, 1.0, INF, INF], dtype=tf.float32)


@case
def more_ne_int_bool(tf):
    return (tf.constant([1, 2]) != 2, tf.constant([True, False]) != True,  # noqa: E712
            tf.constant([1, 2], dtype=tf.int64) != [2, 2])


@case
def more_ne_int_float_raises(tf):
    return tf.constant([1, 2]) != 1.5


@case
def more_ne_bool_int_raises(tf):
    return tf.constant([True]) != 1


@case
def more_ne_variables(tf):
    a = tf.Variable([1., 2., 3.])
    b = tf.Variable([1., 0., 3.])
    return a != b, a != 2.0


@case
def more_ne_dtype_mismatch_raises(tf):
    return tf.constant([1., 2.]) != tf.constant([1., 2.], dtype=tf.float64)


@case
def more_not_equal_fn(tf):
    x = tf.constant(A32)
    return (tf.not_equal(x, 1.0), tf.math.not_equal(x, [[1.], [4.]]), tf.not_equal([1, 2], 2),
            tf.not_equal(x, x))


@case
def more_not_equal_fn_incompatible_raises(tf):
    return tf.not_equal(tf.constant([1., 2.]), tf.constant([1., 2., 3.]))


@case
def more_not_equal_fn_none_raises(tf):
    return tf.not_equal(tf.constant([1., 2.]), None)


# -- logical functions and operators ----------------------------------------------------------

P = [True, True, False, False]
Q = [True, False, True, False]


@case
def more_logical_fns(tf):
    p, q = tf.constant(P), tf.constant(Q)
    return (tf.logical_and(p, q), tf.logical_or(p, q), tf.logical_not(p),
            tf.math.logical_and(p, q), tf.math.logical_or(p, q), tf.math.logical_not(q),
            tf.math.logical_xor(p, q))


@case
def more_logical_fns_lists_and_broadcast(tf):
    p = tf.constant(P)
    return (tf.logical_and(P, Q), tf.logical_or([[True], [False]], p), tf.logical_not(True),
            tf.math.logical_xor(p, True), tf.logical_and(np.array(Q), p))


@case
def more_logical_and_float_raises(tf):
    return tf.logical_and(tf.constant([1., 0.]), tf.constant([1., 1.]))


@case
def more_logical_or_int_raises(tf):
    return tf.logical_or(tf.constant([1, 0]), tf.constant([True, True]))


@case
def more_logical_not_float_raises(tf):
    return tf.logical_not(tf.constant([1.0]))


@case
def more_logical_xor_float_raises(tf):
    return tf.math.logical_xor(tf.constant([1.0]), tf.constant([0.0]))


@case
def more_logical_and_python_int_raises(tf):
    return tf.logical_and(tf.constant([True]), 1)


@case
def more_logical_not_int_list_raises(tf):
    return tf.logical_not([1, 0])


@case
def more_logical_and_incompatible_raises(tf):
    return tf.logical_and(tf.constant([True, False]), tf.constant([True, False, True]))


@case
def more_bool_operators(tf):
    p, q = tf.constant(P), tf.constant(Q)
    return p & q, p | q, p ^ q, ~p, ~q & p, (p | q) ^ (p & q)


@case
def more_bool_operators_reflected(tf):
    p = tf.constant(P)
    return (True & p, False | p, True ^ p, Q & p, Q | p, Q ^ p, np.array(Q) & p,
            np.array(Q) ^ p, p & True, p | [False, False, True, True], p ^ np.array(Q))


@case
def more_bool_operators_broadcast(tf):
    p = tf.constant([[True], [False]])
    return p & tf.constant(P), p | tf.constant(Q), p ^ tf.constant(Q)


@case
def more_bool_operators_variable(tf):
    v = tf.Variable(P)
    return ~v, v & Q, v | tf.constant(Q), v ^ True, True & v


@case
def more_bool_operators_from_comparisons(tf):
    x = tf.constant(A32)
    return (x > 0) & (x < 2), (x < -1) | (x > 3), ~(x > 0), (x > 0) ^ (x > 1)


@case
def more_bool_and_int_raises(tf):
    return tf.constant(P) & 1


@case
def more_bool_and_float_tensor_raises(tf):
    return tf.constant([True, False]) & tf.constant([1., 0.])


@case
def more_float_and_raises(tf):
    return tf.constant([1., 2.]) & tf.constant([1., 2.])


@case
def more_float_or_raises(tf):
    return tf.constant([1., 2.], dtype=tf.float64) | True


@case
def more_float_xor_raises(tf):
    return tf.constant([1., 2.]) ^ tf.constant([1., 2.])


@case
def more_float_invert_raises(tf):
    return ~tf.constant([1., 2.])


@case
def more_float_rand_raises(tf):
    return 1.0 & tf.constant([1., 2.])


@case
def more_int_bitwise(tf):
    # TensorFlow runs its bitwise ops on integers; gradd has none (KNOWN: lacking)
    i = tf.constant([6, 3])
    return i & 5, i | 1, i ^ i, ~i


# -- shapes and dtypes, before any value ------------------------------------------------------

@case
def more_shapes_dtypes(tf):
    m = tf.constant(np.ones((3, 1, 4), dtype=np.float64))
    b = tf.constant([[True, False, True, False]])
    outs = [tf.tan(m), tf.math.erf(m), tf.math.ceil(m), tf.round(m), tf.nn.gelu(m),
            m != tf.constant(np.ones((2, 1), dtype=np.float64)), tf.logical_and(b, [[True]]),
            ~b, b ^ b, tf.math.logical_xor(b, [[True], [False]])]
    return [(o.shape, o.dtype) for o in outs]


# tf.pad (CONSTANT mode), forward and gradient

@case
def pad_constant_gradient(tf):
    x = tf.Variable(A32)
    with tf.GradientTape() as tape:
        y = tf.pad(x, [[1, 0], [2, 1]])
        s = tf.reduce_sum(y * np.arange(18, dtype=np.float32).reshape(3, 6))
    return y, tape.gradient(s, x)


@case
def pad_constant_values(tf):
    x = tf.Variable(A64)
    with tf.GradientTape() as tape:
        y = tf.pad(x, tf.constant([[0, 1], [1, 1]]), constant_values=-2.5)
        s = tf.reduce_sum(y ** 2)
    return y, tape.gradient(s, x)


@case
def pad_int_and_mode_lowercase(tf):
    return tf.pad(tf.constant([1, 2, 3]), [[2, 1]], mode="constant", constant_values=7)


@case
def pad_bad_mode(tf):
    return tf.pad(tf.constant(A32), [[1, 1], [1, 1]], mode="WRAP")


@case
def pad_wrong_rank(tf):
    return tf.pad(tf.constant(A32), [[1, 1]])


@case
def pad_negative(tf):
    return tf.pad(tf.constant(A32), [[1, 1], [-1, 0]])
