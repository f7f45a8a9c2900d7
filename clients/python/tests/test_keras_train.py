"""gradd.keras optimizers, losses and Sequential against the real server.

Expected values are computed here with numpy from Keras 3's formulas (float32, as Keras
computes them), independently of the client code; scripts/client_vs_tf compares the same
pieces with TensorFlow itself.
"""
import numpy as np
import pytest

import gradd

F = np.float32
GRADS = [np.array([0.5, -1.0, 2.0], F), np.array([-0.3, 0.2, 1.0], F),
         np.array([1.5, 0.0, -0.7], F), np.array([0.1, -2.0, 0.4], F)]
W0 = np.array([1.0, -2.0, 3.0], F)


def close(a, b, tol=1e-6):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


def _apply_all(tf, opt):
    w = tf.Variable(W0)
    for g in GRADS:
        opt.apply_gradients([(tf.constant(g), w)])
    return w


# -- optimizers: values ------------------------------------------------------------------------

def _sgd_reference(lr, momentum=0.0, nesterov=False):
    w, m = W0.copy(), np.zeros_like(W0)
    lr, mom = F(lr), F(momentum)
    for g in GRADS:
        if momentum:
            m = m * mom - g * lr
            w = w + (m * mom - g * lr if nesterov else m)
        else:
            w = w - g * lr
    return w


@pytest.mark.parametrize("momentum,nesterov", [(0.0, False), (0.9, False), (0.8, True)])
def test_sgd_matches_keras_formulas(tf, momentum, nesterov):
    opt = tf.keras.optimizers.SGD(0.1, momentum=momentum, nesterov=nesterov)
    w = _apply_all(tf, opt)
    close(w, _sgd_reference(0.1, momentum, nesterov))
    assert int(opt.iterations) == len(GRADS)
    assert len(opt.variables) == (3 if momentum else 2)  # iteration, learning_rate, momentum


def _adam_reference(lr, b1, b2, eps, amsgrad=False):
    w, m, v, vhat = W0.copy(), np.zeros_like(W0), np.zeros_like(W0), np.zeros_like(W0)
    for t, g in enumerate(GRADS, start=1):
        alpha = F(lr) * np.sqrt(F(1) - F(b2) ** F(t)) / (F(1) - F(b1) ** F(t))
        m = m + (g - m) * F(1 - b1)
        v = v + (g * g - v) * F(1 - b2)
        if amsgrad:
            vhat = np.maximum(vhat, v)
        w = w - (m * alpha) / (np.sqrt(vhat if amsgrad else v) + F(eps))
    return w


@pytest.mark.parametrize("kwargs", [{}, {"learning_rate": 0.1},
                                    {"learning_rate": 0.05, "beta_1": 0.8, "beta_2": 0.99,
                                     "epsilon": 1e-3},
                                    {"learning_rate": 0.2, "amsgrad": True}])
def test_adam_matches_keras_formulas(tf, kwargs):
    opt = tf.keras.optimizers.Adam(**kwargs)
    w = _apply_all(tf, opt)
    args = {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7,
            "amsgrad": False, **kwargs}
    close(w, _adam_reference(args["learning_rate"], args["beta_1"], args["beta_2"],
                             args["epsilon"], args["amsgrad"]), tol=2e-6)
    assert w.numpy()[0] != W0[0]  # it moved
    n_slots = 3 if args["amsgrad"] else 2
    assert len(opt.variables) == 2 + n_slots


def test_adam_slot_values(tf):
    opt = tf.keras.optimizers.Adam(0.1)
    _apply_all(tf, opt)
    m = v = np.zeros_like(W0)
    for g in GRADS:
        m = m + (g - m) * F(0.1)
        v = v + (g * g - v) * F(1 - 0.999)
    close(opt.variables[2], m)
    close(opt.variables[3], v)


def test_clipping_and_weight_decay(tf):
    w = _apply_all(tf, tf.keras.optimizers.SGD(0.1, clipvalue=0.5))
    close(w, W0 - sum(np.clip(g, -0.5, 0.5) for g in GRADS) * F(0.1))
    w = tf.Variable(W0)
    tf.keras.optimizers.SGD(0.1, clipnorm=1.0).apply_gradients([(tf.constant(GRADS[0]), w)])
    g = GRADS[0] / np.linalg.norm(GRADS[0])
    close(w, W0 - 0.1 * g)
    w = tf.Variable(W0)
    tf.keras.optimizers.SGD(0.1, weight_decay=0.5).apply_gradients([(tf.constant(GRADS[0]), w)])
    close(w, (W0 - W0 * F(0.5) * F(0.1)) - GRADS[0] * F(0.1))


# -- optimizers: protocol ------------------------------------------------------------------

def test_apply_gradients_queues_no_run(tf):
    w = tf.Variable(W0)
    b = tf.Variable(0.5)
    session = tf.get_session()
    for opt in (tf.keras.optimizers.SGD(0.1, momentum=0.9), tf.keras.optimizers.Adam(0.1)):
        for _ in range(3):  # the first apply creates the slots: no Run either
            with tf.GradientTape() as tape:
                loss = tf.reduce_sum(w * w) + b * b * b
            grads = tape.gradient(loss, [w, b])
            before = session.run_count
            ret = opt.apply_gradients(zip(grads, [w, b]))
            assert session.run_count == before
            assert ret is opt.iterations
        before = session.run_count
        assert int(opt.iterations) == 3  # the count is known client-side
        assert session.run_count == before
        w.numpy()  # the whole queue, in one Run
        assert session.run_count == before + 1


def test_iterations_and_learning_rate(tf):
    opt = tf.keras.optimizers.SGD(0.1)
    assert opt.iterations.dtype == tf.int64 and int(opt.iterations) == 0
    assert opt.learning_rate.dtype == tf.float32
    close(float(opt.learning_rate), 0.1)
    w = tf.Variable([1.0, 2.0])
    opt.apply_gradients([(tf.constant([1.0, 1.0]), w)])
    opt.learning_rate = 0.5
    close(float(opt.learning_rate), 0.5)
    opt.apply_gradients([(tf.constant([1.0, 1.0]), w)])
    close(w, [0.4, 1.4])
    assert int(opt.iterations) == 2
    assert [v.name for v in opt.variables] == ["iteration", "learning_rate"]


def test_callable_learning_rate(tf):
    rates = iter([0.5, 0.25])
    opt = tf.keras.optimizers.SGD(lambda: next(rates))
    w = tf.Variable([1.0])
    opt.apply_gradients([(tf.constant([1.0]), w)])
    opt.apply_gradients([(tf.constant([1.0]), w)])
    close(w, [0.25])
    assert len(opt.variables) == 1  # no learning_rate variable
    opt = tf.keras.optimizers.SGD(0.1)
    opt.learning_rate = lambda: 0.3
    assert [v.name for v in opt.variables] == ["iteration"]
    close(opt.learning_rate, 0.3)


def test_none_gradients(tf):
    opt = tf.keras.optimizers.SGD(0.1, momentum=0.5)
    w, u = tf.Variable([1.0, 2.0]), tf.Variable(3.0, name="unused")
    with pytest.warns(UserWarning, match=r"Gradients do not exist for variables \['unused'\]"):
        opt.apply_gradients([(tf.constant([1.0, 1.0]), w), (None, u)])
    close(w, [0.9, 1.9])
    close(u, 3.0)
    with pytest.raises(ValueError, match="No gradients provided for any variable"):
        opt.apply_gradients([(None, u)])
    assert int(opt.iterations) == 1
    with pytest.raises(ValueError, match="Unknown variable"):
        opt.apply_gradients([(tf.constant(1.0), tf.Variable(1.0))])


def test_optimizer_argument_errors(tf):
    with pytest.raises(ValueError, match="learning_rate"):
        tf.keras.optimizers.SGD(1)
    with pytest.raises(ValueError, match="momentum"):
        tf.keras.optimizers.SGD(0.1, momentum=1)
    with pytest.raises(ValueError, match="not recognized"):
        tf.keras.optimizers.Adam(foo=1)
    with pytest.raises(ValueError, match="Only one of"):
        tf.keras.optimizers.SGD(clipnorm=1.0, clipvalue=1.0)
    with pytest.raises(NotImplementedError, match="use_ema"):
        tf.keras.optimizers.Adam(use_ema=True)
    with pytest.raises(TypeError, match="gradd.Variable"):
        tf.keras.optimizers.SGD().apply_gradients([(tf.constant(1.0), tf.constant(2.0))])
    assert isinstance(tf.keras.optimizers.get("adam"), tf.keras.optimizers.Adam)


def test_minimize(tf):
    w = tf.Variable([1.0, -2.0])
    opt = tf.keras.optimizers.SGD(0.25)
    opt.minimize(lambda: tf.reduce_sum(w * w), [w])
    close(w, [0.5, -1.0])
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(w * w)
    opt.minimize(loss, [w], tape=tape)
    close(w, [0.25, -0.5])
    with pytest.raises(ValueError, match="tape"):
        opt.minimize(loss, [w])


def test_state_follows_the_variables_session(tf, addr):
    opt = tf.keras.optimizers.Adam(0.1)  # iterations/learning_rate: in the default session
    with tf.Session(addr) as s:
        w = tf.Variable(W0)
        opt.apply_gradients([(tf.constant(GRADS[0]), w)])
        assert opt.iterations.session is s and opt.learning_rate.session is s
        assert all(v.session is s for v in opt.variables)
        close(w, W0 - F(0.1) * np.sign(GRADS[0]), tol=1e-5)  # Adam's first step: lr * sign


# -- losses -------------------------------------------------------------------------------------

YT = np.array([[0., 1., 1.], [1., 0., 0.]], F)
YP = np.array([[0.2, 0.7, 0.9], [0.6, 0.1, 0.3]], F)
LOGITS = np.array([[1.5, -0.3, 2.0], [-1.0, 0.4, 0.1]], F)
ONE_HOT = np.array([[0., 1., 0.], [1., 0., 0.]], F)


def test_regression_losses_and_reductions(tf):
    L = tf.keras.losses
    per_sample = ((YT - YP) ** 2).mean(-1)
    close(L.MeanSquaredError()(YT, YP), per_sample.sum() / 2)
    close(L.MeanSquaredError(reduction="sum")(YT, YP), per_sample.sum())
    close(L.MeanSquaredError(reduction=None)(YT, YP), per_sample)
    close(L.MeanSquaredError(reduction="none")(YT, YP), per_sample)
    close(L.mse(YT, YP), per_sample)
    close(L.mean_squared_error(YT, YP), per_sample)
    close(L.MeanAbsoluteError()(YT, YP), np.abs(YT - YP).mean(-1).mean())
    close(L.mae(YT, YP), np.abs(YT - YP).mean(-1))
    sw = np.array([0.3, 0.7], F)
    close(L.MeanSquaredError()(YT, YP, sample_weight=sw), (per_sample * sw).sum() / 2)
    with pytest.raises(ValueError, match="reduction"):
        L.MeanSquaredError(reduction="avg")


def _bce(y, p):
    p = np.clip(p, F(1e-7), F(1 - 1e-7))
    return -(y * np.log(p) + (1 - y) * np.log(1 - p)).mean(-1)


def test_crossentropy_from_probabilities(tf):
    L = tf.keras.losses
    close(L.BinaryCrossentropy(reduction=None)(YT, YP), _bce(YT, YP))
    # 0 and 1 are clipped to [1e-7, 1 - 1e-7]: finite
    y, p = np.array([[1.0, 0.0]], F), np.array([[0.0, 1.0]], F)
    edge = L.BinaryCrossentropy(reduction=None)(y, p)
    close(edge, _bce(y, p), tol=1e-4)
    assert 15 < float(edge[0]) < 17
    probs = YP / YP.sum(-1, keepdims=True)
    close(L.CategoricalCrossentropy()(ONE_HOT, YP),
          -(ONE_HOT * np.log(probs)).sum(-1).mean())
    labels = np.array([1, 0])
    close(L.SparseCategoricalCrossentropy(reduction="sum")(labels, probs),
          -np.log(probs[[0, 1], labels]).sum())


def _log_softmax(z):
    z = z - z.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


def test_crossentropy_from_logits(tf):
    L = tf.keras.losses
    bce = (np.maximum(LOGITS, 0) - LOGITS * YT + np.log1p(np.exp(-np.abs(LOGITS)))).mean(-1)
    close(L.BinaryCrossentropy(from_logits=True, reduction=None)(YT, LOGITS), bce)
    close(L.CategoricalCrossentropy(from_logits=True, reduction=None)(ONE_HOT, LOGITS),
          -(ONE_HOT * _log_softmax(LOGITS)).sum(-1))
    close(L.SparseCategoricalCrossentropy(from_logits=True)(np.array([1, 0]), LOGITS),
          -_log_softmax(LOGITS)[[0, 1], [1, 0]].mean())


def test_loss_gradients_flow(tf):
    p = tf.Variable(YP)
    with tf.GradientTape() as tape:
        loss = tf.keras.losses.MeanSquaredError()(YT, p)
    close(tape.gradient(loss, p), 2 * (YP - YT) / YP.size)
    z = tf.Variable(LOGITS)
    with tf.GradientTape() as tape:
        loss = tf.keras.losses.CategoricalCrossentropy(from_logits=True)(ONE_HOT, z)
    sm = np.exp(_log_softmax(LOGITS))
    close(tape.gradient(loss, z), (sm - ONE_HOT) / 2)


def test_keras_sigmoid_output_uses_its_logits(tf):
    z = np.array([[20.0, -30.0]], F)
    y = np.array([[0.0, 1.0]], F)
    loss = tf.keras.losses.BinaryCrossentropy()
    # keras.activations.sigmoid remembers the logits: softplus values, not log(1e-7)
    close(loss(y, tf.keras.activations.sigmoid(z)), (20.0 + 30.0) / 2, tol=1e-4)
    # tf.nn.sigmoid does not (as in TensorFlow): the clipped probabilities
    clipped = _bce(y, (1 / (1 + np.exp(-z.astype(np.float64)))).astype(F)).mean()
    close(loss(y, tf.nn.sigmoid(z)), clipped, tol=1e-4)
    assert float(loss(y, tf.nn.sigmoid(z))) < 17


# -- Sequential -------------------------------------------------------------------------------

def test_sequential_structure(tf):
    model = tf.keras.Sequential([tf.keras.layers.Dense(4, activation="relu"),
                                 tf.keras.layers.Dense(2)])
    assert len(model.layers) == 2 and model.trainable_variables == [] and not model.built
    y = model(tf.ones((3, 5)))
    assert y.shape == (3, 2) and model.built
    assert [tuple(v.shape) for v in model.trainable_variables] == [(5, 4), (4,), (4, 2), (2,)]
    assert model.trainable_variables[0] is model.layers[0].kernel
    model.add(tf.keras.layers.Dense(1))
    assert model(tf.ones((1, 5))).shape == (1, 1) and len(model.trainable_variables) == 6
    assert model.pop().units == 1 and len(model.layers) == 2
    built = tf.keras.Sequential([tf.keras.layers.Dense(3), tf.keras.layers.Dense(1)])
    built.build((None, 7))
    assert [tuple(v.shape) for v in built.weights] == [(7, 3), (3,), (3, 1), (1,)]
    with pytest.raises(ValueError, match="no layers"):
        tf.keras.Sequential()(tf.ones((1, 2)))
    with pytest.raises(ValueError, match="Only instances of `keras.Layer`"):
        model.add(3)
    with pytest.raises(ValueError, match="unique names"):
        tf.keras.Sequential([tf.keras.layers.Dense(1, name="d"),
                             tf.keras.layers.Dense(1, name="d")])
    with pytest.raises(NotImplementedError, match="GradientTape"):
        model.compile(optimizer="sgd", loss="mse")


def test_sequential_training_loop_decreases_loss(tf):
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=(16, 2)).astype(F)
    y = (x @ np.array([[2.0], [-1.0]], F) + 0.5).astype(F)
    model = tf.keras.Sequential([tf.keras.layers.Dense(8, activation="tanh"),
                                 tf.keras.layers.Dense(1)])
    opt = tf.keras.optimizers.Adam(0.05)
    loss_fn = tf.keras.losses.MeanSquaredError()
    session = tf.get_session()
    losses = []
    for _ in range(40):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x))
        grads = tape.gradient(loss, model.trainable_variables)
        before = session.run_count
        opt.apply_gradients(zip(grads, model.trainable_variables))
        assert session.run_count == before
        losses.append(loss)
    values = [float(v) for v in losses]
    assert values[-1] < values[0] / 5, values
    assert int(opt.iterations) == 40


def test_training_step_is_one_run(tf):
    # forward pass, loss, gradient, optimizer update and reading the loss: one round trip,
    # the first step too (layer weights and optimizer slots are created in the same batch)
    x = np.array([[1., 2., 3.], [0.5, -1., 2.]], F)
    model = tf.keras.Sequential([tf.keras.layers.Dense(4, activation="relu"),
                                 tf.keras.layers.Dense(3)])
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    opt = tf.keras.optimizers.Adam(0.01)
    session = tf.get_session()
    for _ in range(3):
        before = session.run_count
        with tf.GradientTape() as tape:
            loss = loss_fn(np.array([0, 2]), model(x))
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))
        float(loss)
        assert session.run_count == before + 1


def test_keras_namespace(tf):
    assert tf is gradd and tf.keras.Sequential is tf.keras.models.Sequential
    assert tf.keras.losses.get("mse") is tf.keras.losses.mean_squared_error
    assert isinstance(tf.keras.losses.get("BinaryCrossentropy"),
                      tf.keras.losses.BinaryCrossentropy)
    assert type(tf.keras.optimizers.get("sgd")) is tf.keras.optimizers.SGD
