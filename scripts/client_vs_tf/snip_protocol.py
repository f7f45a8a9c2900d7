"""Snippets: the tensor protocol: printing, numpy, Python conversions, indexing. Each is a function of `tf`, run once with TensorFlow and
once with gradd (see __main__.py)."""
from snip_common import *  # noqa: F401,F403


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
