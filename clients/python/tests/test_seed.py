"""The seed notebook's cells, verbatim except `import tensorflow as tf` -> `import gradd as tf`."""
import os
import re
import subprocess
import sys

import numpy as np

CELL_34_35 = '''
# simple function
w = tf.Variable(tf.random.normal((3, 2)), name='w')
b = tf.Variable(tf.zeros(2, dtype=tf.float32), name='b')
x = [[1., 2., 3.]]

# forward pass
with tf.GradientTape() as tape:
    y = x @ w + b
    loss = tf.reduce_mean(y**2)

# apply backpropagation
[dl_dw, dl_db] = tape.gradient(loss, [w, b])
print(dl_dw)
print(dl_db)
'''

CELL_51_53 = '''
layer = tf.keras.layers.Dense(2, activation='relu')
x = tf.constant([[1., 2., 3.]])

with tf.GradientTape() as tape:
    # Forward pass
    y = layer(x)
    loss = tf.reduce_mean(y**2)

# Calculate gradients with respect to every trainable variable
grad = tape.gradient(loss, layer.trainable_variables)
# so our trainable variables are from our layer. It's kernel and bias
for var, g in zip(layer.trainable_variables, grad):
    print(f'{var.name}, shape: {g.shape}')
'''

CELL_58 = '''
# A trainable variable
x0 = tf.Variable(3.0, name='x0')
# Not trainable
x1 = tf.Variable(3.0, name='x1', trainable=False)
# Not a Variable: A variable + tensor returns a tensor.
x2 = tf.Variable(2.0, name='x2') + 1.0
# Not a variable
x3 = tf.constant(3.0, name='x3')

with tf.GradientTape() as tape:
    y = (x0**2) + (x1**2) + (x2**2)

grad = tape.gradient(y, [x0, x1, x2, x3])

# The tape only computed a gradient for x0 since its a trainable Variable that automaticly gets watched
# gradient tape returns None if no gradient is computed
for g in grad:
    print(g)
'''

CELL_57 = '''
# to record gradients in respect to a tensor you need to use watch
x = tf.constant(3.0)
with tf.GradientTape() as tape:
    tape.watch(x)
    y = x**2

# dy = 2x * dx
dy_dx = tape.gradient(y, x)
print(dy_dx.numpy())
'''


def run_cell(tf, code):
    ns = {"tf": tf, "np": np}
    exec(compile(code, "<seed cell>", "exec"), ns)
    return ns


def _numbers(text):
    return [float(v) for v in re.findall(r"-?\d+\.\d*(?:e[-+]?\d+)?", text)]


def test_cell_34_linear_gradients(tf, capsys):
    ns = run_cell(tf, CELL_34_35)
    out = capsys.readouterr().out
    assert out.startswith("gradd.Tensor(\n[[")
    assert "shape=(3, 2), dtype=float32)" in out and "shape=(2,), dtype=float32)" in out
    dl_dw, dl_db = ns["dl_dw"].numpy(), ns["dl_db"].numpy()
    # dl_dw rows are x_i * dl_db, as in the notebook's output
    np.testing.assert_allclose(dl_dw, np.outer([1.0, 2.0, 3.0], dl_db), rtol=1e-5, atol=1e-6)
    # and the values match numpy
    w = ns["w"].numpy()
    y = np.array([[1.0, 2.0, 3.0]]) @ w
    np.testing.assert_allclose(dl_db, (y * 2 / 2)[0], rtol=1e-5, atol=1e-6)
    printed = _numbers(out)
    np.testing.assert_allclose(printed[:6], dl_dw.ravel(), rtol=1e-5)


def test_cell_34_costs_one_run(tf, capsys):
    session = tf.get_session()
    before = session.run_count
    run_cell(tf, CELL_34_35)
    assert session.run_count - before == 1
    capsys.readouterr()


def test_cell_51_dense_layer(tf, capsys):
    ns = run_cell(tf, CELL_51_53)
    assert capsys.readouterr().out == "kernel, shape: (3, 2)\nbias, shape: (2,)\n"
    layer = ns["layer"]
    assert [v.name for v in layer.trainable_variables] == ["kernel", "bias"]
    k, b = (v.numpy() for v in layer.trainable_variables)
    z = np.array([[1.0, 2.0, 3.0]]) @ k + b
    y = np.maximum(z, 0)
    dk, db = (g.numpy() for g in ns["grad"])
    np.testing.assert_allclose(db, (y * 2 / 2 * (z > 0))[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(dk, np.outer([1.0, 2.0, 3.0], db), rtol=1e-5, atol=1e-6)


def test_cell_58_what_the_tape_watches(tf, capsys):
    ns = run_cell(tf, CELL_58)
    assert capsys.readouterr().out == (
        "gradd.Tensor(6.0, shape=(), dtype=float32)\nNone\nNone\nNone\n")
    g = ns["grad"]
    assert g[1] is None and g[2] is None and g[3] is None


def test_cell_57_watch_constant(tf, capsys):
    run_cell(tf, CELL_57)
    assert capsys.readouterr().out == "6.0\n"


def test_whole_notebook_run_count(tf, capsys):
    """Four cells: 34 (printed), 51 (only shapes: known locally), 58 and 57: three Runs."""
    session = tf.get_session()
    for cell in (CELL_34_35, CELL_51_53, CELL_58, CELL_57):
        run_cell(tf, cell)
    assert session.run_count == 3
    capsys.readouterr()


def test_bench_seed_runs_and_reports_every_row(addr):
    """clients/python/bench_seed.py against the test server, a few iterations: the cell still
    takes exactly one Run per iteration (the stubbed client-work row does not count), and every
    row and ratio is printed (TensorFlow's only where it is importable)."""
    script = os.path.join(os.path.dirname(__file__), "..", "bench_seed.py")
    out = subprocess.run([sys.executable, script, "--addr", addr, "--iters", "3", "--warmup", "1"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "gradd: 1.00 Run round trips per iteration" in text, text
    for row in ("gradd seed cell", "bare round trip (KeepAlive)", "Run replay (no client work)",
                "client work (Run stubbed out)", "ratio gradd / bare round trip",
                "ratio client work / round trip"):
        assert row in text, text
