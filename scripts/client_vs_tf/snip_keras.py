"""Snippets: Keras Dense. Each is a function of `tf`, run once with TensorFlow and
once with gradd (see __main__.py)."""
from snip_common import *  # noqa: F401,F403


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
