"""Client-side shape and dtype inference agrees with the server. Ops whose outputs the client
can infer are sent `quiet` (the server returns no shape for them), so a wrong guess here would
never be corrected: every inferred shape is compared with the value the server computes."""
import numpy as np


def _cases(tf):
    rng = np.random.default_rng(7)
    a = tf.constant(rng.normal(size=(2, 3, 4)).astype(np.float32))
    m = tf.constant(rng.normal(size=(3, 4)).astype(np.float32))
    v = tf.constant(rng.normal(size=(4,)).astype(np.float32))
    s = tf.constant(2.0)
    col = tf.constant(rng.normal(size=(3, 1)).astype(np.float32))
    idx = tf.constant([2, 0, 1, 1])
    labels = tf.constant([0, 3, 1])
    yield "neg", -a
    yield "exp", tf.exp(m)
    yield "add broadcast", a + v
    yield "outer broadcast", col * v
    yield "scalar pow", m ** s
    yield "scalar left", 1.0 - v
    yield "compare", m > 0.0
    yield "where", tf.where(m > 0.0, m, -m)
    yield "sum all", tf.reduce_sum(a)
    yield "mean axis", tf.reduce_mean(a, axis=1)
    yield "max axes keep", tf.reduce_max(a, axis=[0, -1], keepdims=True)
    yield "min neg axis", tf.reduce_min(a, axis=-2)
    yield "matmul", tf.matmul(m, m, transpose_b=True)
    yield "matmul ta", tf.matmul(m, m, transpose_a=True)
    yield "batch matmul", tf.matmul(a, tf.transpose(m))
    yield "reshape -1", tf.reshape(a, (-1, 4))
    yield "transpose perm", tf.transpose(a, perm=[2, 0, 1])
    yield "expand neg", tf.expand_dims(m, -1)
    yield "squeeze all", tf.squeeze(col)
    yield "concat", tf.concat([m, m], axis=-1)
    yield "stack", tf.stack([m, m, m], axis=1)
    yield "slice", tf.slice(a, [0, 1, 0], [-1, 2, 3])
    yield "gather", tf.gather(m, idx, axis=1)
    yield "tile", tf.tile(m, [2, 1])
    yield "broadcast_to", tf.broadcast_to(v, (3, 4))
    yield "cast", tf.cast(m, tf.float64)
    yield "argmax", tf.argmax(a, axis=2)
    yield "one_hot", tf.one_hot(idx, 5)
    yield "softmax", tf.nn.softmax(m)
    yield "bias_add", tf.nn.bias_add(a, v)
    yield "sparse xent", tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=m)


def test_inferred_shapes_and_dtypes_match_the_server(tf):
    cases = list(_cases(tf))
    # What the client believes before anything reaches the server.
    inferred = {name: (t._shape, t._dtype) for name, t in cases}
    for name, t in cases:
        value = t.numpy()
        shape, dtype = inferred[name]
        if shape is not None:
            assert tuple(shape) == np.shape(value), name
        if dtype is not None:
            assert np.dtype(dtype.as_numpy_dtype) == np.asarray(value).dtype, name
    # Most of these must be inferred at all, or `quiet` never applies.
    assert sum(s is not None for s, _ in inferred.values()) >= len(cases) - 2
