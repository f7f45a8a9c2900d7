#!/usr/bin/env python
"""Differential test of the Python client's TensorFlow-shaped API against real TensorFlow.

Every snippet below is a small function taking a module `tf`. It runs twice in this process,
once with `tf = tensorflow` and once with `tf = gradd`, and what a user observes is compared:
values (np.allclose with float32/float64 tolerances), shapes, dtypes (by name), None-ness,
Python/numpy types of results, printed str/repr of tensors, variables, shapes and dtypes
(after replacing gradd's documented `gradd.` prefix with `tf.`), stdout printed by the
snippet, and the class name of a raised exception (gradd's classes are named like tf.errors,
so `InvalidArgumentError` matches `InvalidArgumentError`; a ValueError in TF against a gradd
InvalidArgumentError is a difference).

Documented differences that are normalized before comparing (reported as "match (doc)"):
  - the `gradd.Tensor` / `gradd.Variable` / `gradd.float32` prefix instead of `tf.`;
  - tf.Variable names: TF appends the output index (`'w:0'`), gradd keeps the name as given
    (pinned by clients/python/tests/test_api.py).

Needs TensorFlow (the benchmark venv) and a gradd server:

    /tmp/gradd serve --addr 127.0.0.1:50091 &
    .venv-bench/bin/python scripts/client_vs_tf.py --addr 127.0.0.1:50091 [-v] [-k SUBSTR]
        [--json OUT.json]

Differences judged not to be gradd bugs are listed in KNOWN (printed as "known (...)"); the
rest print as DIFF with the minimal repro (REAL) they reduce to. Exit status: 0 when no
snippet prints DIFF, 1 otherwise.
"""
import argparse
import contextlib
import io
import json
import os
import re
import sys
import traceback
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "clients", "python"))

CASES = []


def case(fn=None, *, name=None):
    """Registers a snippet `fn(tf)`; its return value (and stdout) is what is compared."""
    def reg(f):
        CASES.append((name or f.__name__, f))
        return f
    return reg(fn) if fn is not None else reg


class Meta:
    """Compare only shape and dtype (random values)."""

    def __init__(self, x):
        self.x = x


class NoRepr:
    """Compare value/shape/dtype but not str/repr (e.g. objects whose repr is not specified)."""

    def __init__(self, x):
        self.x = x


# Inputs shared by both runs (numpy, so each side converts them itself).
A32 = np.array([[1.0, -2.0, 3.0], [0.5, 4.0, -1.5]], dtype=np.float32)
B32 = np.array([[0.2, 1.0], [-1.0, 0.5], [2.0, -0.3]], dtype=np.float32)
V3 = np.array([0.3, -1.2, 2.5], dtype=np.float32)
POS = np.array([[0.5, 1.0, 2.0], [3.0, 0.25, 4.0]], dtype=np.float32)
A64 = A32.astype(np.float64)
POS64 = POS.astype(np.float64)
W_SEED = np.array([[-0.37, -0.26], [0.94, 1.39], [-1.42, 0.07]], dtype=np.float32)


# =============================================================================================
# The seed notebook, cell by cell

@case
def seed_cell34_shapes(tf):
    w = tf.Variable(tf.random.normal((3, 2)), name='w')
    b = tf.Variable(tf.zeros(2, dtype=tf.float32), name='b')
    x = [[1., 2., 3.]]
    with tf.GradientTape() as tape:
        y = x @ w + b
        loss = tf.reduce_mean(y**2)
    [dl_dw, dl_db] = tape.gradient(loss, [w, b])
    return Meta(dl_dw), Meta(dl_db), Meta(loss), Meta(y)


@case
def seed_cell34_35_fixed_w(tf):
    w = tf.Variable(W_SEED, name='w')
    b = tf.Variable(tf.zeros(2, dtype=tf.float32), name='b')
    x = [[1., 2., 3.]]
    with tf.GradientTape() as tape:
        y = x @ w + b
        loss = tf.reduce_mean(y**2)
    [dl_dw, dl_db] = tape.gradient(loss, [w, b])
    print(dl_dw)
    print(dl_db)
    return dl_dw, dl_db, loss


@case
def seed_cell51_53_dense(tf):
    layer = tf.keras.layers.Dense(2, activation='relu')
    x = tf.constant([[1., 2., 3.]])
    with tf.GradientTape() as tape:
        y = layer(x)
        loss = tf.reduce_mean(y**2)
    grad = tape.gradient(loss, layer.trainable_variables)
    for var, g in zip(layer.trainable_variables, grad):
        print(f'{var.name}, shape: {g.shape}')
    return len(grad), [Meta(g) for g in grad]


@case
def seed_cell58_what_tape_watches(tf):
    x0 = tf.Variable(3.0, name='x0')
    x1 = tf.Variable(3.0, name='x1', trainable=False)
    x2 = tf.Variable(2.0, name='x2') + 1.0
    x3 = tf.constant(3.0, name='x3')
    with tf.GradientTape() as tape:
        y = (x0**2) + (x1**2) + (x2**2)
    grad = tape.gradient(y, [x0, x1, x2, x3])
    for g in grad:
        print(g)
    return grad


@case
def seed_cell57_watch_constant(tf):
    x = tf.constant(3.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x**2
    dy_dx = tape.gradient(y, x)
    print(dy_dx.numpy())
    return dy_dx, dy_dx.numpy()


@case
def seed_cell57_watch_accessed_false(tf):
    x = tf.Variable(3.0)
    z = tf.Variable(2.0)
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(x)
        y = x**2 + z**3
    return tape.gradient(y, [x, z])


# Variations of the seed cells -----------------------------------------------------------------

@case
def seed_var_float64(tf):
    w = tf.Variable(W_SEED.astype(np.float64), name='w')
    b = tf.Variable(tf.zeros(2, dtype=tf.float64), name='b')
    x = np.array([[1., 2., 3.]])
    with tf.GradientTape() as tape:
        y = x @ w + b
        loss = tf.reduce_mean(y**2)
    return tape.gradient(loss, [w, b]), loss


@case
def seed_var_float64_list_input(tf):
    # a Python list next to a float64 variable takes the variable's dtype
    w = tf.Variable(W_SEED.astype(np.float64))
    x = [[1., 2., 3.]]
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(x @ w)
    return tape.gradient(loss, w)


@case
def seed_var_numpy_x(tf):
    w = tf.Variable(W_SEED)
    x = np.array([[1., 2., 3.]], dtype=np.float32)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean((x @ w) ** 2)
    return tape.gradient(loss, w)


@case
def seed_var_batch4(tf):
    w = tf.Variable(W_SEED)
    b = tf.Variable([0.1, -0.2])
    x = np.arange(12, dtype=np.float32).reshape(4, 3) / 10
    with tf.GradientTape() as tape:
        y = x @ w + b
        loss = tf.reduce_mean(y**2)
    return tape.gradient(loss, {'w': w, 'b': b}), y


@case
def seed_var_w_at_list(tf):
    w = tf.Variable(W_SEED)
    with tf.GradientTape() as tape:
        y = tf.transpose(w) @ [[1.], [2.], [3.]]
    return y, tape.gradient(y, w)


@case
def seed_var_dense_tanh_values(tf):
    layer = tf.keras.layers.Dense(2, activation='tanh')
    x = tf.constant([[1., 2., 3.]])
    layer(x)
    layer.kernel.assign(W_SEED)
    layer.bias.assign([0.1, -0.1])
    with tf.GradientTape() as tape:
        y = layer(x)
        loss = tf.reduce_mean(y**2)
    grad = tape.gradient(loss, layer.trainable_variables)
    return y, loss, grad


@case
def seed_var_x2_is_tensor(tf):
    x2 = tf.Variable(2.0, name='x2') + 1.0
    print(x2)
    return x2


@case
def seed_var_x1_watched_explicitly(tf):
    x1 = tf.Variable(3.0, name='x1', trainable=False)
    with tf.GradientTape() as tape:
        tape.watch(x1)
        y = x1 ** 2
    return tape.gradient(y, x1)


@case
def seed_var_gradient_constant_unwatched(tf):
    x = tf.constant(3.0)
    with tf.GradientTape() as tape:
        y = x**2
    return tape.gradient(y, x)


# =============================================================================================
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


# =============================================================================================
# Creation, conversion, dtypes, shapes

@case
def create_constant_dtypes(tf):
    return (tf.constant(1.0), tf.constant(1), tf.constant([1, 2.5]), tf.constant(True),
            tf.constant(2**40), tf.constant([1, 2], dtype=tf.float32),
            tf.constant(np.float64(2.0)), tf.constant(np.array([1, 2], dtype=np.int64)))


@case
def create_constant_dtype_string(tf):
    return tf.constant([1, 2], dtype='float64')


@case
def create_constant_float_to_int(tf):
    return tf.constant([1.5, 2.0], dtype=tf.int32)


@case
def create_constant_integral_float_to_int(tf):
    return tf.constant([1.0, 2.0], dtype=tf.int32)


@case
def create_constant_shape(tf):
    return tf.constant(0.5, shape=(2, 3)), tf.constant([1., 2., 3., 4.], shape=[2, 2])


@case
def create_constant_of_tensor(tf):
    return tf.constant(tf.constant([1., 2.]))


@case
def create_constant_ragged(tf):
    return tf.constant([[1., 2.], [3.]])


@case
def create_zeros_ones(tf):
    return (tf.zeros(3), tf.zeros((2, 3)), tf.zeros([2, 3]), tf.zeros(()), tf.zeros([]),
            tf.ones(2, dtype=tf.int32), tf.ones((1, 2), dtype='float64'), tf.ones([0, 2]))


@case
def create_zeros_tensor_shape(tf):
    return tf.zeros(tf.constant([2, 3])), tf.ones(tf.constant(A32).shape)


@case
def create_zeros_like(tf):
    v = tf.Variable([[1., 2.]])
    return (tf.zeros_like(v), tf.ones_like(tf.constant([1, 2])), tf.zeros_like([1., 2.]),
            tf.ones_like(v, dtype=tf.float64))


@case
def create_fill(tf):
    return tf.fill((2, 2), 7.0), tf.fill([3], 1)


@case
def create_random_normal(tf):
    return (Meta(tf.random.normal((3, 2))), Meta(tf.random.normal([2], dtype=tf.float64)),
            Meta(tf.random.normal((2, 2), mean=1.0, stddev=0.1, seed=1)),
            Meta(tf.random.normal(())), Meta(tf.random.normal([3])))


@case
def create_random_uniform(tf):
    return (Meta(tf.random.uniform((2,))), Meta(tf.random.uniform((2, 2), maxval=10, dtype=tf.int32)),
            Meta(tf.random.uniform([3], minval=-1, maxval=1, seed=3)),
            Meta(tf.random.truncated_normal((2, 3))))


@case
def create_random_seed_reproducible(tf):
    tf.random.set_seed(42)
    a = tf.random.normal((3,), seed=1).numpy()
    tf.random.set_seed(42)
    b = tf.random.normal((3,), seed=1).numpy()
    return bool(np.all(a == b))


@case
def create_random_range(tf):
    u = tf.random.uniform((1000,), minval=2.0, maxval=3.0, seed=5).numpy()
    return bool(u.min() >= 2.0 and u.max() < 3.0)


@case
def create_convert_to_tensor(tf):
    return (tf.convert_to_tensor([1, 2]), tf.convert_to_tensor([1., 2.], dtype=tf.float64),
            tf.convert_to_tensor(np.ones(2)), tf.convert_to_tensor(3.0))


@case
def create_convert_to_tensor_variable(tf):
    v = tf.Variable([1., 2.])
    t = tf.convert_to_tensor(v)
    return t


@case
def create_convert_to_tensor_variable_isinstance(tf):
    v = tf.Variable([1., 2.])
    return isinstance(tf.convert_to_tensor(v), tf.Tensor)


@case
def create_convert_list_of_tensors(tf):
    return tf.convert_to_tensor([tf.constant(1.), tf.constant(2.)])


@case
def create_cast(tf):
    x = tf.constant([1.7, -1.7, 0.0])
    return (tf.cast(x, tf.int32), tf.cast(x, tf.bool), tf.cast(tf.constant([True, False]), tf.float32),
            tf.cast(x, 'float64'), tf.cast(tf.constant([1, 2]), tf.int64), tf.cast(x, tf.float32))


@case
def create_cast_python(tf):
    return tf.cast([1, 2], tf.float32), tf.cast(3, tf.float64)


@case
def dtype_objects(tf):
    return (tf.float32 == 'float32', tf.float32 == tf.float64, str(tf.float32), repr(tf.float64),
            tf.as_dtype('float64').name, tf.double == tf.float64, tf.float32.is_floating,
            tf.int32.is_integer, tf.as_dtype(np.float32).name, tf.float32.as_numpy_dtype is np.float32,
            tf.bool.name, tf.int64.name, tf.as_dtype(tf.float32) == tf.float32)


@case
def dtype_of_results(tf):
    x = tf.constant(A32)
    return (x.dtype.name, x.dtype == tf.float32, str(x.dtype), (x > 0).dtype.name,
            tf.argmax(x, axis=1).dtype.name, tf.cast(x, tf.int32).dtype.name)


@case
def shape_api(tf):
    x = tf.constant(np.zeros((2, 3, 4), dtype=np.float32))
    s = x.shape
    return (str(s), repr(s), s[0], s[-1], s.as_list(), s.rank, len(s), x.ndim, s == (2, 3, 4),
            s == [2, 3, 4], str(x.get_shape()), s.num_elements(), tuple(s), list(s))


@case
def shape_scalar(tf):
    s = tf.constant(1.0).shape
    return str(s), repr(s), s.rank, s.as_list(), s == ()


@case
def shape_slice(tf):
    s = tf.constant(np.zeros((2, 3, 4), dtype=np.float32)).shape
    return s[1:], str(s[1:]), repr(s[1:])


@case
def shape_ops(tf):
    x = tf.constant(np.zeros((2, 3), dtype=np.float32))
    return tf.shape(x), tf.size(x), tf.rank(x), tf.shape(x)[0]


@case
def is_tensor(tf):
    return (tf.is_tensor(tf.constant(1.0)), tf.is_tensor(tf.Variable(1.0)), tf.is_tensor(1.0),
            tf.is_tensor(np.ones(2)), isinstance(tf.constant(1.0), tf.Tensor),
            isinstance(tf.Variable(1.0), tf.Variable), isinstance(tf.Variable(1.0), tf.Tensor))


# =============================================================================================
# Tensor protocol: printing, numpy, python conversions, indexing

@case
def print_tensors(tf):
    for v in [1.0, [1., 2., 3.], A32, np.arange(24, dtype=np.float32).reshape(2, 3, 4),
              [True, False], [1, 2, 3], A64, np.zeros((0, 2), dtype=np.float32), 2**40,
              np.arange(2000, dtype=np.float32), [[1e-8, 1e8]], [float('nan'), float('inf')]]:
        t = tf.constant(v)
        print(t)
        print(repr(t))
    return None


@case
def print_variables(tf):
    for v in [3.0, [1., 2.], A32, [1, 2], [True]]:
        var = tf.Variable(v, name='v')
        print(var)
        print(repr(var))
    return None


@case
def print_variable_default_name(tf):
    print(repr(tf.Variable(1.0)))
    return tf.Variable(1.0).name


@case
def print_op_results(tf):
    x = tf.constant(A32)
    print(x * 2)
    print(tf.reduce_sum(x))
    print(x > 0)
    print(tf.cast(x, tf.int32))
    print(tf.reduce_mean(x, axis=0))
    return None


@case
def format_strings(tf):
    x = tf.constant(2.5)
    return f"{x}", f"{x:.3f}", "%s" % tf.constant([1., 2.]), f"{tf.constant([1., 2.])}"


@case
def format_variable_spec(tf):
    return f"{tf.Variable(1.5):.1f}"


@case
def numpy_protocol(tf):
    x = tf.constant(A32)
    s = tf.constant(2.0)
    return (x.numpy(), s.numpy(), type(s.numpy()).__name__, np.array(x), np.asarray(x, dtype=np.float64),
            float(s), int(tf.constant(3)), bool(tf.constant(True)), x.numpy().tolist(),
            np.mean(x), np.sum(tf.constant([1, 2])))


@case
def numpy_of_variable(tf):
    v = tf.Variable([1., 2.])
    return v.numpy(), type(v.numpy()).__name__, np.array(v), float(tf.Variable(2.0))


@case
def bool_of_multi_element(tf):
    return bool(tf.constant([1., 2.]))


@case
def if_on_tensor(tf):
    x = tf.constant(2.0)
    return "pos" if x > 0 else "neg"


@case
def len_iter(tf):
    x = tf.constant(A32)
    return len(x), [r for r in x], list(tf.constant([1, 2, 3]))


@case
def len_scalar(tf):
    return len(tf.constant(1.0))


@case
def hash_tensor(tf):
    return hash(tf.constant(1.0))


@case
def ref_dict(tf):
    a = tf.constant(1.0)
    b = tf.constant(1.0)
    d = {a.ref(): 'a', b.ref(): 'b'}
    return len(d), d[a.ref()], a.ref().deref() is a


@case
def index_basic(tf):
    x = tf.constant(np.arange(24, dtype=np.float32).reshape(2, 3, 4))
    return x[0], x[-1], x[:, 1], x[1:], x[..., 0], x[0, 1, 2], x[:, :, 1:3], x[0][1]


@case
def index_tensor_int(tf):
    x = tf.constant([10., 20., 30.])
    return x[tf.constant(1)]


@case
def index_step(tf):
    return tf.constant([1., 2., 3., 4.])[::2]


@case
def index_reverse(tf):
    return tf.constant([1., 2., 3.])[::-1]


@case
def index_newaxis(tf):
    return tf.constant([1., 2.])[None, :]


@case
def index_out_of_bounds(tf):
    return tf.constant([1., 2., 3.])[5]


@case
def index_variable(tf):
    v = tf.Variable(A32)
    return v[0], v[:, 1]


@case
def index_gradient(tf):
    v = tf.Variable(A32)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(v[1, 1:] ** 2)
    return tape.gradient(y, v)


# =============================================================================================
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


# =============================================================================================
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


# =============================================================================================
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


# =============================================================================================
# Keras Dense

def _fixed_dense(tf, units=2, activation=None, in_dim=3, use_bias=True):
    layer = tf.keras.layers.Dense(units, activation=activation, use_bias=use_bias)
    layer(tf.zeros((1, in_dim)))
    k = (np.arange(in_dim * units, dtype=np.float32).reshape(in_dim, units) - 2.5) / 5
    layer.kernel.assign(k)
    if use_bias:
        layer.bias.assign(np.linspace(-0.2, 0.2, units).astype(np.float32))
    return layer


for _act in (None, 'relu', 'tanh', 'sigmoid', 'softmax', 'linear', 'softplus', 'elu', 'exponential'):
    def _mk(act=_act):
        def run(tf):
            layer = _fixed_dense(tf, 3, act)
            x = tf.constant([[1., 2., 3.], [-1., 0.5, 0.]])
            with tf.GradientTape() as tape:
                y = layer(x)
                loss = tf.reduce_mean(y ** 2)
            return y, loss, tape.gradient(loss, layer.trainable_variables)
        return run
    CASES.append((f"dense_activation_{_act}", _mk()))


@case
def dense_callable_activation(tf):
    layer = _fixed_dense(tf, 2, tf.nn.relu)
    return layer(tf.constant([[1., 2., 3.]]))


@case
def dense_variables(tf):
    layer = tf.keras.layers.Dense(4)
    before = (layer.built, len(layer.trainable_variables))
    layer(tf.ones((2, 3)))
    return (before, layer.built, [v.name for v in layer.trainable_variables],
            [tuple(v.shape) for v in layer.trainable_variables], len(layer.weights),
            len(layer.non_trainable_variables), [v.dtype == tf.float32 for v in layer.weights],
            tuple(layer.kernel.shape), layer.units)


@case
def dense_no_bias(tf):
    layer = _fixed_dense(tf, 2, None, use_bias=False)
    return [v.name for v in layer.trainable_variables], layer.bias is None, layer(tf.constant([[1., 2., 3.]]))


@case
def dense_list_input(tf):
    layer = _fixed_dense(tf, 2)
    return layer([[1., 2., 3.]])


@case
def dense_numpy_input(tf):
    layer = _fixed_dense(tf, 2)
    return layer(np.array([[1., 2., 3.]], dtype=np.float32))


@case
def dense_numpy_f64_input(tf):
    layer = _fixed_dense(tf, 2)
    return layer(np.array([[1., 2., 3.]]))


@case
def dense_int_input(tf):
    layer = _fixed_dense(tf, 2)
    return layer(tf.constant([[1, 2, 3]]))


@case
def dense_3d_input(tf):
    layer = _fixed_dense(tf, 2)
    return layer(tf.constant(np.arange(12, dtype=np.float32).reshape(2, 2, 3)))


@case
def dense_1d_input(tf):
    layer = tf.keras.layers.Dense(2)
    return layer(tf.constant([1., 2., 3.]))


@case
def dense_wrong_input_dim(tf):
    layer = _fixed_dense(tf, 2)
    return layer(tf.constant([[1., 2.]]))


@case
def dense_explicit_build(tf):
    layer = tf.keras.layers.Dense(2)
    layer.build((None, 3))
    layer(tf.ones((1, 3)))
    return layer.built, len(layer.trainable_variables), len(layer.weights)


@case
def dense_kernel_initializer_ones(tf):
    layer = tf.keras.layers.Dense(2, kernel_initializer='ones')
    return layer(tf.constant([[1., 2., 3.]]))


@case
def dense_kernel_initializer_random_normal_shape(tf):
    layer = tf.keras.layers.Dense(2, kernel_initializer='random_normal', bias_initializer='ones')
    return Meta(layer(tf.constant([[1., 2., 3.]])))


@case
def dense_glorot_range(tf):
    layer = tf.keras.layers.Dense(50)
    layer(tf.ones((1, 30)))
    k = layer.kernel.numpy()
    lim = np.sqrt(6 / 80)
    return bool(np.all(np.abs(k) <= lim)), float(np.abs(k).max()) > lim / 2, layer.bias.numpy()


@case
def dense_training_loop(tf):
    layer = _fixed_dense(tf, 2, 'relu')
    x = tf.constant([[1., 2., 3.], [0.5, -1., 2.]])
    target = tf.constant([[1., 0.], [0., 1.]])
    losses = []
    for _ in range(5):
        with tf.GradientTape() as tape:
            y = layer(x)
            loss = tf.reduce_mean((y - target) ** 2)
        grads = tape.gradient(loss, layer.trainable_variables)
        for v, g in zip(layer.trainable_variables, grads):
            v.assign_sub(0.1 * g)
        losses.append(float(loss))
    return losses, layer.kernel.numpy(), layer.bias.numpy()


@case
def dense_two_layers_training(tf):
    l1 = _fixed_dense(tf, 4, 'tanh')
    l2 = _fixed_dense(tf, 2, None, in_dim=4)
    x = tf.constant([[1., 2., 3.], [0.5, -1., 2.]])
    labels = tf.constant([0, 1])
    for _ in range(3):
        with tf.GradientTape() as tape:
            logits = l2(l1(x))
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
        vars_ = l1.trainable_variables + l2.trainable_variables
        grads = tape.gradient(loss, vars_)
        for v, g in zip(vars_, grads):
            v.assign_sub(0.5 * g)
    return loss, [v.numpy() for v in vars_]


@case
def dense_kernel_is_variable(tf):
    layer = _fixed_dense(tf, 2)
    return NoRepr(layer.kernel), layer.kernel.trainable, NoRepr(layer.bias)


@case
def dense_variable_print_name(tf):
    layer = _fixed_dense(tf, 2)
    for var in layer.trainable_variables:
        print(var.name)
    return None


@case
def dense_unused_variable_gradient(tf):
    layer = _fixed_dense(tf, 2)
    other = tf.Variable(1.0)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(layer(tf.constant([[1., 2., 3.]])))
    return tape.gradient(y, layer.trainable_variables + [other])


@case
def dense_watched_variables_names(tf):
    layer = _fixed_dense(tf, 2)
    with tf.GradientTape() as tape:
        layer(tf.constant([[1., 2., 3.]]))
    # TF returns the layer's underlying tf.Variables ('dense_3/kernel:0'): compare the last part
    return sorted(v.name.split('/')[-1] for v in tape.watched_variables())


# =============================================================================================
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



# =============================================================================================
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


# =============================================================================================
# The autodiff guide the seed notebook links to (tensorflow.org/guide/autodiff), its cells
# (tf.linspace replaced by a numpy linspace)

@case
def guide_intermediate_results(tf):
    x = tf.constant(3.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
        z = y * y
    print(tape.gradient(z, y).numpy())
    return None


@case
def guide_persistent(tf):
    x = tf.constant([1, 3.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
        z = y * y
    print(tape.gradient(z, x).numpy())
    print(tape.gradient(y, x).numpy())
    del tape
    return None


@case
def guide_watch_accessed_false_dict(tf):
    x0 = tf.Variable(0.0)
    x1 = tf.Variable(10.0)
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(x1)
        y0 = tf.math.sin(x0)
        y1 = tf.nn.softplus(x1)
        y = y0 + y1
        ys = tf.reduce_sum(y)
    grad = tape.gradient(ys, {'x0': x0, 'x1': x1})
    print('dy/dx0:', grad['x0'])
    print('dy/dx1:', grad['x1'].numpy())
    return None


@case
def guide_watched_variables_names(tf):
    x0 = tf.Variable(0.0, name='x0')
    x1 = tf.Variable(10.0, name='x1')
    with tf.GradientTape() as tape:
        y = x0 * x1
    return [var.name for var in tape.watched_variables()]


@case
def guide_nonscalar_targets(tf):
    x = tf.Variable(2.0)
    with tf.GradientTape(persistent=True) as tape:
        y0 = x**2
        y1 = 1 / x
    print(tape.gradient(y0, x).numpy())
    print(tape.gradient(y1, x).numpy())
    print(tape.gradient({'y0': y0, 'y1': y1}, x).numpy())
    return None


@case
def guide_sum_of_targets(tf):
    x = tf.Variable(2.)
    with tf.GradientTape() as tape:
        y = x * [3., 4.]
    print(tape.gradient(y, x).numpy())
    return None


@case
def guide_sigmoid_linspace(tf):
    x = tf.constant(np.linspace(-10.0, 10.0, 201).astype(np.float32))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.nn.sigmoid(x)
    dy_dx = tape.gradient(y, x)
    return dy_dx


@case
def guide_control_flow(tf):
    x = tf.constant(1.0)
    v0 = tf.Variable(2.0)
    v1 = tf.Variable(2.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        if x > 0.0:
            result = v0
        else:
            result = v1**2
    dv0, dv1 = tape.gradient(result, [v0, v1])
    print(dv0)
    print(dv1)
    dx = tape.gradient(result, x)
    print(dx)
    return None


@case
def guide_none_unconnected(tf):
    x = tf.Variable(2.)
    y = tf.Variable(3.)
    with tf.GradientTape() as tape:
        z = y * y
    print(tape.gradient(z, x))
    return None


@case
def guide_variable_replaced_by_tensor(tf):
    x = tf.Variable(2.0)
    for epoch in range(2):
        with tf.GradientTape() as tape:
            y = x + 1
        print(isinstance(x, tf.Variable), ":", tape.gradient(y, x))
        x = x + 1
    return None


@case
def guide_through_numpy(tf):
    x = tf.Variable([[1.0, 2.0], [3.0, 4.0]], dtype=tf.float32)
    with tf.GradientTape() as tape:
        x2 = x**2
        y = np.mean(x2, axis=0)
        y = tf.reduce_mean(y, axis=0)
    print(tape.gradient(y, x))
    return None


@case
def guide_numpy_target(tf):
    x = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        z = x.numpy() ** 2
    return tape.gradient(z, x)


@case
def guide_int_gradient(tf):
    x = tf.constant(10)
    with tf.GradientTape() as g:
        g.watch(x)
        y = x * x
    print(g.gradient(y, x))
    return None


@case
def guide_stateful(tf):
    x0 = tf.Variable(3.0)
    x1 = tf.Variable(0.0)
    with tf.GradientTape() as tape:
        x1.assign_add(x0)
        y = x1**2
    print(tape.gradient(y, x0))
    return None


@case
def guide_zeros_instead_of_none(tf):
    x = tf.Variable([2., 2.])
    y = tf.Variable(3.)
    with tf.GradientTape() as tape:
        z = y**2
    print(tape.gradient(z, x, unconnected_gradients=tf.UnconnectedGradients.ZERO))
    return None


@case
def fstring_loss_in_training_loop(tf):
    w = tf.Variable([1., -2.])
    for step in range(2):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(w ** 2)
        w.assign_sub(0.1 * tape.gradient(loss, w))
        print(f"step {step}: loss {loss}")
    return None


# Commonly used TF API that gradd does not have (reported as lacking) -------------------------

for _nm, _src in [
    ("tf_linspace", "tf.linspace(0., 1., 5)"), ("tf_range", "tf.range(5)"),
    ("tf_print", "tf.print(tf.constant(1.0))"), ("tf_eye", "tf.eye(2)"),
    ("tf_norm", "tf.norm(tf.constant([3., 4.]))"), ("tf_reduce_std", "tf.math.reduce_std(tf.constant([1., 3.]))"),
    ("tf_sign", "tf.sign(tf.constant([-2., 3.]))"), ("tf_math_floor", "tf.math.floor(tf.constant([1.5]))"),
    ("tf_keras_losses_mse", "tf.keras.losses.MeanSquaredError()(tf.constant([1.]), tf.constant([3.]))"),
    ("tf_keras_optimizers_sgd", "type(tf.keras.optimizers.SGD(0.1)).__name__"),
    ("tf_keras_sequential", "len(tf.keras.Sequential([tf.keras.layers.Dense(2)])(tf.ones((1, 3))).shape)"),
    ("tf_function", "tf.function(lambda x: x * 2)(tf.constant(1.0))"),
    ("tf_tensor_spec", "tf.TensorSpec((2,), tf.float32).shape.as_list()"),
]:
    CASES.append((f"lacking_{_nm}", (lambda src: lambda tf: eval(src, {"tf": tf}))(_src)))


# Differences judged NOT to be gradd bugs (gradd lacks an API it does not claim, accepts what
# TF rejects, a documented design choice, or TF's own quirk). Reported as "known", not "DIFF".
KNOWN = {
    # gradd lacks it (not claimed by the READMEs; raises a clear error)
    "op_floordiv": ("lacking", "no __floordiv__ (tf.math.floordiv)"),
    "op_mod": ("lacking", "no __mod__ (tf.math.floormod)"),
    "index_step": ("lacking", "slices with step != 1 (NotImplementedError, by design)"),
    "index_reverse": ("lacking", "slices with step != 1 (NotImplementedError, by design)"),
    "index_newaxis": ("lacking", "None/tf.newaxis in indexing"),
    "math_one_hot_on_off": ("lacking", "one_hot on_value/off_value/axis (NotImplementedError)"),
    "matmul_linalg": ("lacking", "no tf.linalg module"),
    "nn_softmax_axis0": ("lacking", "softmax over a non-last axis (explicit ValueError)"),
    "err_unknown_dtype": ("lacking", "complex dtypes"),
    **{f"lacking_{n}": ("lacking", "not in gradd") for n in (
        "tf_linspace", "tf_range", "tf_print", "tf_eye", "tf_norm", "tf_reduce_std", "tf_sign",
        "tf_math_floor", "tf_keras_losses_mse", "tf_keras_optimizers_sgd", "tf_keras_sequential",
        "tf_function", "tf_tensor_spec")},
    "shape_gather_gradient_type": ("doc", "gather's gradient is dense, TF returns IndexedSlices"),
    # gradd is more lenient than TF
    "op_pos_float32": ("lenient", "unary + works (TF: TypeError)"),
    "op_pos_float64": ("lenient", "unary + works (TF: TypeError)"),
    "create_constant_integral_float_to_int": ("lenient", "tf.constant([1.0], dtype=int32) accepted"),
    "format_variable_spec": ("lenient", "format spec on a Variable works (TF: TypeError)"),
    "var_assign_dtype_mismatch": ("lenient", "assigning an int32 tensor to a float variable casts"),
    "tape_jacobian_no_pfor": ("lenient", "experimental_use_pfor=False needs no persistent tape"),
    "tape_reset_persistent": ("lenient", "reset() outside the with block allowed"),
    "tape_source_python_float": ("lenient", "a Python float source gives None (TF: AttributeError)"),
    "guide_numpy_target": ("lenient", "a numpy target gives None (TF: AttributeError)"),
    "tape_target_python_float": ("lenient", "a Python float target gives None (TF: AttributeError)"),
    "dense_list_input": ("lenient", "Dense accepts a nested Python list (Keras 3 refuses)"),
    # TF's own quirk: nest.flatten of output_gradients silently misuses the values
    "tape_output_gradients_list": ("tf-quirk", "TF flattens nested lists in output_gradients; gradd raises ValueError"),
    "tape_output_gradients_python_list": ("tf-quirk", "TF uses only the first number of a list; gradd raises ValueError"),
    "tape_output_gradients_nested_list_2d": ("tf-quirk", "TF returns a scalar garbage gradient; gradd raises ValueError"),
    # documented design
    "err_deferred_try_except": ("doc", "errors surface when the batch runs (client README)"),
    "var_assign_return_repr": ("cosmetic", "TF's assign returns an 'UnreadVariable' (repr name)"),
}

# The differences judged to be gradd bugs, by minimal repro (written to /tmp/client_repro/ by
# the session that added this script; the names say what each is). Fixed ones are removed from
# this list and pinned by clients/python/tests/test_tf_compat.py: 01-07 and 09-20 (numpy operand
# dtypes, Dense casts/build/initializers/input checks, int truediv, <=/>= with NaN, format,
# binary functions on lists, batch_jacobian zeros and shape checks, failed assigns, second
# gradient RuntimeError, convert_to_tensor(variable), TensorShape slices, the Enum, index and
# assign exception classes, TypeError for Python values that do not fit).
REAL = {
    "08_reentered_persistent_tape_forgets": ("tape_reenter_persistent_accumulates",),
}


def _repro_of(name):
    for repro, prefixes in REAL.items():
        if any(name.startswith(p) for p in prefixes):
            return repro
    return None


# =============================================================================================
# Harness

def _normalize_text(s):
    s = s.replace("gradd.Tensor", "tf.Tensor").replace("gradd.Variable", "tf.Variable")
    s = re.sub(r"\bgradd\.(float32|float64|int32|int64|bool|double)\b", r"tf.\1", s)
    return s


def _normalize_var_names(s):
    # documented: TF's tf.Variable names carry ':0'
    s = re.sub(r"^([\w/.-]+):0$", r"\1", s)
    return re.sub(r"'([\w/.-]+):0'", r"'\1'", s)


def _tensor_kind(x, mod):
    if isinstance(x, mod.Variable):
        return "variable"
    if isinstance(x, mod.Tensor):
        return "tensor"
    if hasattr(x, "assign") and hasattr(x, "numpy"):
        return "keras_variable"
    return type(x).__name__


def observe(x, mod, depth=0):
    """A JSON-able description of what a user sees of `x`."""
    if x is None:
        return {"t": "None"}
    if isinstance(x, Meta):
        v = x.x
        return {"t": "meta", "shape": list(v.shape), "dtype": getattr(v.dtype, "name", str(v.dtype))}
    if isinstance(x, NoRepr):
        o = observe(x.x, mod, depth)
        o.pop("str", None)
        o.pop("repr", None)
        if o.get("kind") == "keras_variable":
            o["kind"] = "variable"
        return o
    if isinstance(x, bool):
        return {"t": "bool", "v": x}
    if isinstance(x, int):
        return {"t": "int", "v": x}
    if isinstance(x, float):
        return {"t": "float", "v": x}
    if isinstance(x, str):
        return {"t": "str", "v": _normalize_text(x)}
    if isinstance(x, np.ndarray):
        return {"t": "ndarray", "dtype": str(x.dtype), "shape": list(x.shape), "v": x}
    if isinstance(x, np.generic):
        return {"t": "npscalar", "type": type(x).__name__, "v": np.asarray(x)}
    if isinstance(x, (list, tuple)) and not hasattr(x, "as_list"):
        return {"t": type(x).__name__, "items": [observe(v, mod, depth + 1) for v in x]}
    if isinstance(x, dict):
        return {"t": "dict", "items": {str(k): observe(v, mod, depth + 1) for k, v in sorted(x.items())}}
    if hasattr(x, "as_list"):  # TensorShape
        return {"t": "shape", "v": list(x.as_list()), "str": str(x), "repr": _normalize_text(repr(x))}
    if hasattr(x, "numpy") and hasattr(x, "dtype") and hasattr(x, "shape"):
        kind = _tensor_kind(x, mod)
        o = {"t": "tensor", "kind": kind, "dtype": getattr(x.dtype, "name", str(x.dtype)),
             "shape": list(x.shape), "v": np.asarray(x.numpy())}
        if kind in ("tensor", "variable"):
            o["str"] = _normalize_text(str(x))
            o["repr"] = _normalize_text(repr(x))
        return o
    if type(x).__name__ == "DType" or (hasattr(x, "as_numpy_dtype") and hasattr(x, "name")):
        return {"t": "dtype", "name": x.name}
    return {"t": "other", "type": type(x).__name__, "str": _normalize_text(str(x))[:200]}


_NUM = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|nan|inf")


def _tol(dtype):
    if "float64" in str(dtype):
        return dict(rtol=1e-9, atol=1e-12)
    return dict(rtol=2e-5, atol=2e-6)


def _values_close(a, b, dtype):
    a = np.asarray(a)
    b = np.asarray(b)
    if a.shape != b.shape:
        return False
    if a.dtype.kind in "fc" or b.dtype.kind in "fc":
        return bool(np.allclose(a.astype(np.float64), b.astype(np.float64), equal_nan=True, **_tol(dtype)))
    return bool(np.array_equal(a, b))


def _text_compare(a, b):
    """'exact', 'doc' (equal after documented normalizations), 'approx' (numbers within
    float32 tolerance) or None (different)."""
    if a == b:
        return "exact"
    na, nb = _normalize_var_names(a), _normalize_var_names(b)
    if na == nb:
        return "doc"
    ta, tb = _NUM.split(na), _NUM.split(nb)
    if [" ".join(t.split()) for t in ta] != [" ".join(t.split()) for t in tb]:
        return None
    xa = [float(v) for v in _NUM.findall(na)]
    xb = [float(v) for v in _NUM.findall(nb)]
    if len(xa) != len(xb):
        return None
    if np.allclose(xa, xb, rtol=1e-4, atol=1e-5, equal_nan=True):
        return "approx"
    return None


def compare(a, b, path="$"):
    """Returns (diffs, notes): lists of strings."""
    diffs, notes = [], []
    if a.get("t") != b.get("t"):
        return [f"{path}: TF {_short(a)} vs gradd {_short(b)}"], notes
    t = a["t"]
    if t in ("list", "tuple"):
        if len(a["items"]) != len(b["items"]):
            return [f"{path}: {t} of {len(a['items'])} vs {len(b['items'])}"], notes
        for i, (x, y) in enumerate(zip(a["items"], b["items"])):
            d, n = compare(x, y, f"{path}[{i}]")
            diffs += d
            notes += n
        return diffs, notes
    if t == "dict":
        if sorted(a["items"]) != sorted(b["items"]):
            return [f"{path}: keys {sorted(a['items'])} vs {sorted(b['items'])}"], notes
        for k in a["items"]:
            d, n = compare(a["items"][k], b["items"][k], f"{path}[{k!r}]")
            diffs += d
            notes += n
        return diffs, notes
    for key in ("kind", "dtype", "shape", "type", "name"):
        if key in a or key in b:
            if a.get(key) != b.get(key):
                diffs.append(f"{path}.{key}: TF {a.get(key)!r} vs gradd {b.get(key)!r}")
    if "v" in a or "v" in b:
        va, vb = a.get("v"), b.get("v")
        if isinstance(va, (np.ndarray, np.generic)) or isinstance(vb, (np.ndarray, np.generic)):
            if not _values_close(va, vb, a.get("dtype", "")):
                diffs.append(f"{path}.value: TF {_arr(va)} vs gradd {_arr(vb)}")
        elif isinstance(va, float) and isinstance(vb, float):
            if not _values_close(va, vb, "float32"):
                diffs.append(f"{path}.value: TF {va!r} vs gradd {vb!r}")
        elif t == "str":
            r = _text_compare(va, vb)
            if r is None:
                diffs.append(f"{path}: TF {va!r} vs gradd {vb!r}")
            elif r == "doc":
                notes.append("doc")
        elif va != vb:
            diffs.append(f"{path}.value: TF {va!r} vs gradd {vb!r}")
    for key in ("str", "repr"):
        if key in a and key in b:
            r = _text_compare(a[key], b[key])
            if r is None:
                diffs.append(f"{path}.{key}: TF {a[key]!r} vs gradd {b[key]!r}")
            elif r == "doc":
                notes.append("doc")
    return diffs, notes


def _arr(v):
    s = np.array2string(np.asarray(v), precision=8, threshold=20)
    return s if len(s) < 300 else s[:300] + "..."


def _short(o):
    if o.get("t") == "raise":
        return f"raises {o['type']}({o['msg'][:160]!r})"
    if o.get("t") == "tensor":
        return f"tensor {o['dtype']} {o['shape']} {_arr(o['v'])}"
    if o.get("t") == "other":
        return f"{o['type']} {o['str'][:100]!r}"
    return json.dumps({k: v for k, v in o.items() if k != "v"}, default=str)[:200] + (
        f" v={o['v']!r}" if "v" in o and not isinstance(o["v"], np.ndarray) else "")


def run_one(fn, mod, flush=None):
    out = io.StringIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with contextlib.redirect_stdout(out):
            try:
                r = fn(mod)
                if flush is not None:
                    flush()
                obs = observe(r, mod)
            except Exception as e:  # noqa: BLE001 - what a user sees
                obs = {"t": "raise", "type": type(e).__name__,
                       "mro": [c.__name__ for c in type(e).__mro__], "msg": str(e).strip().splitlines()[0] if str(e).strip() else ""}
    return obs, out.getvalue()


def compare_run(tf_res, gd_res):
    (a, out_a), (b, out_b) = tf_res, gd_res
    notes = []
    if a["t"] == "raise" or b["t"] == "raise":
        if a["t"] == "raise" and b["t"] == "raise":
            # gradd's class mirrors TF's by name (tf.errors.X -> gradd.X); a builtin class
            # must be the same or a base of gradd's.
            if a["type"] == b["type"] or a["type"] in b["mro"]:
                diffs = []
            else:
                diffs = [f"exception: TF {a['type']}({a['msg'][:160]!r}) vs gradd {b['type']}({b['msg'][:160]!r})"]
        else:
            diffs = [f"result: TF {_short(a)} vs gradd {_short(b)}"]
    else:
        diffs, notes = compare(a, b)
    if out_a != out_b:
        r = _text_compare(_normalize_text(out_a), _normalize_text(out_b))
        if r is None:
            diffs.append(f"stdout: TF {out_a!r} vs gradd {out_b!r}")
        elif r == "doc" or _normalize_text(out_b) != out_b:
            notes.append("doc")
    elif "gradd." in out_b:
        notes.append("doc")
    return diffs, notes


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--addr", default=os.environ.get("GRADD_ADDR", "127.0.0.1:50051"))
    ap.add_argument("-k", "--filter", action="append", default=[],
                    help="run only snippets whose name contains this (repeatable)")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every snippet")
    ap.add_argument("--json", help="write per-snippet results here")
    ap.add_argument("--list", action="store_true", help="list snippet names and exit")
    args = ap.parse_args()
    if args.list:
        for n, _ in CASES:
            print(n)
        return 0
    os.environ["GRADD_ADDR"] = args.addr
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow
    tensorflow.get_logger().setLevel("ERROR")
    import gradd
    try:
        (gradd.constant(1.0) * 2).numpy()
    except gradd.GraddError as e:
        raise SystemExit(f"no gradd server on {args.addr}: {e}")

    names = [n for n, _ in CASES]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise SystemExit(f"duplicate snippet names: {sorted(dup)}")
    selected = [(n, f) for n, f in CASES if not args.filter or any(s in n for s in args.filter)]
    n_match = n_doc = 0
    differing, known = [], []
    records = []
    for name, fn in selected:
        tf_res = run_one(fn, tensorflow)
        gd_res = run_one(fn, gradd, flush=gradd.flush)
        try:
            diffs, notes = compare_run(tf_res, gd_res)
        except Exception:  # noqa: BLE001 - a harness bug must not hide the other snippets
            diffs, notes = [f"harness error: {traceback.format_exc().splitlines()[-1]}"], []
        status = "DIFF" if diffs else ("match (doc)" if notes else "match")
        if diffs and name in KNOWN:
            status = f"known ({KNOWN[name][0]}: {KNOWN[name][1]})"
            known.append(name)
        elif diffs:
            differing.append((name, diffs))
        elif notes:
            n_doc += 1
        else:
            n_match += 1
        records.append({"name": name, "status": status, "diffs": diffs,
                        "tf": json.loads(json.dumps(tf_res[0], default=_jsonable)),
                        "gradd": json.loads(json.dumps(gd_res[0], default=_jsonable))})
        if args.verbose or diffs:
            repro = _repro_of(name) if status == "DIFF" else None
            print(f"{status:12s} {name}" + (f"   [repro {repro}]" if repro else "")
                  if not status.startswith("known") else f"{name}: {status}")
            if status == "DIFF" or args.verbose:
                for d in diffs:
                    print(f"    - {d}")
    unused = sorted(set(KNOWN) - {n for n, _ in CASES})
    if unused:
        print(f"KNOWN entries without a snippet: {unused}")
    unexplained = [n for n, _ in differing if _repro_of(n) is None]
    if unexplained:
        print(f"DIFF without a repro in REAL (new?): {unexplained}")
    print(f"\n{len(selected)} snippets: {n_match + n_doc} match ({n_doc} after the documented "
          f"normalizations), {len(differing) + len(known)} differ: {len(known)} known "
          f"(lacking/lenient/documented/TF quirk), {len(differing)} real (DIFF; see REAL)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(records, f, indent=1)
    return 1 if differing else 0


def _jsonable(v):
    if isinstance(v, (np.ndarray, np.generic)):
        return np.asarray(v).tolist() if np.asarray(v).size < 200 else f"<array {np.shape(v)}>"
    return str(v)


if __name__ == "__main__":
    sys.exit(main())
