"""Snippets: creation, conversion, dtypes, shapes. Each is a function of `tf`, run once with TensorFlow and
once with gradd (see __main__.py)."""
from snip_common import *  # noqa: F401,F403


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
