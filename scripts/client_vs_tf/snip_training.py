"""Snippets: Keras optimizers (SGD, Adam), losses and Sequential, in short training loops.
Each is a function of `tf`, run once with TensorFlow and once with gradd (see __main__.py).

Random initial weights differ between the two, so every layer is given fixed weights by
assign (as snip_keras._fixed_dense does) before it trains; variable names differ by design
(TF's ':0', Keras' paths), so the optimizers' slots are compared by count, shape and value.
"""
from snip_common import *  # noqa: F401,F403

Y_TRUE = np.array([[0., 1., 1.], [1., 0., 0.]], dtype=np.float32)
Y_PRED = np.array([[0.2, 0.7, 0.9], [0.6, 0.1, 0.3]], dtype=np.float32)
LOGITS = np.array([[1.5, -0.3, 2.0], [-1.0, 0.4, 0.1]], dtype=np.float32)
PROBS = np.array([[0.1, 0.6, 0.3], [0.7, 0.2, 0.1]], dtype=np.float32)
ONE_HOT = np.array([[0., 1., 0.], [1., 0., 0.]], dtype=np.float32)
LABELS = np.array([1, 0], dtype=np.int32)
X = np.array([[1., 2., 3.], [0.5, -1., 2.], [-1., 0.5, 0.]], dtype=np.float32)
T = np.array([[1.], [0.], [-1.]], dtype=np.float32)


def _train(tf, opt, steps=4, dtype=None):
    """Minimizes a fixed quadratic-plus-cubic function of two variables with `opt`."""
    w = tf.Variable(np.array([1., -2., 3.], dtype=dtype or np.float32))
    b = tf.Variable(np.array(0.5, dtype=dtype or np.float32))
    c = np.array([1., 2., 0.5], dtype=dtype or np.float32)
    losses = []
    for _ in range(steps):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(c * w ** 2) + b ** 3 - 0.3 * b
        grads = tape.gradient(loss, [w, b])
        opt.apply_gradients(zip(grads, [w, b]))
        losses.append(float(loss))
    return losses, w.numpy(), b.numpy(), int(opt.iterations)


# Optimizers --------------------------------------------------------------------------------

for _name, _make in [
    ("sgd_default", lambda tf: tf.keras.optimizers.SGD()),
    ("sgd_plain", lambda tf: tf.keras.optimizers.SGD(0.1)),
    ("sgd_momentum", lambda tf: tf.keras.optimizers.SGD(0.05, momentum=0.9)),
    ("sgd_nesterov", lambda tf: tf.keras.optimizers.SGD(0.05, momentum=0.8, nesterov=True)),
    ("sgd_nesterov_no_momentum", lambda tf: tf.keras.optimizers.SGD(0.1, nesterov=True)),
    ("adam_default", lambda tf: tf.keras.optimizers.Adam()),
    ("adam_lr", lambda tf: tf.keras.optimizers.Adam(0.1)),
    ("adam_custom", lambda tf: tf.keras.optimizers.Adam(0.05, beta_1=0.8, beta_2=0.99,
                                                        epsilon=1e-3)),
    ("adam_amsgrad", lambda tf: tf.keras.optimizers.Adam(0.2, amsgrad=True)),
    ("sgd_clipnorm", lambda tf: tf.keras.optimizers.SGD(0.1, clipnorm=1.0)),
    ("sgd_clipvalue", lambda tf: tf.keras.optimizers.SGD(0.1, clipvalue=0.5)),
    ("sgd_global_clipnorm", lambda tf: tf.keras.optimizers.SGD(0.1, global_clipnorm=2.0)),
    ("adam_weight_decay", lambda tf: tf.keras.optimizers.Adam(0.1, weight_decay=0.05)),
    ("sgd_loss_scale", lambda tf: tf.keras.optimizers.SGD(0.1, loss_scale_factor=4.0)),
    ("opt_get_sgd", lambda tf: tf.keras.optimizers.get("sgd")),
    ("opt_get_adam", lambda tf: tf.keras.optimizers.get("Adam")),
]:
    CASES.append((f"train_{_name}", (lambda make: lambda tf: _train(tf, make(tf)))(_make)))


@case
def train_adam_float64(tf):
    return _train(tf, tf.keras.optimizers.Adam(0.1), dtype=np.float64)


@case
def train_sgd_momentum_float64(tf):
    return _train(tf, tf.keras.optimizers.SGD(0.1, momentum=0.5), dtype=np.float64)


@case
def train_sgd_callable_lr(tf):
    return _train(tf, tf.keras.optimizers.SGD(lambda: 0.2))


@case
def train_adam_many_steps(tf):
    return _train(tf, tf.keras.optimizers.Adam(0.05), steps=12)


@case
def train_opt_state(tf):
    opt = tf.keras.optimizers.Adam(0.1)
    before = (len(opt.variables), int(opt.iterations), float(opt.learning_rate))
    _train(tf, opt, steps=2)
    return (before, len(opt.variables), [tuple(v.shape) for v in opt.variables],
            [v.numpy() for v in opt.variables], NoRepr(opt.iterations),
            NoRepr(opt.learning_rate), opt.beta_1, opt.beta_2, opt.epsilon, opt.amsgrad)


@case
def train_opt_slot_count(tf):
    counts = []
    for opt in (tf.keras.optimizers.SGD(0.1), tf.keras.optimizers.SGD(0.1, momentum=0.5),
                tf.keras.optimizers.Adam(), tf.keras.optimizers.Adam(amsgrad=True)):
        _train(tf, opt, steps=1)
        counts.append([v.name for v in opt.variables[:2]] + [len(opt.variables)])
    return counts


@case
def train_opt_set_learning_rate(tf):
    opt = tf.keras.optimizers.SGD(0.1)
    w = tf.Variable([1., 2.])
    opt.apply_gradients([(tf.constant([1., 1.]), w)])
    opt.learning_rate = 0.5
    opt.apply_gradients([(tf.constant([1., 1.]), w)])
    return w.numpy(), float(opt.learning_rate), int(opt.iterations)


@case
def train_opt_apply_returns_iterations(tf):
    opt = tf.keras.optimizers.SGD(0.1)
    w = tf.Variable([1., 2.])
    r = opt.apply_gradients([(tf.constant([1., 1.]), w)])
    return NoRepr(r), r is opt.iterations


@case
def train_opt_none_gradient_skipped(tf):
    opt = tf.keras.optimizers.SGD(0.1, momentum=0.9)
    w, u = tf.Variable([1., 2.]), tf.Variable(3.)
    for _ in range(2):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(w ** 2)
        opt.apply_gradients(zip(tape.gradient(loss, [w, u]), [w, u]))
    return w.numpy(), u.numpy(), int(opt.iterations), len(opt.variables)


@case
def train_opt_all_none_gradients(tf):
    opt = tf.keras.optimizers.SGD(0.1)
    u = tf.Variable(3.)
    try:
        opt.apply_gradients([(None, u)])
    except ValueError as e:
        return "ValueError", str(e), int(opt.iterations)


@case
def train_opt_unknown_variable(tf):
    opt = tf.keras.optimizers.SGD(0.1)
    opt.apply_gradients([(tf.constant([1., 1.]), tf.Variable([1., 2.]))])
    opt.apply_gradients([(tf.constant([1., 1.]), tf.Variable([1., 2.]))])


@case
def train_opt_apply_empty(tf):
    tf.keras.optimizers.SGD(0.1).apply_gradients([])


@case
def train_opt_lr_int(tf):
    tf.keras.optimizers.SGD(1)


@case
def train_opt_momentum_int(tf):
    tf.keras.optimizers.SGD(0.1, momentum=1)


@case
def train_opt_unknown_kwarg(tf):
    tf.keras.optimizers.Adam(0.1, foo=1)


@case
def train_opt_two_clips(tf):
    tf.keras.optimizers.SGD(0.1, clipnorm=1.0, clipvalue=1.0)


@case
def train_opt_apply_with_built_list(tf):
    opt = tf.keras.optimizers.Adam(0.1)
    w = tf.Variable([1., 2.])
    opt.build([w])
    opt.apply([tf.constant([0.5, -1.])])
    return w.numpy(), int(opt.iterations)


# Losses --------------------------------------------------------------------------------------

for _cls in ("MeanSquaredError", "MeanAbsoluteError"):
    for _red in ("sum_over_batch_size", "sum", None, "none", "mean"):
        CASES.append((f"train_loss_{_cls}_{_red}", (lambda cls, red: lambda tf: getattr(
            tf.keras.losses, cls)(reduction=red)(Y_TRUE, Y_PRED))(_cls, _red)))

for _fl in (False, True):
    for _red in ("sum_over_batch_size", "sum", None):
        _pred = LOGITS if _fl else PROBS
        CASES.append((f"train_loss_bce_logits{_fl}_{_red}", (lambda fl, red, p: lambda tf: (
            tf.keras.losses.BinaryCrossentropy(from_logits=fl, reduction=red)(Y_TRUE, p)))(
                _fl, _red, _pred)))
        CASES.append((f"train_loss_cce_logits{_fl}_{_red}", (lambda fl, red, p: lambda tf: (
            tf.keras.losses.CategoricalCrossentropy(from_logits=fl, reduction=red)(ONE_HOT, p)))(
                _fl, _red, _pred)))
        CASES.append((f"train_loss_scce_logits{_fl}_{_red}", (lambda fl, red, p: lambda tf: (
            tf.keras.losses.SparseCategoricalCrossentropy(from_logits=fl, reduction=red)(
                LABELS, p)))(_fl, _red, _pred)))


@case
def train_loss_bce_clipped_probabilities(tf):
    # 0 and 1 are clipped to [1e-7, 1 - 1e-7] before the log
    return tf.keras.losses.BinaryCrossentropy(reduction=None)(
        [[0., 1., 1.], [1., 0., 1.]], [[0., 1., 0.], [1., 0.5, 1e-9]])


@case
def train_loss_cce_unnormalized_probabilities(tf):
    return tf.keras.losses.CategoricalCrossentropy(reduction=None)(ONE_HOT, PROBS * 3)


@case
def train_loss_scce_clipped(tf):
    return tf.keras.losses.SparseCategoricalCrossentropy(reduction=None)(
        np.array([0, 2]), np.array([[0., 1., 0.], [0.2, 0.8, 0.]], dtype=np.float32))


@case
def train_loss_label_smoothing(tf):
    L = tf.keras.losses
    return (L.BinaryCrossentropy(label_smoothing=0.2)(Y_TRUE, PROBS),
            L.BinaryCrossentropy(from_logits=True, label_smoothing=0.1)(Y_TRUE, LOGITS),
            L.CategoricalCrossentropy(label_smoothing=0.3)(ONE_HOT, PROBS),
            L.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)(ONE_HOT, LOGITS))


@case
def train_loss_sample_weight(tf):
    L = tf.keras.losses
    sw = np.array([0.3, 0.7], dtype=np.float32)
    return (L.MeanSquaredError()(Y_TRUE, Y_PRED, sample_weight=sw),
            L.MeanAbsoluteError(reduction="sum")(Y_TRUE, Y_PRED, sample_weight=sw),
            L.BinaryCrossentropy(reduction=None)(Y_TRUE, PROBS, sample_weight=sw),
            L.CategoricalCrossentropy(from_logits=True)(ONE_HOT, LOGITS, sample_weight=sw),
            L.SparseCategoricalCrossentropy()(LABELS, PROBS, sample_weight=sw),
            L.MeanSquaredError(reduction="mean_with_sample_weight")(Y_TRUE, Y_PRED,
                                                                    sample_weight=sw))


@case
def train_loss_functions(tf):
    L = tf.keras.losses
    return (L.mse(Y_TRUE, Y_PRED), L.mae(Y_TRUE, Y_PRED), L.MSE(Y_TRUE, Y_PRED),
            L.binary_crossentropy(Y_TRUE, PROBS), L.binary_crossentropy(Y_TRUE, LOGITS, True),
            L.categorical_crossentropy(ONE_HOT, PROBS),
            L.categorical_crossentropy(ONE_HOT, LOGITS, from_logits=True),
            L.sparse_categorical_crossentropy(tf.constant(LABELS), PROBS),
            L.sparse_categorical_crossentropy(tf.constant(LABELS), LOGITS, from_logits=True))


@case
def train_loss_functions_float64(tf):
    L = tf.keras.losses
    return (L.mse(Y_TRUE.astype(np.float64), Y_PRED.astype(np.float64)),
            L.binary_crossentropy(Y_TRUE.astype(np.float64), PROBS.astype(np.float64)),
            L.MeanSquaredError()(Y_TRUE.astype(np.float64), Y_PRED.astype(np.float64)))


@case
def train_loss_rank_mismatch(tf):
    # (3,) labels against (3, 1) predictions: the labels are expanded, not broadcast.
    # (numpy arrays: Keras 3 maps nested Python lists as structures of separate tensors)
    L = tf.keras.losses
    a = np.array
    return (L.MeanSquaredError()(a([1., 0., 2.]), a([[0.5], [0.2], [1.]])),
            L.BinaryCrossentropy()(a([1., 0., 1.]), a([[0.9], [0.2], [0.6]])),
            L.SparseCategoricalCrossentropy()(a([[1], [0]]), PROBS))


@case
def train_loss_scalar_input(tf):
    return tf.keras.losses.MeanSquaredError()(tf.constant([1.]), tf.constant([3.]))


@case
def train_loss_int_labels_tensor(tf):
    return tf.keras.losses.MeanSquaredError()(tf.constant([[1, 0]]), tf.constant([[0.5, 0.2]]))


@case
def train_loss_bad_reduction(tf):
    tf.keras.losses.MeanSquaredError(reduction="avg")


@case
def train_loss_shape_mismatch(tf):
    tf.keras.losses.CategoricalCrossentropy()(ONE_HOT, PROBS[:, :2])


@case
def train_loss_attributes(tf):
    L = tf.keras.losses
    return [(x.name, x.reduction) for x in (
        L.MeanSquaredError(), L.MeanAbsoluteError(reduction="sum"), L.BinaryCrossentropy(),
        L.CategoricalCrossentropy(reduction=None), L.SparseCategoricalCrossentropy())]


for _nm, _cls, _kw, _args in [
    ("mse", "MeanSquaredError", {}, (Y_TRUE, Y_PRED)),
    ("mae", "MeanAbsoluteError", {}, (Y_TRUE, Y_PRED)),
    ("bce", "BinaryCrossentropy", {}, (Y_TRUE, PROBS)),
    ("bce_logits", "BinaryCrossentropy", {"from_logits": True}, (Y_TRUE, LOGITS)),
    ("cce", "CategoricalCrossentropy", {}, (ONE_HOT, PROBS)),
    ("cce_logits", "CategoricalCrossentropy", {"from_logits": True}, (ONE_HOT, LOGITS)),
    ("scce", "SparseCategoricalCrossentropy", {}, (LABELS, PROBS)),
    ("scce_logits", "SparseCategoricalCrossentropy", {"from_logits": True}, (LABELS, LOGITS)),
]:
    def _mk(cls=_cls, kw=_kw, args=_args):
        def run(tf):
            p = tf.Variable(args[1])
            with tf.GradientTape() as tape:
                loss = getattr(tf.keras.losses, cls)(**kw)(args[0], p)
            return loss, tape.gradient(loss, p)
        return run
    CASES.append((f"train_loss_gradient_{_nm}", _mk()))


# The logits behind keras.activations' sigmoid/softmax: no clipping, even when saturated

@case
def train_loss_sigmoid_output_uses_logits(tf):
    z = tf.Variable([[20., -30., 0.5]])
    with tf.GradientTape() as tape:
        loss = tf.keras.losses.BinaryCrossentropy()(np.array([[0., 1., 1.]]),
                                                    tf.keras.activations.sigmoid(z))
    return loss, tape.gradient(loss, z)


@case
def train_loss_softmax_output_uses_logits(tf):
    z = tf.Variable([[40., -10., 0.5], [1., 2., 3.]])
    with tf.GradientTape() as tape:
        p = tf.keras.activations.softmax(z)
        loss = (tf.keras.losses.CategoricalCrossentropy()(ONE_HOT, p) +
                tf.keras.losses.SparseCategoricalCrossentropy()(LABELS, p))
    return loss, tape.gradient(loss, z)


@case
def train_loss_tf_nn_sigmoid_is_clipped(tf):
    # tf.nn.sigmoid (not keras.activations) keeps no logits: the probabilities are clipped
    return tf.keras.losses.BinaryCrossentropy()(np.array([[0., 1.]]),
                                                tf.nn.sigmoid(tf.constant([[20., -30.]])))


@case
def train_loss_dense_sigmoid_bce(tf):
    layer = _fixed(tf, tf.keras.layers.Dense(1, activation="sigmoid"), 3)
    y = (T > 0).astype(np.float32)
    return tf.keras.losses.BinaryCrossentropy()(y, layer(tf.constant(X) * 10))


# Sequential ------------------------------------------------------------------------------------

def _fixed(tf, layer, in_dim):
    """Builds `layer` for `in_dim` inputs and gives it fixed weights."""
    layer.build((None, in_dim))
    k = layer.kernel
    n = int(np.prod(k.shape))
    k.assign(((np.arange(n, dtype=np.float32) % 7 - 3) / 5).reshape(tuple(k.shape)))
    if layer.bias is not None:
        layer.bias.assign(np.linspace(-0.2, 0.2, int(layer.bias.shape[0])).astype(np.float32))
    return layer


def _fixed_model(tf, *specs, in_dim=3):
    model = tf.keras.Sequential()
    for units, act in specs:
        model.add(_fixed(tf, tf.keras.layers.Dense(units, activation=act), in_dim))
        in_dim = units
    return model


@case
def train_sequential_sgd_mse(tf):
    model = _fixed_model(tf, (4, "tanh"), (1, None))
    opt = tf.keras.optimizers.SGD(0.1, momentum=0.5)
    loss_fn = tf.keras.losses.MeanSquaredError()
    losses = []
    for _ in range(5):
        with tf.GradientTape() as tape:
            loss = loss_fn(T, model(X))
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))
        losses.append(float(loss))
    return losses, [v.numpy() for v in model.trainable_variables]


@case
def train_sequential_adam_classifier(tf):
    model = _fixed_model(tf, (5, "relu"), (3, None))
    opt = tf.keras.optimizers.Adam(0.05)
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    labels = tf.constant([0, 2, 1])
    losses = []
    for _ in range(4):
        with tf.GradientTape() as tape:
            loss = loss_fn(labels, model(X))
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))
        losses.append(float(loss))
    return losses, [v.numpy() for v in model.trainable_variables], int(opt.iterations)


@case
def train_sequential_softmax_cce(tf):
    model = _fixed_model(tf, (4, "elu"), (3, "softmax"))
    opt = tf.keras.optimizers.SGD(0.5)
    y = tf.constant([[1., 0., 0.], [0., 0., 1.], [0., 1., 0.]])
    for _ in range(3):
        with tf.GradientTape() as tape:
            loss = tf.keras.losses.CategoricalCrossentropy()(y, model(X * 5))
        opt.apply_gradients(zip(tape.gradient(loss, model.trainable_variables),
                                model.trainable_variables))
    return loss, [v.numpy() for v in model.trainable_variables]


@case
def train_sequential_sigmoid_bce(tf):
    model = _fixed_model(tf, (2, "relu"), (1, "sigmoid"))
    opt = tf.keras.optimizers.Adam(0.1)
    y = tf.constant([1., 0., 1.])
    for _ in range(3):
        with tf.GradientTape() as tape:
            loss = tf.keras.losses.BinaryCrossentropy()(y, model(X))
        opt.apply_gradients(zip(tape.gradient(loss, model.trainable_variables),
                                model.trainable_variables))
    return loss, [v.numpy() for v in model.trainable_variables]


@case
def train_sequential_structure(tf):
    model = tf.keras.Sequential([tf.keras.layers.Dense(4), tf.keras.layers.Dense(2)])
    before = (len(model.layers), model.built, len(model.trainable_variables))
    y = model(tf.ones((2, 3)))
    after = (model.built, [tuple(v.shape) for v in model.trainable_variables],
             len(model.weights), len(model.non_trainable_variables),
             model.trainable_variables[0] is model.layers[0].kernel)
    model.add(tf.keras.layers.Dense(1))
    y3 = model(tf.ones((1, 3)))
    popped = model.pop()
    return before, Meta(y), after, Meta(y3), len(model.layers), popped.units


@case
def train_sequential_build(tf):
    model = tf.keras.Sequential([tf.keras.layers.Dense(2), tf.keras.layers.Dense(3)])
    model.build((None, 5))
    return model.built, [tuple(v.shape) for v in model.weights]


@case
def train_sequential_3d_input(tf):
    model = _fixed_model(tf, (2, "relu"), (2, None), in_dim=4)
    return model(tf.constant(np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 10))


@case
def train_sequential_int_input(tf):
    model = _fixed_model(tf, (2, None))
    return model(tf.constant([[1, 2, 3]]))


@case
def train_sequential_nested(tf):
    inner = _fixed_model(tf, (3, "tanh"))
    outer = tf.keras.Sequential([inner, _fixed(tf, tf.keras.layers.Dense(1), 3)])
    return outer(tf.constant(X)), len(outer.trainable_variables)


@case
def train_sequential_empty_call(tf):
    tf.keras.Sequential()(tf.ones((1, 3)))


@case
def train_sequential_add_non_layer(tf):
    tf.keras.Sequential().add(3)


@case
def train_sequential_duplicate_names(tf):
    tf.keras.Sequential([tf.keras.layers.Dense(2, name="d"), tf.keras.layers.Dense(2, name="d")])


@case
def train_sequential_set_layers(tf):
    tf.keras.Sequential([tf.keras.layers.Dense(2)]).layers = []


@case
def train_sequential_wrong_input_dim(tf):
    model = tf.keras.Sequential([tf.keras.layers.Dense(2)])
    model(tf.ones((1, 3)))
    model(tf.ones((1, 5)))
