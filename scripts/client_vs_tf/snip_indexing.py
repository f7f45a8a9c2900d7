"""Snippets: strided indexing (any step, tf.newaxis, Ellipsis) on tensors and variables and its
gradients, softmax/log_softmax over any axis, one_hot's on/off values, axis and dtype rules,
tf.function and tf.print. Each is a function of `tf`, run once with TensorFlow and once with
gradd (see __main__.py)."""
import contextlib
import io
import os
import sys
import tempfile

from snip_common import *  # noqa: F401,F403

R1 = np.arange(7, dtype=np.float32)
R2 = np.arange(20, dtype=np.float32).reshape(4, 5)
R3 = np.arange(60, dtype=np.float32).reshape(3, 4, 5)


# Indexing: values and shapes ---------------------------------------------------------------

_KEYS = [
    # 1-D
    ('1d_step2', R1, np.s_[::2]), ('1d_step3_from1', R1, np.s_[1::3]),
    ('1d_reverse', R1, np.s_[::-1]), ('1d_rev_step2', R1, np.s_[::-2]),
    ('1d_5_1_m2', R1, np.s_[5:1:-2]), ('1d_neg_bounds_rev', R1, np.s_[-2:-6:-1]),
    ('1d_oob_step', R1, np.s_[-100:100:3]), ('1d_oob_rev', R1, np.s_[100:-100:-3]),
    ('1d_empty_rev', R1, np.s_[1:5:-1]), ('1d_empty_step', R1, np.s_[5:1:2]),
    ('1d_step_big', R1, np.s_[::10]), ('1d_rev_big', R1, np.s_[::-10]),
    ('1d_newaxis_front', R1, np.s_[None]), ('1d_newaxis_back', R1, np.s_[:, None]),
    ('1d_newaxis_both', R1, np.s_[None, ::2, None]), ('1d_ellipsis_newaxis', R1, np.s_[..., None]),
    ('1d_int_newaxis', R1, np.s_[None, 3]), ('1d_ellipsis_alone', R1, np.s_[...]),
    # 2-D
    ('2d_cols_step3', R2, np.s_[:, ::3]), ('2d_rows_rev', R2, np.s_[::-1]),
    ('2d_both_rev', R2, np.s_[::-1, ::-1]), ('2d_row_int_rev', R2, np.s_[1, ::-2]),
    ('2d_col_int_step', R2, np.s_[::2, -1]), ('2d_newaxis_mid', R2, np.s_[:, None, 1:4]),
    ('2d_ellipsis_step', R2, np.s_[..., ::2]), ('2d_ellipsis_int_rev', R2, np.s_[..., 0, ::-1]),
    ('2d_newaxis_ellipsis', R2, np.s_[None, ..., None]), ('2d_oob_both', R2, np.s_[10:-10:-2, -7:9:2]),
    ('2d_empty_rows', R2, np.s_[3:1, ::2]), ('2d_newaxis_int_int', R2, np.s_[2, None, 3]),
    # 3-D
    ('3d_mixed', R3, np.s_[None, ..., ::2, 1]), ('3d_rev_newaxis_step', R3, np.s_[::-1, None, ::-2]),
    ('3d_int_ellipsis_rev', R3, np.s_[1, ..., ::-3]), ('3d_all_strided', R3, np.s_[::2, 1::2, ::-2]),
    ('3d_ellipsis_mid', R3, np.s_[::-2, ..., 4]), ('3d_newaxis_everywhere', R3, np.s_[None, 0, None, ::3, None]),
    ('3d_tuple_int_step', R3, np.s_[2, 3, ::-1]), ('3d_steps_oob', R3, np.s_[-9::5, 100::-2, -100::4]),
]

for _nm, _arr, _key in _KEYS:
    CASES.append((f"index_strided_{_nm}", (lambda a, k: lambda tf: tf.constant(a)[k])(_arr, _key)))
    CASES.append((f"index_strided_var_{_nm}", (lambda a, k: lambda tf: tf.Variable(a)[k])(_arr, _key)))


@case
def index_strided_tensor_bounds(tf):
    x = tf.constant(R1)
    return x[tf.constant(5):tf.constant(1):tf.constant(-2)], x[::tf.constant(3)]


@case
def index_strided_numpy_ints(tf):
    x = tf.constant(R2)
    return x[np.int64(3)::np.int32(-2)], x[np.array(1), ::np.int64(2)]


@case
def index_strided_int64_dtype(tf):
    return tf.constant(np.arange(10, dtype=np.int64))[::-3], tf.constant([[1, 2], [3, 4]])[::-1, None]


@case
def index_strided_float64(tf):
    return tf.constant(R2.astype(np.float64))[None, ::2, ::-1]


@case
def index_scalar_newaxis(tf):
    x = tf.constant(5.0)
    return x[None], x[..., None], x[None, None], x[...]


@case
def index_newaxis_constant(tf):
    return tf.newaxis is None, tf.constant(R1)[tf.newaxis, :, tf.newaxis]


@case
def index_strided_list_key(tf):
    return tf.constant(R3)[[0, 1]]


# Indexing: errors --------------------------------------------------------------------------

for _nm, _arr, _key in [
    ('step_zero', R1, np.s_[::0]), ('step_zero_2d', R2, np.s_[:, ::0]),
    ('step_zero_newaxis', R2, np.s_[None, 1::0]),
    ('two_ellipses', R3, np.s_[..., ...]), ('too_many_newaxis', R2, np.s_[None, 0, 0, 0]),
    ('too_many_ellipsis', R2, np.s_[..., 0, 0, 0]), ('oob_newaxis', R2, np.s_[None, 4]),
    ('oob_neg_strided', R2, np.s_[::2, -6]), ('float_index_newaxis', R2, np.s_[None, 1.5]),
    ('float_step', R1, np.s_[::2.0]), ('str_index', R1, np.s_['a']),
    ('scalar_int_newaxis', np.float32(5), np.s_[None, 0]), ('scalar_step', np.float32(5), np.s_[::2]),
]:
    CASES.append((f"index_error_{_nm}", (lambda a, k: lambda tf: tf.constant(a)[k])(_arr, _key)))


@case
def index_error_float_tensor(tf):
    return tf.constant(R1)[::tf.constant(2.0)]


# Indexing: gradients -----------------------------------------------------------------------

@case
def index_grad_strided_1d(tf):
    v = tf.Variable(R1)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(v[::3] * 2.0) + tf.reduce_sum(v[::-2]) + tf.reduce_sum(v[5:0:-4] ** 2)
    return y, tape.gradient(y, v)


@case
def index_grad_strided_2d(tf):
    v = tf.Variable(R2)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(v[::-1, ::2] * [[1., 2., 3.]]) + tf.reduce_sum(v[None, 1, ::-3])
    return y, tape.gradient(y, v)


@case
def index_grad_strided_3d(tf):
    v = tf.Variable(R3 / 10)
    with tf.GradientTape() as tape:
        z = v[None, ..., ::2, 1] * v[:1, None, ::-2, 3]
        y = tf.reduce_sum(tf.sin(z))
    return z, tape.gradient(y, v)


@case
def index_grad_tensor_persistent(tf):
    x = tf.constant(R2)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        a = tf.reduce_sum(x[::2, ::-1] ** 2)
        b = tf.reduce_sum(x[..., None, 1::3])
    return tape.gradient(a, x), tape.gradient(b, x)


@case
def index_grad_empty_slice(tf):
    v = tf.Variable(R1)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(v[1:5:-1]) + tf.reduce_sum(v[::-1][:2])
    return tape.gradient(y, v)


# softmax / log_softmax over any axis -------------------------------------------------------

for _fn in ('softmax', 'log_softmax'):
    for _ax in (0, 1, -1, -2):
        for _mod in ('nn', 'math'):
            def _mk(fn=_fn, ax=_ax, mod=_mod):
                def snippet(tf):
                    v = tf.Variable(A32)
                    with tf.GradientTape() as tape:
                        y = getattr(getattr(tf, mod), fn)(v, axis=ax)
                        s = tf.reduce_sum(y * [[1., 2., 3.], [-1., 0.5, 2.]])
                    return y, tape.gradient(s, v)
                return snippet
            CASES.append((f"softmax_axis_{_mod}_{_fn}_{_ax}".replace('-', 'm'), _mk()))


@case
def softmax_axis_3d_float64(tf):
    x = tf.constant(R3.astype(np.float64) / 30)
    return tf.nn.softmax(x, axis=0), tf.nn.log_softmax(x, axis=1), tf.nn.softmax(x, axis=-2)


@case
def softmax_axis_out_of_range(tf):
    return tf.nn.softmax(tf.constant(A32), axis=2)


@case
def softmax_axis_out_of_range_negative(tf):
    return tf.nn.log_softmax(tf.constant(A32), axis=-3)


@case
def softmax_axis_tensor(tf):
    return tf.nn.softmax(tf.constant(A32), axis=tf.constant(0))


@case
def softmax_xent_axis0(tf):
    logits = tf.Variable(A32)
    labels = tf.constant([[0.2, 0.5, 0.], [0.8, 0.5, 1.]])
    with tf.GradientTape() as tape:
        loss = tf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits, axis=0)
    return loss, tape.gradient(loss, logits)


# one_hot -----------------------------------------------------------------------------------

_IDX = [[0, 2], [1, 5]]
for _nm, _kw in [
    ('default', {}), ('on_float', dict(on_value=5.0)), ('on_int', dict(on_value=5)),
    ('off_int', dict(off_value=-1)), ('on_off_float', dict(on_value=0.1, off_value=0.7)),
    ('on_off_mismatch', dict(on_value=1, off_value=0.5)), ('np_float64', dict(on_value=np.float64(2))),
    ('dtype_int32', dict(dtype='int32')), ('dtype_int64_values', dict(on_value=3, off_value=-3, dtype='int64')),
    ('dtype_float64_values', dict(on_value=2.5, off_value=0.5, dtype='float64')),
    ('value_dtype_mismatch', dict(on_value=5.0, dtype='int32')), ('bool', dict(on_value=True, off_value=False)),
    ('bool_inverted', dict(on_value=False, off_value=True)), ('dtype_bool_default', dict(dtype='bool')),
    ('axis0', dict(axis=0)), ('axis1', dict(axis=1)), ('axis2', dict(axis=2)), ('axis_m1', dict(axis=-1)),
    ('axis_m2', dict(axis=-2)), ('axis3', dict(axis=3)),
    ('axis0_on_off', dict(axis=0, on_value=2.0, off_value=-2.0)),
    ('tensor_on', dict(on_value='tensor_int64')), ('tensor_mismatch', dict(on_value='tensor_f32', off_value=1)),
    ('non_scalar_on', dict(on_value=[1., 2.])),
]:
    def _mk(kw=_kw):
        def snippet(tf):
            kw2 = dict(kw)
            if kw2.get('on_value') == 'tensor_int64':
                kw2['on_value'] = tf.constant(3, tf.int64)
            if kw2.get('on_value') == 'tensor_f32':
                kw2['on_value'] = tf.constant(2.0)
            if 'dtype' in kw2:
                kw2['dtype'] = getattr(tf, kw2['dtype'])
            return tf.one_hot(_IDX, 3, **kw2)
        return snippet
    CASES.append((f"one_hot_{_nm}", _mk()))


@case
def one_hot_scalar_index_axis0(tf):
    return tf.one_hot(1, 3, axis=0), tf.one_hot(tf.constant([0, -1, 3]), 3, on_value=2., off_value=-1.)


@case
def one_hot_int64_indices_depth0(tf):
    return tf.one_hot(np.array([1, 0], np.int64), 2, axis=0), tf.one_hot([1], 0)


@case
def one_hot_negative_depth(tf):
    return tf.one_hot([1], -1)


# tf.function -------------------------------------------------------------------------------

@case
def function_decorated(tf):
    @tf.function
    def f(x, y=2.0):
        return x * y + 1.0
    return f(tf.constant([1., 2.])), f(tf.constant(3.0), y=tf.constant(0.5)), f.__name__


@case
def function_with_options(tf):
    @tf.function(jit_compile=False, reduce_retracing=True)
    def step(w, x):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum((x @ w) ** 2)
        return loss, tape.gradient(loss, w)
    w = tf.Variable(W_SEED)
    return step(w, tf.constant([[1., 2., 3.]]))


@case
def function_input_signature(tf):
    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
    def f(x):
        return tf.reduce_sum(x * x)
    return f(tf.constant([1., 2.])), f([3., 4.])


@case
def function_input_signature_dtype_error(tf):
    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
    def f(x):
        return x
    return f(tf.constant([1, 2]))


@case
def function_input_signature_shape_error(tf):
    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
    def f(x):
        return x
    return f(tf.constant([[1., 2.]]))


@case
def function_input_signature_too_many(tf):
    f = tf.function(lambda x: x, input_signature=[tf.TensorSpec([], tf.float32)])
    return f(tf.constant(1.0), tf.constant(2.0))


@case
def function_bad_signature(tf):
    return tf.function(lambda x: x, input_signature=[1])


@case
def function_method(tf):
    class Model:
        def __init__(self):
            self.w = tf.Variable([2., 3.])

        @tf.function
        def __call__(self, x):
            return tf.reduce_sum(self.w * x)

        @tf.function(input_signature=[tf.TensorSpec([2], tf.float32)])
        def double(self, x):
            return self.w * x * 2.0
    m = Model()
    return m(tf.constant([1., 1.])), m.double(tf.constant([1., -1.]))


@case
def function_lambda_call(tf):
    return tf.function(lambda x: tf.nn.relu(x) * 2)(tf.constant(A32))


@case
def function_tensor_spec(tf):
    s = tf.TensorSpec([None, 2], tf.float64, name='x')
    return s.shape.as_list(), s.dtype, s.name, repr(s), tf.TensorSpec((2,)).shape.as_list()


# tf.print ----------------------------------------------------------------------------------

def _print_stdout(tf, *args, **kwargs):
    """tf.print(*args, output_stream=sys.stdout), printed to the (compared) stdout, and its
    bytes returned (a uint8 array: compared exactly, where stdout's numbers may differ within
    float tolerance). TensorFlow's kernel writes to file descriptor 1, which
    contextlib.redirect_stdout does not see; gradd writes to sys.stdout. Both are captured."""
    sys.stdout.flush()
    buf = io.StringIO()
    with tempfile.TemporaryFile() as tmp:
        saved = os.dup(1)
        os.dup2(tmp.fileno(), 1)
        try:
            with contextlib.redirect_stdout(buf):
                tf.print(*args, output_stream=sys.stdout, **kwargs)
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        tmp.seek(0)
        text = tmp.read().decode()
    text = buf.getvalue() + text
    print(text, end="")
    return np.frombuffer(text.encode(), dtype=np.uint8)


_BIG = np.arange(100).reshape(10, 10)
for _nm, _make in [
    ('int_matrix', lambda tf: ([tf.constant([[1, 2], [3, 4]])], {})),
    ('scalar_float', lambda tf: ([tf.constant(1.0)], {})),
    ('scalars_mixed', lambda tf: ([tf.constant(1.5), tf.constant(-2)], {})),
    ('floats', lambda tf: ([tf.constant([1.5, 2.25, 1e-8, 1e10, 3.0, 0.1, 1 / 3, -0.0, 1e-45])],
                           dict(summarize=-1))),
    ('float64', lambda tf: ([tf.constant([0.1, 1 / 3, 3.14159265358979, 1e300, -1e-320], tf.float64)],
                            dict(summarize=-1))),
    ('nan_inf', lambda tf: ([tf.constant([float('nan'), float('inf'), -float('inf')])], {})),
    ('large_floats', lambda tf: ([tf.constant([1e-5, 123456789.0, 100000.0, 1234567.0])], {})),
    ('summarize_default', lambda tf: ([tf.constant(np.arange(10))], {})),
    ('summarize_2', lambda tf: ([tf.constant(np.arange(10))], dict(summarize=2))),
    ('summarize_all', lambda tf: ([tf.constant(np.arange(10))], dict(summarize=-1))),
    ('summarize_none', lambda tf: ([tf.constant(np.arange(10))], dict(summarize=None))),
    ('summarize_0', lambda tf: ([tf.constant(np.arange(4.0))], dict(summarize=0))),
    ('seven', lambda tf: ([tf.constant(np.arange(7)), tf.constant(np.arange(6))], {})),
    ('matrix_10x10', lambda tf: ([tf.constant(_BIG)], {})),
    ('rank3', lambda tf: ([tf.constant(np.arange(24).reshape(2, 3, 4))], {})),
    ('rank3_summarize1', lambda tf: ([tf.constant(np.arange(24).reshape(2, 3, 4))], dict(summarize=1))),
    ('bools', lambda tf: ([tf.constant([True, False]), tf.constant(True)], {})),
    ('empty', lambda tf: ([tf.constant(np.zeros((0,))), tf.constant(np.zeros((2, 0)))], {})),
    ('python_values', lambda tf: (["loss:", tf.constant(2.0), 3, 4.5, [1, 2], {"b": tf.constant(1), "a": 2}, None],
                                  dict(sep="|", end="!\n"))),
    ('nested_tensors', lambda tf: ([[tf.constant(1.0), tf.constant([2., 3.])], (1, 'a')], {})),
    ('long_structure', lambda tf: (["x" * 50, [tf.constant(1.0)] * 30], {})),
    ('numpy_array', lambda tf: ([np.array([1.5, 2.0]), np.int64(3)], {})),
    ('variable', lambda tf: ([tf.Variable([1., 2.])], {})),
    ('end_empty', lambda tf: ([tf.constant([1, 2, 3])], dict(end=""))),
    ('no_args', lambda tf: ([], {})),
    ('strings_only', lambda tf: (["a", "b{}c"], dict(sep=", "))),
    ('placeholder_text', lambda tf: (["{}", tf.constant(7)], {})),
    ('computed', lambda tf: ([tf.reduce_sum(tf.constant(A32) ** 2), tf.constant(A32) @ tf.constant(B32)], {})),
]:
    def _mk(make=_make):
        def snippet(tf):
            args, kwargs = make(tf)
            return _print_stdout(tf, *args, **kwargs)
        return snippet
    CASES.append((f"print_{_nm}", _mk()))


@case
def print_returns_none_to_stderr(tf):
    return tf.print(tf.constant([1, 2])) is None


@case
def print_bad_stream(tf):
    return tf.print(tf.constant(1), output_stream="nowhere")
