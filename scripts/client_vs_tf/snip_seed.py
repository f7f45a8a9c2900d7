"""Snippets: the seed notebook, cell by cell. Each is a function of `tf`, run once with TensorFlow and
once with gradd (see __main__.py)."""
from snip_common import *  # noqa: F401,F403


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
